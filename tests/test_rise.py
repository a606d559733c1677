"""Live presenting: RISE (jupyterlab-rise) on notebook 01, with the explorer working.

What a lecturer does, in headless Chromium against a real JupyterLab on 127.0.0.1:
open notebooks/01 in JupyterLab, Run > Run All Cells, select the explorer's cell, press
Alt+R ("Render as Reveal Slideshow"). RISE saves the notebook and opens the slideshow in a
panel (an iframe on /rise/<path>, starting at the slide of the selected cell, on the
notebook's own kernel). On that slide the test drags the handle of the explorer's
"window row" slider one step right with the mouse (arrow keys would change the slide:
reveal.js takes them even from a focused slider) and waits until the explorer's summary says exactly what
cnnlib.widgets.maxpool_routing's pure update function gives for the new values.
Screenshot: test-artifacts/browser/01-rise.png.

Skips with a one-line reason without Chromium/JupyterLab/jupyterlab-rise, or when the
installed widget manager cannot load inside RISE's app (see rise_widgets_blocker), unless
CNNLIB_REQUIRE_BROWSER=1 (then it fails). To try a widget front end without touching the
environment, put a directory holding its labextensions/@jupyter-widgets/jupyterlab-manager
first on JUPYTER_PATH (e.g. unpacked from the jupyterlab_widgets 3.0.10 wheel): the check and
the test's JupyterLab both use it. CNNLIB_RISE_JUPYTER_PATH does that for this test alone:
.ci/run unpacks the jupyterlab_widgets 3.0.10 front end there (the newest that RISE 0.43.1 can
load), so CI proves the explorer runs live in RISE with it, while every other test keeps the
front end requirements.txt installs.
"""
import os
import json
import re
import time
from pathlib import Path

import nbformat
import pytest

from browser_support import (
    ARTIFACTS, NOTEBOOKS, PageWatch, chromium_context, error_text_on, html_text, jupyterlab_server,
    jupyterlab_unavailable_reason, drag_slider_handle, normalized, read_control, require_browser,
    run_all_cells_in_jupyterlab, skip_or_fail,
)

pytestmark = pytest.mark.browser

NOTEBOOK = "01_maxpool_gradient_routing.ipynb"
BOX = "cnnlib-maxpool-routing"
SUMMARY = "cnnlib-maxpool-routing-summary"
CONTROLS = {name: f"{BOX}-{name.replace('_', '-')}"
            for name in ("window_row", "window_col", "digit_index", "seed", "nudge")}
TIMEOUT_MS = 180_000
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def rise_unavailable_reason():
    try:
        import jupyterlab_rise  # noqa: F401
    except ImportError:
        return "jupyterlab-rise is not installed (pip install jupyterlab-rise)"
    return None


def rise_widgets_blocker():
    """None if the widget manager JupyterLab would serve can load inside RISE's own app.

    RISE's /rise/ page is a separate JupyterLab-like app with its own shared modules
    (jupyterlab-rise 0.43.1: JupyterLab 4.3.4's, without @jupyterlab/console). A federated
    extension that needs a core package the app does not share fails to load there; for
    @jupyter-widgets/jupyterlab-manager (jupyterlab_widgets >= 3.0.11, i.e. ipywidgets >= 8.1.3,
    which need @jupyterlab/console) every widget then shows as its text repr in the slideshow
    (jupyterlab-contrib/rise issues 119 and 126)."""
    import jupyterlab_rise
    from jupyter_core.paths import jupyter_path
    from jupyterlab_server.config import get_federated_extensions

    bundle = Path(jupyterlab_rise.__file__).parent / "static" / "bundle.js"
    if not bundle.exists():
        return None   # a layout we do not know: let the browser decide
    shared = set(re.findall(r'\bi\("((?:@[\w.-]+/)?[\w.-]+)","\d', bundle.read_text(errors="replace")))
    if "@jupyterlab/application" not in shared:
        return None   # not the bundle layout this check knows: let the browser decide
    manager = get_federated_extensions(jupyter_path("labextensions")).get("@jupyter-widgets/jupyterlab-manager")
    if manager is None:
        return "the ipywidgets front end (jupyterlab_widgets) is not installed"
    missing = sorted(d for d in manager["dependencies"]
                     if d.startswith(("@jupyterlab/", "@lumino/")) and d not in shared)
    if missing:
        return (f"jupyterlab_widgets' front end {manager['version']} needs {', '.join(missing)}, which "
                f"jupyterlab-rise's app does not provide: widgets show as text in RISE (pin "
                f"ipywidgets==8.1.2 jupyterlab_widgets==3.0.10)")
    return None


def explorer_cell_index():
    """The index of the cell that displays the explorer (its stored output is a widget view)."""
    notebook = nbformat.read(NOTEBOOKS / NOTEBOOK, as_version=4)
    for index, cell in enumerate(notebook.cells):
        if any(WIDGET_VIEW in output.get("data", {}) for output in cell.get("outputs", [])):
            return index
    pytest.fail(f"{NOTEBOOK} displays no widget")


