"""Shared helpers for the tests that need a browser, npm or a Jupyter server.

Policy: a missing tool makes the test skip with a one-line reason, except when the
environment variable CNNLIB_REQUIRE_BROWSER=1 is set (CI sets it): then it fails, so a
green CI run always means the browser checks really ran.

Chromium is Debian's (`apt-get install chromium`, /usr/bin/chromium, or the path in
$CNNLIB_CHROMIUM), driven by the `playwright` Python package; Playwright's own browser
download is never used.
"""
import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
ARTIFACTS = ROOT / "test-artifacts"

from cnnlib.site import CHROMIUM, CHROMIUM_ARGS, PAGE_STATE_JS  # noqa: E402,F401  (one definition, shared)

# Text that means a widget or the kernel failed, wherever it shows up on the page.
ERROR_TEXT = re.compile(
    r"Error displaying widget|model not found|Could not create (?:a )?(?:model|view)|"
    r"Failed to load model class|Traceback \(most recent call last\)|"
    r"There was an error when executing cell|Kernel (?:error|died)", re.IGNORECASE)


def browser_required():
    """True when a missing browser/npm/server must fail the run instead of skipping."""
    return os.environ.get("CNNLIB_REQUIRE_BROWSER", "") not in ("", "0")


def skip_or_fail(reason):
    """Skip with `reason`, or fail with it when CNNLIB_REQUIRE_BROWSER=1."""
    if browser_required():
        pytest.fail(f"{reason} (CNNLIB_REQUIRE_BROWSER=1, so this fails instead of skipping)")
    pytest.skip(reason)


