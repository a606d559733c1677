"""Every widget of every notebook, moved by a person's keys in a real browser.

Two real front ends on 127.0.0.1, opened in headless Chromium through Playwright:
- Voilà, for every notebook with widgets: it runs the notebook in a fresh kernel and
  renders the outputs with JupyterLab's own widget manager (jupyterlab_widgets), with
  none of JupyterLab's UI, so it is the quick, robust way to reach every widget;
- JupyterLab itself, for the question notebooks (JUPYTERLAB_NOTEBOOKS): open the notebook,
  Run > Run All Cells, then the same steps. This is what "works in JupyterLab" means,
  including a jupyterlab_widgets that matches JupyterLab.
For each step of the notebook's entry in SPECS the test moves one
control (slider handle focused + arrow keys, readout typing for long jumps, dropdown,
button), reads every control back from the page, computes with the notebook's own pure
update function what the outputs must say for those values, and waits until the page
shows exactly that. Pictures must redraw. Any "Error displaying widget", "model not
found" or kernel traceback fails the test. A screenshot per notebook goes to
test-artifacts/browser/ (<notebook>-<front end>[-widget].png).

To cover a new widget: add a NotebookSpec to SPECS (controls, outputs with the function
that renders them, steps). test_every_widget_notebook_has_a_spec fails until you do.

Skips without Chromium/playwright/voila/jupyterlab, unless CNNLIB_REQUIRE_BROWSER=1 (then fails).
"""
import time
from dataclasses import dataclass, field
from typing import Optional

import nbformat
import pytest

from browser_support import (
    ARTIFACTS, NOTEBOOKS, PageWatch, choose, chromium_context, click, error_text_on, html_text,
    jupyterlab_server, jupyterlab_unavailable_reason, normalized, press_slider_keys, read_control,
    require_browser, run_all_cells_in_jupyterlab, skip_or_fail, type_into_slider, voila_server,
    voila_unavailable_reason, widget,
)
from cnnlib.site import displayed_widget_models, series_notebooks

pytestmark = pytest.mark.browser

CONTROL_SELECTOR = (".widget-slider, .widget-dropdown, .widget-toggle-buttons, .widget-checkbox, "
                    "button.jupyter-button, .widget-text, .widget-textarea")
# JupyterLab itself runs these too (Run All, then the same steps): the question notebooks.
JUPYTERLAB_NOTEBOOKS = ("01_maxpool_gradient_routing.ipynb", "02_conv_weight_gradient.ipynb",
                        "03_delta_full_convolution.ipynb")
RENDER_TIMEOUT_MS = 180_000   # Voilà runs the whole notebook before the page is complete
UPDATE_TIMEOUT_S = 30


@dataclass
class Step:
    """One thing a person does. `control` is a key of NotebookSpec.controls.

    by: "keys" (arrow keys on the slider handle, `amount` steps; bounces off the end),
    "type" (type `amount` into the slider's readout), "choose" (pick option `amount`),
    "click" (press the button). redraws: False for a step that leaves the pictures as
    they were (the test then only checks they still show an image). updates: False for a
    control that only takes effect later (e.g. when a Train button is pressed): the outputs
    must then stay exactly as they were.
    """
    control: str
    amount: object = 1
    by: str = "keys"
    redraws: bool = True
    updates: bool = True


@dataclass
class NotebookSpec:
    """How to drive one notebook's widget and what it must show.

    controls: argument name -> CSS class of the control (its displayed value is read back);
    outputs: CSS class of an ipywidgets.HTML -> function(controls dict) -> the HTML it must
    hold, or None where the value cannot be known from the controls alone;
    images: CSS classes of ipywidgets.Image that must redraw after every step;
    box: CSS class of the explorer (for the widget screenshot).
    check_on_load: False when the controls' readouts cannot be trusted before the first
    step (a FloatLogSlider's readout shows its value snapped to the slider's grid).
    """
    notebook: str
    controls: dict
    outputs: dict
    steps: list
    images: list = field(default_factory=list)
    box: Optional[str] = None
    check_on_load: bool = True


# ------------------------------------------------------------------ per-notebook tables

def _maxpool_summary(c):
    from cnnlib.widgets.maxpool_routing import routing_state, routing_summary_html
    return routing_summary_html(routing_state(c["digit_index"], c["seed"], c["window_row"],
                                              c["window_col"], c["nudge"]))


