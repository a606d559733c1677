"""Notebook 06's picture of the backward graph: the walk finds every autograd node once,
labels the parameter leaves, and the drawing is readable and slide-sized."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest

from cnnlib.figures.pytorch_bridge import backward_graph, backward_graph_figure

torch = pytest.importorskip("torch")


def _question1_loss():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 1, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                              torch.nn.Flatten(), torch.nn.Linear(9, 1), torch.nn.Sigmoid()).double()
    x = torch.rand(1, 1, 8, 8, dtype=torch.float64)
    loss = torch.nn.functional.binary_cross_entropy(net(x), torch.ones(1, 1, dtype=torch.float64))
    names = {id(net[0].weight): "w1", id(net[0].bias): "b1", id(net[4].weight): "w3", id(net[4].bias): "b3"}
    return loss, names


def test_walk_finds_each_layer_step_and_the_four_parameters():
    loss, names = _question1_loss()
    nodes, edges = backward_graph(loss.grad_fn, names)
    kinds = [n.name for n in nodes]
    for part in ("BinaryCrossEntropy", "Sigmoid", "Addmm", "MaxPool2D", "Relu", "Convolution"):
        assert sum(part in kind for kind in kinds) == 1, kinds
    assert sorted(n.leaf for n in nodes if n.leaf) == ["b1", "b3", "w1", "w3"]
    assert nodes[0].depth == 0 and "BinaryCrossEntropy" in nodes[0].name
    conv = next(n for n in nodes if "Convolution" in n.name)
    relu = next(n for n in nodes if "Relu" in n.name)
    assert (relu.key, conv.key) in edges and conv.depth == relu.depth + 1
    assert len(edges) == len(nodes) - 1          # a tree here: every node reached once


def test_figure_readable_and_fits_a_slide():
    loss, names = _question1_loss()
    nodes, edges = backward_graph(loss.grad_fn, names)
    fig = backward_graph_figure(nodes, edges, notes={"ReluBackward0": "relu_backward"})
    width, height = fig.get_size_inches() * 90
    assert width <= 1200 and height <= 520
    texts = fig.axes[0].texts
    assert min(t.get_fontsize() for t in texts) * 90 / 72 >= 8
    assert any(t.get_text() == "relu_backward" for t in texts)
    assert sum("AccumulateGrad" in t.get_text() for t in texts) == 4
    plt.close(fig)


def test_bad_input():
    with pytest.raises(ValueError, match="grad_fn"):
        backward_graph(None, {})