def browser_unavailable_reason():
    """None if Playwright and Chromium are usable, else a one-line reason."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed (pip install playwright)"
    if not (os.access(CHROMIUM, os.X_OK) or shutil.which(CHROMIUM)):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium, or set CNNLIB_CHROMIUM)"
    return None


def require_browser():
    reason = browser_unavailable_reason()
    if reason:
        skip_or_fail(reason)


def chromium_context(width=1280, height=1200):
    """A headless Chromium with a fresh, throw-away profile (a Playwright BrowserContext)."""
    from cnnlib.site import chromium
    return chromium(width, height)


_BUILT_SITES = {}


def series_site(tmp_path_factory):
    """The series' offline site, built once per test process (test_site, test_slides share it).
    Skips (or fails under CNNLIB_REQUIRE_BROWSER=1) when npm cannot vendor the front end."""
    from cnnlib import site
    if "series" not in _BUILT_SITES:
        if not site.series_notebooks(NOTEBOOKS):
            pytest.fail(f"no NN_topic.ipynb notebooks in {NOTEBOOKS}")
        started = time.perf_counter()
        try:
            report = site.build_site(NOTEBOOKS, tmp_path_factory.mktemp("site") / "site")
        except site.AssetsUnavailable as error:
            skip_or_fail(f"cannot vendor the site's front-end files: {error}")
        report.seconds = time.perf_counter() - started
        print(f"site built in {report.seconds:.1f} s: {len(report.files)} pages")
        _BUILT_SITES["series"] = report
    return _BUILT_SITES["series"]


class PageWatch:
    """Records what a page asked for outside `allowed_prefixes` (and aborts it), the
    requests that failed, and the console errors and uncaught exceptions."""

    def __init__(self, page, allowed_prefixes):
        self.blocked, self.failed, self.errors = [], [], []
        self.allowed = tuple(allowed_prefixes)

        def route(route):
            url = route.request.url
            if url.startswith(self.allowed):
                route.continue_()
            else:
                self.blocked.append(url)
                route.abort()

        page.route("**/*", route)
        page.on("requestfailed", lambda request: self.failed.append(
            f"{request.url} ({request.failure})"))
        page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))

    def widget_errors(self):
        """Console errors that come from widgets or the kernel (resource errors excluded)."""
        return [e for e in self.errors if ERROR_TEXT.search(e)]


def error_text_on(page):
    """The first widget/kernel error message shown in a cell's output area, or None.

    Only outputs are searched: the notebooks' prose may name these messages (as a
    troubleshooting hint) without anything being wrong."""
    texts = page.eval_on_selector_all(
        ".jp-OutputArea-output, .jupyter-widgets, .widget-html",
        "els => els.map(e => e.innerText || '')")
    match = ERROR_TEXT.search("\n".join(texts))
    return match.group(0) if match else None


UNRENDERED_VIEWS_JS = f"""() => {{
  const state = ({PAGE_STATE_JS})();
  return {{views: state.widget_views, unrendered: state.not_drawn}};
}}"""


def static_widget_views(page):
    """In an nbconvert page: {"views": widget views on the page, "unrendered": how many of
    them the html-manager left empty (it draws nothing when a model's state is missing)}."""
    return page.evaluate(UNRENDERED_VIEWS_JS)


def normalized(text):
    """Text with every kind of whitespace removed (tables render with tabs/newlines)."""
    return re.sub(r"\s+", "", text)


def html_text(markup):
    """The visible text of an HTML fragment (tags dropped, entities decoded)."""
    from html.parser import HTMLParser

    parts = []
    parser = HTMLParser(convert_charrefs=True)
    parser.handle_data = parts.append
    parser.feed(markup)
    parser.close()
    return "".join(parts)


# ------------------------------------------------------------------- Voilà server

def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def voila_unavailable_reason():
    try:
        import voila  # noqa: F401
    except ImportError:
        return "voila is not installed (pip install voila)"
    return None


def _wait_for_http(process, url, timeout, log_path, name):
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited ({process.returncode}): {Path(log_path).read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not answer on {url} within {timeout} s")
        time.sleep(0.3)


@contextlib.contextmanager
def _server(command, url, probe_path, name, env=None, cwd=None, timeout=60):
    """Run a Jupyter server process until the block ends; yields `url` once it answers."""
    with tempfile.TemporaryDirectory(prefix=f"cnnlib-{name.lower()}-") as tmp:
        log_path = Path(tmp) / "server.log"
        with open(log_path, "w") as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd)
            try:
                _wait_for_http(process, url + probe_path, timeout, log_path, name)
                yield url
            finally:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


@contextlib.contextmanager
def voila_server(notebooks_dir, timeout=60):
    """Voilà serving `notebooks_dir` on 127.0.0.1 (a kernel per opened notebook). Yields its URL."""
    port = free_port()
    command = [sys.executable, "-m", "voila", str(notebooks_dir), "--no-browser", f"--port={port}",
               "--Voila.ip=127.0.0.1", "--show_tracebacks=True"]
    with _server(command, f"http://127.0.0.1:{port}", "/", "Voilà", cwd=notebooks_dir,
                 timeout=timeout) as url:
        yield url


def jupyterlab_unavailable_reason():
    try:
        import jupyterlab  # noqa: F401
        import jupyterlab_widgets  # noqa: F401
    except ImportError as error:
        return f"{error.name} is not installed (pip install jupyterlab ipywidgets)"
    return None


@contextlib.contextmanager
def jupyterlab_server(notebooks_dir, timeout=90):
    """JupyterLab on 127.0.0.1 over a throw-away COPY of `notebooks_dir` (running cells
    there never touches the committed notebooks), no token, fresh settings and workspace.
    Cells are all attached to the page (windowingMode "none"), so every widget can be
    found without scrolling. Yields its URL."""
    with tempfile.TemporaryDirectory(prefix="cnnlib-lab-") as tmp:
        tmp = Path(tmp)
        root = tmp / "notebooks"
        shutil.copytree(notebooks_dir, root)
        settings = tmp / "settings" / "@jupyterlab" / "notebook-extension"
        settings.mkdir(parents=True)
        (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
        # No "get notified about Jupyter news?" toast over the screenshots (and no fetching).
        notification = tmp / "settings" / "@jupyterlab" / "apputils-extension"
        notification.mkdir(parents=True)
        (notification / "notification.jupyterlab-settings").write_text(
            '{"fetchNews": "false", "checkForUpdates": false}')
        env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(tmp / "settings"),
                   JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"), JUPYTER_RUNTIME_DIR=str(tmp / "runtime"))
        port = free_port()
        command = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
                   "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=", "--ServerApp.password=",
                   "--allow-root", f"--ServerApp.root_dir={root}"]
        with _server(command, f"http://127.0.0.1:{port}", "/lab", "JupyterLab", env=env,
                     timeout=timeout) as url:
            yield url


def run_all_cells_in_jupyterlab(page, timeout_ms=180_000, attempts=3):
    """Run > Run All Cells, then wait until the kernel is idle and no cell is pending."""
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=timeout_ms)
    started = "() => [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')].some(p => p.innerText.includes('*'))"
    for attempt in range(attempts):
        # Focus the notebook (select its first cell), or the Run menu acts on nothing.
        page.locator(".jp-Notebook .jp-Cell .jp-InputPrompt").first.click()
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        # The stored outputs already carry prompt numbers: first see the run start ([*]).
        try:
            page.wait_for_function(started, timeout=10_000, polling=100)
            break
        except Exception:
            page.keyboard.press("Escape")   # close a menu left open
            if attempt == attempts - 1:
                raise
    page.wait_for_function(
        """() => {
          const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')];
          const busy = document.querySelector(".jp-Notebook-ExecutionIndicator[data-status='busy']");
          return !busy && prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.innerText));
        }""", timeout=timeout_ms, polling=500)


# ------------------------------------------------------------------- widget actions
# Every control and output carries a CSS class `cnnlib-<topic>-<name>` (see the widget
# builders). ipywidgets 8 puts the class on the widget's outer element.

def widget(page, css_class):
    return page.locator(f".{css_class}").first


def read_control(page, css_class):
    """The value a control displays: a number for a slider, the label for a dropdown or
    toggle buttons, True/False for a checkbox."""
    element = widget(page, css_class)
    classes = element.get_attribute("class") or ""
    if "widget-slider" in classes:
        return parse_number(element.locator(".widget-readout").inner_text())
    if "widget-dropdown" in classes:
        return element.locator("select").evaluate("s => s.options[s.selectedIndex].text")
    if "widget-toggle-buttons" in classes:
        return element.locator("button.mod-active").inner_text().strip()
    if "widget-checkbox" in classes:
        return element.locator("input").is_checked()
    if element.evaluate("e => e.tagName") == "BUTTON":
        return None   # a button has no value; what it does shows in the outputs
    raise ValueError(f"don't know how to read control .{css_class} (classes: {classes})")


def parse_number(text):
    text = text.strip().replace("\u2212", "-")
    value = float(text)
    return int(value) if re.fullmatch(r"-?\d+", text) else value


def press_slider_keys(page, css_class, presses, timeout=15_000):
    """Move a slider like a person: focus its handle and press ArrowRight (presses > 0) or
    ArrowLeft (< 0) that many times, waiting for the readout after each press. At the end
    of its range the slider goes the other way instead. Returns the final readout."""
    element = widget(page, css_class)
    handle = element.locator(".noUi-handle").first
    low, high = (float(handle.get_attribute(a)) for a in ("aria-valuemin", "aria-valuemax"))
    current = read_control(page, css_class)
    direction = 1 if presses > 0 else -1
    if (direction > 0 and current >= high) or (direction < 0 and current <= low):
        direction = -direction
    for _ in range(abs(presses)):
        if (direction > 0 and current >= high) or (direction < 0 and current <= low):
            break
        handle.focus()
        page.keyboard.press("ArrowRight" if direction > 0 else "ArrowLeft")
        previous = current
        _wait_until(lambda: read_control(page, css_class) != previous, timeout,
                    f"slider .{css_class} did not move from {previous}")
        current = read_control(page, css_class)
    return current


def type_into_slider(page, css_class, target):
    """Set a slider by typing into its readout (for long jumps: one kernel update)."""
    readout = widget(page, css_class).locator(".widget-readout")
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(str(target))
    page.keyboard.press("Enter")
    _wait_until(lambda: _close(read_control(page, css_class), target), 15_000,
                f"slider .{css_class} readout did not become {target}")
    readout.evaluate("element => element.blur()")


def choose(page, css_class, label):
    """Pick `label` in a dropdown or among toggle buttons."""
    element = widget(page, css_class)
    if element.locator("select").count():
        element.locator("select").select_option(label=str(label))
    else:
        element.locator("button", has_text=str(label)).first.click()


def click(page, css_class):
    """Press a button."""
    element = widget(page, css_class)
    target = element if (element.evaluate("e => e.tagName") == "BUTTON") else element.locator("button").first
    target.click()


def _close(a, b):
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(a - b) <= 1e-9 + 1e-6 * abs(b)
    return a == b


def _wait_until(condition, timeout_ms, message):
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        try:
            if condition():
                return
        except Exception:   # the element may be re-rendering
            pass
        if time.monotonic() > deadline:
            raise AssertionError(message)
        time.sleep(0.05)


def drag_slider_handle(page, css_class, target, timeout=15_000):
    """Move a slider with the mouse, as a presenter does: drag its handle to where `target`
    sits on the track, then wait until the readout shows `target`. (Arrow keys are no good
    in a reveal.js slideshow: reveal.js takes them to change slides.) Returns the readout."""
    element = widget(page, css_class)
    handle = element.locator(".noUi-handle").first
    low, high = (float(handle.get_attribute(a)) for a in ("aria-valuemin", "aria-valuemax"))
    track = element.locator(".noUi-base").first.bounding_box()
    box = handle.bounding_box()
    x = track["x"] + track["width"] * (float(target) - low) / (high - low)
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] / 2, y)
    page.mouse.down()
    page.mouse.move(x, y, steps=8)
    page.mouse.up()
    _wait_until(lambda: _close(read_control(page, css_class), target), timeout,
                f"slider .{css_class} readout did not become {target} after dragging its handle")
    return read_control(page, css_class)