# Notebook 02's numbers (section 1): seed 0 shows them, so the explorer's state on load is checked too.
WEIGHT_GRADIENT_GIVEN = ([[2, 3, 2], [1, 1, -2], [1, 3, 1]], [[-1, 2], [-1, 2]], [[3, 1], [-3, -2]])


def _weight_gradient_summary(c):
    import numpy as np
    from cnnlib.widgets.weight_gradient import random_question_numbers, view_html, weight_gradient_view
    if c["seed"] == 0:
        inputs, w1, w2 = (np.array(a, dtype=float) for a in WEIGHT_GRADIENT_GIVEN)
    else:
        inputs, w1, w2 = random_question_numbers(c["seed"])
    return view_html(weight_gradient_view(inputs, w1, w2, c["target"], c["weight"]))


def _full_convolution_summary(c):
    from cnnlib.widgets.full_convolution import describe_state, full_convolution_state
    return describe_state(full_convolution_state(c["kernel_size"], c["stride"], c["padding"],
                                                 c["row"], c["col"]))


def _real_layers_summary(c):
    from cnnlib.widgets.real_layers import layer_shapes, layer_shapes_html
    return layer_shapes_html(layer_shapes(**c))


def _real_layers_picture(c):
    from cnnlib.figures.real_layers import window_grid_svg
    from cnnlib.widgets.real_layers import layer_shapes
    return window_grid_svg(c["height"], c["width"], c["kernel"], c["stride"], c["padding"],
                           error=layer_shapes(**c).error)


def _training_summary(c):
    from cnnlib.widgets.training import result_html, retrain
    return result_html(retrain(int(c["first_digit"]), int(c["second_digit"]), int(c["num_kernels"]),
                               float(c["learning_rate"]), c["epochs"], restarts=3, seed=0))


def _controls(topic, *names):
    """{argument name: CSS class}, the builders' convention: cnnlib-<topic>-<name with dashes>."""
    return {name: f"cnnlib-{topic}-{name.replace('_', '-')}" for name in names}


SPECS = [
    NotebookSpec(
        notebook="01_maxpool_gradient_routing.ipynb",
        controls=_controls("maxpool-routing", "window_row", "window_col", "digit_index", "seed", "nudge"),
        outputs={"cnnlib-maxpool-routing-summary": _maxpool_summary},
        images=["cnnlib-maxpool-routing-picture"],
        box="cnnlib-maxpool-routing",
        steps=[Step("window_row", 1), Step("window_col", 1), Step("window_row", -1),
               Step("nudge", 2, redraws=False), Step("seed", 1), Step("digit_index", 7, by="type")],
    ),
    NotebookSpec(
        notebook="02_conv_weight_gradient.ipynb",
        controls=_controls("weight-gradient", "weight", "seed", "target"),
        outputs={"cnnlib-weight-gradient-summary": _weight_gradient_summary},
        images=["cnnlib-weight-gradient-picture"],
        box="cnnlib-weight-gradient",
        steps=[Step("seed", 3), Step("weight", 1), Step("weight", 2), Step("target", 2)],
    ),
    NotebookSpec(
        notebook="03_delta_full_convolution.ipynb",
        controls=_controls("full-convolution", "kernel_size", "stride", "padding", "row", "col"),
        outputs={"cnnlib-full-convolution-summary": _full_convolution_summary},
        images=["cnnlib-full-convolution-image"],
        box="cnnlib-full-convolution",
        steps=[Step("row", 1), Step("col", -1), Step("stride", 1), Step("padding", 1),
               Step("kernel_size", -1), Step("stride", -1)],
    ),
    NotebookSpec(
        notebook="04_real_conv_layers.ipynb",
        controls=_controls("real-layers", "batch", "channels", "filters", "height", "width", "kernel",
                           "stride", "padding"),
        # The picture is inline SVG (numbers as real text): its text is checked like the summary's.
        outputs={"cnnlib-real-layers-summary": _real_layers_summary,
                 "cnnlib-real-layers-picture": _real_layers_picture},
        box="cnnlib-real-layers",
        # The explorer loads in the layer its text describes (8x7, k=3, s=2, p=1); typing then
        # arrow keys walk through every control.
        steps=[Step("batch", 1), Step("channels", 1), Step("filters", -1), Step("height", 9, by="type"),
               Step("width", 10, by="type"), Step("kernel", -1), Step("stride", 1), Step("padding", 1)],
    ),
    NotebookSpec(
        notebook="05_training_on_digits.ipynb",
        controls=_controls("training", "first_digit", "second_digit", "num_kernels", "learning_rate",
                           "epochs", "train_button"),
        outputs={"cnnlib-training-summary": _training_summary},
        images=["cnnlib-training-curves"],
        box="cnnlib-training",
        # On load the explorer must show what its caption says (8 vs 9, 4 kernels): the outputs
        # are checked against a fresh retrain with the controls read from the page.
        steps=[Step("first_digit", "3", by="choose", updates=False),
               Step("second_digit", "5", by="choose", updates=False),
               Step("num_kernels", "2", by="choose", updates=False),
               Step("learning_rate", "0.1", by="choose", updates=False),
               Step("epochs", -2, updates=False),
               Step("train_button", by="click")],
    ),
]