def expected_summary(values):
    from cnnlib.widgets.maxpool_routing import routing_state, routing_summary_html
    markup = routing_summary_html(routing_state(values["digit_index"], values["seed"], values["window_row"],
                                                values["window_col"], values["nudge"]))
    return normalized(html_text(markup))


class _InFrame:
    """The slideshow's iframe, shaped like a page for browser_support's widget helpers
    (they use .locator, .eval_on_selector_all, .keyboard and .mouse, all in page coordinates)."""

    def __init__(self, page, frame):
        self.frame, self.keyboard, self.mouse = frame, page.keyboard, page.mouse

    def locator(self, selector):
        return self.frame.locator(selector)

    def eval_on_selector_all(self, selector, script):
        return self.frame.eval_on_selector_all(selector, script)


def _slideshow_frame(page, timeout_s=60):
    page.wait_for_selector("iframe", timeout=timeout_s * 1000)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for frame in page.frames:
            if "/rise/" in frame.url:
                return frame
        page.wait_for_timeout(200)   # (lets Playwright see new frames; time.sleep would not)
    raise AssertionError("Alt+R opened no RISE slideshow (no iframe on /rise/)")


def _summary_text(slides):
    return normalized(slides.locator(f".{SUMMARY}").first.inner_text())


def _wait_for_summary(slides, expected, what, timeout_s=30):
    deadline = time.monotonic() + timeout_s
    while (shown := _summary_text(slides)) != expected:
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: the slideshow's explorer shows {shown[:300]!r}, "
                                 f"the update function gives {expected[:300]!r}")
        time.sleep(0.1)


def test_rise_slideshow_explorer_is_live(monkeypatch):
    require_browser()
    front_end = os.environ.get("CNNLIB_RISE_JUPYTER_PATH")
    if front_end:
        monkeypatch.setenv("JUPYTER_PATH", os.pathsep.join(p for p in (front_end, os.environ.get("JUPYTER_PATH")) if p))
    for reason in (jupyterlab_unavailable_reason(), rise_unavailable_reason(), rise_widgets_blocker()):
        if reason:
            skip_or_fail(reason)
    index = explorer_cell_index()
    started = time.monotonic()
    with jupyterlab_server(NOTEBOOKS) as url, chromium_context(1600, 900) as browser:
        page = browser.new_page()
        watch = PageWatch(page, allowed_prefixes=("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:"))
        page.goto(f"{url}/lab/tree/{NOTEBOOK}?reset", timeout=TIMEOUT_MS)
        page.locator(".jp-Notebook").first.wait_for(timeout=TIMEOUT_MS)
        run_all_cells_in_jupyterlab(page, TIMEOUT_MS)
        ran = time.monotonic() - started

        # Select the explorer's cell (command mode), then View > Render as Reveal Slideshow.
        page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".jp-InputPrompt").click()
        page.keyboard.press("Escape")
        page.keyboard.press("Alt+r")
        frame = _slideshow_frame(page)
        slides = _InFrame(page, frame)
        frame.wait_for_selector(".reveal .slides section.present", timeout=TIMEOUT_MS)
        explorer = frame.locator(f".reveal .slides section.present .{BOX}").first
        try:
            explorer.wait_for(state="visible", timeout=30_000)
        except Exception:
            text_repr = frame.locator(".jp-OutputArea-output", has_text="MaxpoolRoutingExplorer(").count()
            raise AssertionError("the slideshow opened, but its current slide shows no live explorer"
                                 + (" (the widget is drawn as its text repr: the widget manager did not "
                                    "load in RISE)" if text_repr else "")) from None
        assert error_text_on(slides) is None, f"the slideshow shows: {error_text_on(slides)}"

        values = {name: read_control(slides, css) for name, css in CONTROLS.items()}
        _wait_for_summary(slides, expected_summary(values), f"on the slide, with {values}")
        before = dict(values)
        drag_slider_handle(slides, CONTROLS["window_row"], before["window_row"] + 1)
        values = {name: read_control(slides, css) for name, css in CONTROLS.items()}
        assert values["window_row"] != before["window_row"], "the drag did not move the slider"
        assert {k: v for k, v in values.items() if k != "window_row"} == \
            {k: v for k, v in before.items() if k != "window_row"}, f"other controls moved: {before} -> {values}"
        _wait_for_summary(slides, expected_summary(values), f"after dragging window row -> {values}")
        assert explorer.is_visible(), "the drag left the explorer's slide"
        assert error_text_on(slides) is None, f"after the drag: {error_text_on(slides)}"
        assert not watch.widget_errors(), f"browser console: {watch.widget_errors()}"

        out = ARTIFACTS / "browser"
        out.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out / "01-rise.png"))
        print(f"RISE on {NOTEBOOK}: Run All {ran:.1f} s, total {time.monotonic() - started:.1f} s, "
              f"{before} -> {values}")
        page.close()
