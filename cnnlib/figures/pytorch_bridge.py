"""Pictures for notebook 06: what PyTorch's `.backward()` walks.

`backward_graph` reads the graph autograd recorded (each tensor's `grad_fn` and its
`next_functions`) into plain (nodes, edges) lists; it only reads attributes, so this
module does not import torch. `backward_graph_figure` draws them: the loss on the
right, one column per step back, parameters (AccumulateGrad leaves) in their own boxes,
each node labelled with the cnnlib function that computes the same backward step.
"""
from dataclasses import dataclass

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

# Colour-blind-safe (Okabe-Ito): backward steps blue, parameters orange; the text
# ("AccumulateGrad", the parameter name) says the same thing without the colour.
STEP_COLOUR = "#56B4E9"
LEAF_COLOUR = "#E69F00"


@dataclass(frozen=True)
class GraphNode:
    key: int          # position in the walk, 0 = the loss's grad_fn
    name: str         # the grad_fn's class name, e.g. "ConvolutionBackward0"
    depth: int        # steps back from the loss (longest path)
    leaf: str = ""    # for AccumulateGrad: the parameter's name, else ""


def backward_graph(grad_fn, parameter_names):
    """The nodes and edges autograd will visit from `grad_fn` (e.g. `loss.grad_fn`).

    parameter_names: {id(tensor): name} to label the AccumulateGrad leaves.
    Returns (nodes, edges): nodes a list of GraphNode in first-visit order, edges a
    list of (from_key, to_key) meaning "the gradient flows from this node to that one".
    """
    if grad_fn is None or not hasattr(grad_fn, "next_functions"):
        raise ValueError(f"need a tensor's grad_fn (e.g. loss.grad_fn), got {grad_fn!r}")
    keys, order, edges, depth = {}, [], [], {}

    def visit(fn, d):
        if id(fn) not in keys:
            keys[id(fn)] = len(order)
            order.append(fn)
        depth[id(fn)] = max(depth.get(id(fn), 0), d)
        for child, _ in fn.next_functions:
            if child is not None:
                visit(child, d + 1)
                if (keys[id(fn)], keys[id(child)]) not in edges:
                    edges.append((keys[id(fn)], keys[id(child)]))

    visit(grad_fn, 0)
    nodes = []
    for fn in order:
        variable = getattr(fn, "variable", None)
        leaf = parameter_names.get(id(variable), "parameter") if variable is not None else ""
        nodes.append(GraphNode(keys[id(fn)], type(fn).__name__, depth[id(fn)], leaf))
    return nodes, edges


def backward_graph_figure(nodes, edges, notes=None, size=(12.8, 4.6)):
    """Draw the backward graph: loss on the right, gradients flowing left.

    notes: optional {grad_fn name: text} written under a node (e.g. the cnnlib
    function that does the same step). Returns a Figure (1152 x 414 px at 90 dpi).
    """
    notes = notes or {}
    fig, ax = plt.subplots(figsize=size)
    steps = [n for n in nodes if not n.leaf]
    max_depth = max(n.depth for n in steps)
    position, rows = {}, {}
    for node in steps:                      # one column per step back, loss on the right
        row = rows.get(node.depth, 0)
        rows[node.depth] = row + 1
        position[node.key] = (max_depth - node.depth, 1.0 - 1.0 * row)
    parent = {target: source for source, target in edges}
    siblings = {}
    for node in nodes:
        if node.leaf:
            siblings.setdefault(parent[node.key], []).append(node.key)
    low = min(y for _, y in position.values()) - 0.8
    for source, keys in siblings.items():   # parameters right below the step that feeds them
        x0 = position[source][0]
        for k, key in enumerate(keys):
            position[key] = (x0 + (k - (len(keys) - 1) / 2) * 0.95, low)
    half_w, half_h = 0.44, 0.2
    for source, target in edges:
        (x0, y0), (x1, y1) = position[source], position[target]
        start, end = ((x0 - half_w, y0), (x1 + half_w, y1)) if abs(y0 - y1) < 1e-9 else \
            ((x0 + 0.3 * (x1 - x0), y0 - half_h), (x1, y1 + half_h))
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12,
                                     color="#404040", linewidth=1.1, shrinkA=0, shrinkB=0))
    for node in nodes:
        x, y = position[node.key]
        colour = LEAF_COLOUR if node.leaf else STEP_COLOUR
        ax.add_patch(FancyBboxPatch((x - half_w, y - half_h), 2 * half_w, 2 * half_h,
                                    boxstyle="round,pad=0.02", facecolor=colour, edgecolor="#303030",
                                    linewidth=0.8))
        label = node.name.replace("Backward", "\nBackward")
        if node.leaf:
            label = f"AccumulateGrad\n→ {node.leaf}.grad"
        ax.text(x, y, label, ha="center", va="center", fontsize=8)
        if node.name in notes and not node.leaf:
            ax.text(x, y + half_h + 0.06, notes[node.name], ha="center", va="bottom", fontsize=8,
                    color="#1a1a1a", style="italic")
    xs = [x for x, _ in position.values()]
    ax.set_xlim(min(xs) - half_w - 0.05, max(xs) + half_w + 0.05)
    ax.set_ylim(low - 0.3, 1.55)
    ax.axis("off")
    ax.set_title("loss.backward(): each node turns dL/d(its output) into dL/d(its inputs), "
                 "right to left; the leaves add into .grad", fontsize=10)
    fig.subplots_adjust(left=0.01, right=0.99, top=0.92, bottom=0.02)
    return fig