# ------------------------------------------------------------------ the tests

def _present_specs():
    names = {p.name for p in series_notebooks(NOTEBOOKS)}
    return [s for s in SPECS if s.notebook in names]


def test_every_widget_notebook_has_a_spec():
    """A notebook that displays widgets must be driven here (no widget goes untested)."""
    covered = {s.notebook for s in SPECS}
    for path in series_notebooks(NOTEBOOKS):
        if displayed_widget_models(nbformat.read(path, as_version=4)):
            assert path.name in covered, f"{path.name} shows widgets: add a NotebookSpec to SPECS"


def _serve_notebooks(unavailable_reason, server):
    """Start `server` over notebooks/ once Chromium and the server's packages are there."""
    require_browser()
    reason = unavailable_reason()
    if reason:
        skip_or_fail(reason)
    return server(NOTEBOOKS)


@pytest.fixture(scope="module")
def voila_url():
    with _serve_notebooks(voila_unavailable_reason, voila_server) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    require_browser()
    with chromium_context() as context:
        yield context


def _expected_texts(spec, values):
    expected = {}
    for css, render in spec.outputs.items():
        markup = render(values)
        if markup is not None:
            expected[css] = normalized(html_text(markup))
    return expected


def _output_texts(page, spec):
    return {css: normalized(widget(page, css).inner_text()) for css in spec.outputs}


def _image_sources(page, spec):
    return {css: widget(page, css).get_attribute("src") for css in spec.images}


def _wait_for_outputs(page, spec, expected, images_before, step_name):
    """Poll until every output shows its expected text and every picture has redrawn."""
    deadline = time.monotonic() + UPDATE_TIMEOUT_S
    while True:
        shown = _output_texts(page, spec)
        images = _image_sources(page, spec)
        texts_ok = all(shown[css] == text for css, text in expected.items())
        images_ok = images_before is None or all(images[c] != images_before[c] for c in spec.images)
        images_ok = images_ok and all(widget(page, c).evaluate("img => img.complete && img.naturalWidth > 0")
                                      for c in spec.images)
        if texts_ok and images_ok:
            return
        if time.monotonic() > deadline:
            wrong = {css: (shown[css][:300], expected[css][:300]) for css in expected
                     if shown[css] != expected[css]}
            stale = [c for c in spec.images if images_before and images[c] == images_before[c]]
            raise AssertionError(f"after {step_name}: outputs (shown, expected) {wrong}; "
                                 f"pictures not redrawn: {stale}")
        time.sleep(0.1)


def _settled_controls(page, spec, quiet_seconds=1.5):
    """The controls' values once none has changed for `quiet_seconds`."""
    deadline = time.monotonic() + UPDATE_TIMEOUT_S
    values = {name: read_control(page, css) for name, css in spec.controls.items()}
    quiet_since = time.monotonic()
    while time.monotonic() - quiet_since < quiet_seconds:
        assert time.monotonic() < deadline, f"controls keep changing: {values}"
        time.sleep(0.1)
        now = {name: read_control(page, css) for name, css in spec.controls.items()}
        if now != values:
            values, quiet_since = now, time.monotonic()
    return values


def _perform(page, spec, step):
    css = spec.controls[step.control]
    if step.by == "keys":
        press_slider_keys(page, css, step.amount)
    elif step.by == "type":
        type_into_slider(page, css, step.amount)
    elif step.by == "choose":
        choose(page, css, step.amount)
    elif step.by == "click":
        click(page, css)
    else:
        raise ValueError(f"unknown step kind {step.by!r}")


def _drive(page, spec, front_end):
    """Check the widget of `spec` on an opened page, move every control, check the outputs."""
    started = time.monotonic()
    for css in [*spec.controls.values(), *spec.outputs, *spec.images]:
        page.locator(f".{css}").first.wait_for(state="visible", timeout=RENDER_TIMEOUT_MS)
    assert error_text_on(page) is None, f"{spec.notebook} shows: {error_text_on(page)}"

    # Every control on the page is one the spec drives.
    on_page = set(page.eval_on_selector_all(
        CONTROL_SELECTOR, "els => els.flatMap(e => [...e.classList].filter(c => c.startsWith('cnnlib-')))"))
    untested = on_page - set(spec.controls.values())
    assert not untested, f"{spec.notebook}: controls {sorted(untested)} are not in its NotebookSpec"
    assert set(spec.controls) == {s.control for s in spec.steps}, "every control needs a step"

    values = {name: read_control(page, css) for name, css in spec.controls.items()}
    if spec.check_on_load:
        _wait_for_outputs(page, spec, _expected_texts(spec, values), None, "loading")
    checked = 0
    for step in spec.steps:
        before_values = values
        images_before = _image_sources(page, spec)
        texts_before = _output_texts(page, spec)
        _perform(page, spec, step)
        if step.by == "click":   # a button may move controls: wait until they settle
            values = _settled_controls(page, spec)
        else:
            values = {name: read_control(page, css) for name, css in spec.controls.items()}
            assert values != before_values, f"{step} changed no control"
        if step.updates:
            expected = _expected_texts(spec, values)
            checked += len(expected)
            _wait_for_outputs(page, spec, expected, images_before if step.redraws else None,
                              f"{step} -> {values}")
        else:
            time.sleep(1.0)
            assert _output_texts(page, spec) == texts_before, f"{step} changed the outputs"
        assert error_text_on(page) is None, f"after {step}: {error_text_on(page)}"
    assert checked >= sum(s.updates for s in spec.steps) - 1, "almost no step had a computable expected output"

    out = ARTIFACTS / "browser"
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{spec.notebook.removesuffix('.ipynb')}-{front_end}"
    page.screenshot(path=str(out / f"{stem}.png"))
    box = (page.locator(f".{spec.box}").first if spec.box
           else widget(page, next(iter(spec.outputs))).locator("xpath=.."))
    box.scroll_into_view_if_needed()
    box.screenshot(path=str(out / f"{stem}-widget.png"))
    return time.monotonic() - started


@pytest.mark.parametrize("spec", _present_specs(), ids=lambda s: s.notebook.split("_")[0])
def test_widgets_respond_in_voila(spec, browser, voila_url):
    page = browser.new_page()
    watch = PageWatch(page, allowed_prefixes=("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:"))
    started = time.monotonic()
    # Voilà runs the whole notebook while it streams the page: "load" = every cell ran.
    page.goto(f"{voila_url}/voila/render/{spec.notebook}", timeout=RENDER_TIMEOUT_MS)
    load_seconds = time.monotonic() - started
    drive_seconds = _drive(page, spec, "voila")
    assert not watch.widget_errors(), f"browser console: {watch.widget_errors()}"
    print(f"Voilà {spec.notebook}: ran in {load_seconds:.1f} s, {len(spec.steps)} steps in {drive_seconds:.1f} s")
    page.close()


@pytest.fixture(scope="module")
def lab_url():
    with _serve_notebooks(jupyterlab_unavailable_reason, jupyterlab_server) as url:
        yield url


@pytest.mark.parametrize("spec", [s for s in _present_specs() if s.notebook in JUPYTERLAB_NOTEBOOKS],
                         ids=lambda s: s.notebook.split("_")[0])
def test_widgets_respond_in_jupyterlab(spec, browser, lab_url):
    """The same interactions in JupyterLab itself: open the notebook, Run All, drive it."""
    page = browser.new_page()
    watch = PageWatch(page, allowed_prefixes=("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:"))
    started = time.monotonic()
    page.goto(f"{lab_url}/lab/tree/{spec.notebook}?reset", timeout=RENDER_TIMEOUT_MS)
    page.locator(".jp-Notebook").first.wait_for(timeout=RENDER_TIMEOUT_MS)
    run_all_cells_in_jupyterlab(page, RENDER_TIMEOUT_MS)
    load_seconds = time.monotonic() - started
    drive_seconds = _drive(page, spec, "jupyterlab")
    assert not watch.widget_errors(), f"browser console: {watch.widget_errors()}"
    print(f"JupyterLab {spec.notebook}: ran in {load_seconds:.1f} s, {len(spec.steps)} steps in "
          f"{drive_seconds:.1f} s")
    page.close()
