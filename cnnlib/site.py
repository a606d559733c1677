"""Build the offline site: every notebook as HTML, reveal.js slides, and an index.

    python -m cnnlib.site              # reads notebooks/NN_*.ipynb, writes site/
    python -m cnnlib.site --out /tmp/s --execute always

The pages open with no network at all (a lecture hall without Wi-Fi, a USB stick):
everything a page loads comes from ``site/_static``, which this module fills from the
npm registry at build time with the machine's ``npm`` (``npm pack``, no dependency
tree), cached in ``~/.cache/cnnlib/site-assets`` (or ``$CNNLIB_ASSET_CACHE``):

- ``@jupyter-widgets/html-manager`` + ``requirejs`` draw the widgets from the state
  stored in the notebook (the widgets show what they showed when the notebook last
  ran; without a kernel, moving a slider does not recompute anything);
- MathJax 2 (the API nbconvert's templates call) typesets the formulas;
- reveal.js 4 and jQuery run the slides.

Widget state: a notebook committed after ``jupyter nbconvert --execute --inplace``
already carries it (nbclient stores it in ``metadata.widgets``), and its outputs are the
ones nbval checked, so by default (``--execute auto``) the builder reuses them and only
executes a notebook whose outputs are missing or whose widget views point at models
absent from the stored state.

Slides: cells keep any ``slideshow`` metadata the author set (slide / subslide / fragment /
skip / notes; "notes" cells become reveal's speaker notes, press S). A notebook with none is
cut at its Markdown headings: ``#``/``##`` start a slide, ``###`` a sub-slide (below). Decks
are laid out at 1280x720 and never scroll: `python -m cnnlib.site --check-slides NB...`
measures every slide in Chromium and lists the ones that do not fit.

Folded cells: a code cell with ``jupyter.source_hidden`` (the series' proofs and exercise
solutions) is drawn as a closed ``<details>`` whose summary is the cell's first comment line
("Proof: ...", "Solution (click to expand)"); a proof's outputs stay visible below it.
Solutions (tag ``solution``) and proofs (tag ``proof``) never appear in the slides.

Accessibility (axe-core, no serious or critical violation; `axe_violations`): prompts and
code-token colours reach 4.5:1, links in text are underlined, and a small script in every page
names what the widget manager draws at run time: each widget picture's alt text is written by
the builder from the notebook (`widget_picture_alt`: an author's ``cnnlib.alt`` cell metadata,
else the section heading and its sentence about the picture), each slider handle is labelled with
its description, and a deck's hidden slides are inert (none is hidden in the print layout).

Handouts: ``--pdf`` also prints every page (and deck) to ``NN_topic.pdf``
(``NN_topic.slides.pdf``) through headless Chromium.
"""
import argparse
import contextlib
import copy
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
NOTEBOOK_PATTERN = re.compile(r"^(\d\d)_.+\.ipynb$")

# What each page loads, from which npm package, and where it lands under _static/.
# Each entry: npm spec -> list of (path inside the package, path under _static).
# A trailing "/" copies a whole folder.
ASSET_PACKAGES = {
    "requirejs@^2.3": [("require.js", "require.js")],
    "@jupyter-widgets/html-manager@^1.0": [("dist/", "html-manager/")],
    "jquery@^3.7": [("dist/jquery.min.js", "jquery.min.js")],
    "reveal.js@^4.6": [
        ("dist/reveal.js", "reveal.js/dist/reveal.js"),
        ("dist/reveal.css", "reveal.js/dist/reveal.css"),
        ("dist/theme/white.css", "reveal.js/dist/theme/white.css"),
        ("dist/theme/fonts/source-sans-pro/", "reveal.js/dist/theme/fonts/source-sans-pro/"),
        ("plugin/notes/", "reveal.js/plugin/notes/"),
    ],
    # MathJax 2, not 3+: nbconvert's templates configure MathJax through the v2 API.
    "mathjax@2.7.9": [
        ("MathJax.js", "mathjax/MathJax.js"),
        ("config/TeX-AMS_CHTML-full.js", "mathjax/config/TeX-AMS_CHTML-full.js"),
        ("config/Safe.js", "mathjax/config/Safe.js"),
        ("extensions/", "mathjax/extensions/"),
        ("jax/input/TeX/", "mathjax/jax/input/TeX/"),
        ("jax/output/CommonHTML/", "mathjax/jax/output/CommonHTML/"),
        ("jax/output/PreviewHTML/", "mathjax/jax/output/PreviewHTML/"),
        ("jax/element/", "mathjax/jax/element/"),
        ("localization/en/", "mathjax/localization/en/"),
        ("fonts/HTML-CSS/TeX/woff/", "mathjax/fonts/HTML-CSS/TeX/woff/"),
    ],
}
# Source maps and the non-AMD bundles are never loaded by the pages.
SKIPPED_SUFFIXES = (".map", "embed.js", "libembed-amd.js", "embed.js.LICENSE.txt")

# URLs relative to a page in site/ (all pages sit at the top level).
STATIC = "_static"
SITE_MARKER = ".cnnlib-site"   # marks a folder the builder may replace
EXPORTER_URLS = {
    "require_js_url": f"{STATIC}/require.js",
    "widget_renderer_url": f"{STATIC}/html-manager/embed-amd.js",
    "mathjax_url": f"{STATIC}/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
    "jquery_url": f"{STATIC}/jquery.min.js",
}
REVEAL_URL_PREFIX = f"{STATIC}/reveal.js"
REVEAL_THEME = "white"   # its fonts are local; several other themes @import Google Fonts
SLIDE_WIDTH, SLIDE_HEIGHT = 1280, 720   # a projector; reveal scales the deck to the window
CLIP_TOLERANCE = 8   # px a line may overhang (padding, rounding): less than one code character
# Only the tests load these (never the site): accessibility checks.
TEST_PACKAGES = {"axe-core@^4.10": "axe.min.js"}
CHROMIUM = os.environ.get("CNNLIB_CHROMIUM", "/usr/bin/chromium")
# Flags that work on a machine with no network but the package registries: without the
# background-networking ones Chromium keeps trying (and failing) to reach Google.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
FOLD_TAGS = ("proof", "solution")

# nbconvert's templates, with the Mermaid loader (a CDN import) removed and a link back
# to the index added. The notebooks use no Mermaid diagrams.
_NAV = ('<nav class="cnnlib-nav" style="padding:0.4em 1em;font-family:sans-serif">'
        '<a href="index.html">&larr; all notebooks</a></nav>')
# A folded cell (see `fold_cells`): its input inside a closed <details> whose summary
# `fold_cells` put in the cell's metadata; the outputs stay visible below it (a proof's
# checks, a solution's "all cases pass").
_FOLD_INPUT = (
    "{% block input_group -%}"
    "{%- set fold = cell.metadata.get('cnnlib_fold') -%}"
    "{%- if fold -%}<details class=\"cnnlib-fold cnnlib-fold-{{ fold.kind }}\">"
    "<summary>{{ fold.summary | e }}</summary>{{ super() }}</details>"
    "{%- else -%}{{ super() }}{%- endif -%}"
    "{%- endblock input_group %}\n"
)
_FOLD_CSS = ("details.cnnlib-fold { margin: 0.3em 0 0.3em var(--jp-cell-prompt-width, 64px); }"
             " details.cnnlib-fold > summary { cursor: pointer; font-family: var(--jp-code-font-family,"
             " monospace); color: #1a4d80; padding: 0.2em 0.4em; }"
             " details.cnnlib-fold[open] > summary { border-bottom: 1px solid #ccc; }")
# Accessibility (axe-core, see `axe_violations`). JupyterLab's light theme draws inactive
# prompts grey-700 at half opacity (2.2:1 on white) and several code-token colours just under
# 4.5:1 on the cell background (#f5f5f5): the same hues, darkened to >= 4.8:1. Links in running
# text are told apart from it by colour alone (1.9:1 against the text): underline them.
_A11Y_CSS = (" :root { --jp-cell-prompt-not-active-opacity: 1; --jp-cell-prompt-not-active-font-color: #616161;"
             " --jp-cell-inprompt-font-color: #2c76b3; --jp-cell-outprompt-font-color: #b5563a;"
             " --jp-mirror-editor-keyword-color: #007d00; --jp-mirror-editor-builtin-color: #007d00;"
             " --jp-mirror-editor-number-color: #007e00; --jp-mirror-editor-variable-3-color: #007b4d;"
             " --jp-mirror-editor-operator-color: #a10bff; --jp-mirror-editor-meta-color: #a10bff;"
             " --jp-mirror-editor-comment-color: #3a7474; --jp-mirror-editor-atom-color: #5252ff;"
             " --jp-mirror-editor-bracket-color: #6d6d52; --jp-mirror-editor-quote-color: #007d00;"
             " --jp-mirror-editor-error-color: #db0000; --jp-mirror-editor-hr-color: #6c6c6c; }"
             " .jp-InputPrompt, .jp-OutputPrompt { opacity: 1; }"
             " .jp-RenderedHTMLCommon a:link, .jp-RenderedHTMLCommon a:visited { text-decoration: underline; }")
# Names for what the widget manager draws at run time, from the saved state (the widgets'
# own traits cannot carry them: ipywidgets.Image's tooltip trait breaks its rendering):
# - every img.widget-image without alt gets the text the builder put beside its cell
#   (`describe_widget_pictures`, a <script class="cnnlib-widget-alt"> in the cell);
# - every slider handle (role=slider, noUi) gets its widget's description as aria-label;
# - decks: reveal marks slides away from the current one hidden/aria-hidden. In the print
#   layout (?print-pdf) every slide is laid out and visible, so those marks are removed;
#   elsewhere a hidden slide is made `inert` so that nothing in it takes the focus.
# reveal lays a slide out when the deck starts, before MathJax has typeset it: a slide full of
# formulas (a verdict table) then overflows until the reader moves away and back. Lay the deck
# out again once MathJax's first typeset is done.
_RELAYOUT_AFTER_MATH_JS = """<script>(function relayoutAfterMath() {
  if (!window.Reveal || !Reveal.layout || !window.MathJax || !MathJax.Hub || !MathJax.Hub.Register) {
    return setTimeout(relayoutAfterMath, 100);
  }
  MathJax.Hub.Register.StartupHook("End", function () {
    MathJax.Hub.Queue(function () { try { Reveal.layout(); } catch (error) {} });
  });
})();</script>"""

_A11Y_JS = """<script>
(function () {
  var printing = /print-pdf/i.test(window.location.search);
  function name(root) {
    root.querySelectorAll('img.widget-image:not([alt])').forEach(function (img) {
      var cell = img.closest('.jp-Cell');
      var note = cell && cell.querySelector('script.cnnlib-widget-alt');
      img.setAttribute('alt', note ? JSON.parse(note.textContent)
                       : 'Picture drawn by an explorer, as saved when the notebook last ran');
    });
    root.querySelectorAll('[role=slider]:not([aria-label]):not([aria-labelledby])').forEach(function (handle) {
      var widget = handle.closest('.widget-slider');
      var label = widget && widget.querySelector('.widget-label');
      var text = label && label.textContent.trim();
      if (text) handle.setAttribute('aria-label', text);
    });
    root.querySelectorAll('.reveal .slides section').forEach(function (slide) {
      if (printing) {
        if (slide.hasAttribute('hidden')) slide.removeAttribute('hidden');
        if (slide.hasAttribute('aria-hidden')) slide.removeAttribute('aria-hidden');
      }
      var hide = slide.getAttribute('aria-hidden') === 'true';
      if (hide !== slide.inert) slide.inert = hide;
    });
  }
  var queued = false;
  function later() {
    if (queued) return;
    queued = true;
    window.requestAnimationFrame(function () { queued = false; name(document); });
  }
  new MutationObserver(later).observe(document.documentElement, {childList: true, subtree: true,
    attributes: true, attributeFilter: ['aria-hidden', 'hidden', 'alt', 'aria-label']});
  later();
})();
</script>"""
# The alt text of a cell's widget pictures (see `describe_widget_pictures`), beside its outputs.
_WIDGET_ALT = (
    "{% block output_group -%}"
    "{%- set alt = cell.metadata.get('cnnlib_alt') -%}"
    "{%- if alt -%}<script type=\"application/json\" class=\"cnnlib-widget-alt\">"
    "{{ alt | json_dumps | escape_html_script }}</script>{%- endif -%}"
    "{{ super() }}"
    "{%- endblock output_group %}\n"
)
TEMPLATES = {
    "cnnlib_page.html.j2": (
        "{%- extends 'lab/index.html.j2' -%}\n"
        "{% block html_head_js_mermaidjs %}{% endblock %}\n"
        "{% block html_head_css %}<style>" + _FOLD_CSS + _A11Y_CSS + "</style>{% endblock %}\n"
        "{% block body_header %}{{ super() }}" + _NAV + "{% endblock %}\n"
        "{% block footer_js %}{{ super() }}" + _A11Y_JS + "{% endblock footer_js %}\n"
        + _FOLD_INPUT + _WIDGET_ALT
    ),
    "cnnlib_slides.html.j2": (
        "{%- extends 'reveal/index.html.j2' -%}\n"
        "{% block html_head_js_mermaidjs %}{% endblock %}\n"
        # the theme shouts headings in capitals; the notebooks' titles read better as written
        "{% block html_head_css %}<style>.reveal .slides h1, .reveal .slides h2, .reveal .slides h3,"
        " .reveal .slides h4 { text-transform: none; } " + _FOLD_CSS + _A11Y_CSS + "</style>{% endblock %}\n"
        # reveal.js is an AMD module here: expose the deck for the slide checks and PDF printing
        "{% block footer_js %}{{ super() }}<script>require([\"{{ reveal_url_prefix }}/dist/reveal.js\"],"
        " function (deck) { window.Reveal = deck; });</script>" + _A11Y_JS + _RELAYOUT_AFTER_MATH_JS
        + "{% endblock footer_js %}\n"
        + _FOLD_INPUT + _WIDGET_ALT
    ),
}


class AssetsUnavailable(RuntimeError):
    """The front-end files cannot be fetched (no npm, or npm cannot reach its registry)."""


@dataclass
class NotebookPage:
    """One notebook in the site: where it came from and what was written for it."""
    source: Path
    number: str
    title: str
    html: str
    slides: str
    executed: bool
    widget_models: int


@dataclass
class SiteReport:
    """What `build_site` wrote; `pages` is in series order."""
    out_dir: Path
    pages: list = field(default_factory=list)
    seconds: float = 0.0

    @property
    def files(self):
        """Every page (relative path) the site must contain."""
        names = ["index.html"]
        for page in self.pages:
            names += [page.html, page.slides]
        return names


# ---------------------------------------------------------------- front-end assets

def default_cache_dir():
    """Where the npm packages are kept between builds."""
    env = os.environ.get("CNNLIB_ASSET_CACHE")
    if env:
        return Path(env)
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "cnnlib" / "site-assets"


def _safe_name(spec):
    return re.sub(r"[^A-Za-z0-9._-]+", "_", spec)


def fetch_package(spec, cache_dir):
    """Unpack the npm package `spec` (e.g. "reveal.js@^4.6") into the cache; return its folder.

    Uses `npm pack` (the tarball alone, none of its dependencies). Raises
    AssetsUnavailable with a one-line reason when npm is missing or fails.
    """
    target = Path(cache_dir) / _safe_name(spec)
    if (target / "package" / "package.json").is_file():
        return target / "package"
    npm = shutil.which("npm")
    if npm is None:
        raise AssetsUnavailable("npm is not on PATH: install Node.js/npm to vendor the site's "
                                "front-end files (no CDN is used)")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        try:
            result = subprocess.run(
                [npm, "pack", spec, "--pack-destination", tmp, "--json", "--loglevel=error"],
                capture_output=True, text=True, timeout=300, cwd=tmp)
        except subprocess.TimeoutExpired:
            raise AssetsUnavailable(f"npm pack {spec} timed out (no access to the npm registry?)")
        tarballs = list(Path(tmp).glob("*.tgz"))
        if result.returncode != 0 or len(tarballs) != 1:
            last = (result.stderr.strip().splitlines() or ["no output"])[-1]
            raise AssetsUnavailable(f"npm pack {spec} failed: {last}")
        unpacked = Path(tmp) / "unpacked"
        with tarfile.open(tarballs[0]) as archive:
            try:
                archive.extractall(unpacked, filter="data")
            except TypeError:   # Python without extraction filters (< 3.9.17 / 3.11.4)
                archive.extractall(unpacked)
        if target.exists():
            shutil.rmtree(target)
        unpacked.rename(target)
    return target / "package"


def vendor_assets(static_dir, cache_dir=None):
    """Copy every file the pages load into `static_dir` (site/_static). Returns the file count."""
    cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
    static_dir = Path(static_dir)
    copied = 0
    for spec, entries in ASSET_PACKAGES.items():
        package = fetch_package(spec, cache_dir)
        for source, dest in entries:
            source_path, dest_path = package / source, static_dir / dest
            if source.endswith("/"):
                files = [p for p in source_path.rglob("*") if p.is_file()]
                pairs = [(p, dest_path / p.relative_to(source_path)) for p in files]
            else:
                pairs = [(source_path, dest_path)]
            for src, dst in pairs:
                if src.name.endswith(SKIPPED_SUFFIXES):
                    continue
                if not src.is_file():
                    raise AssetsUnavailable(f"{spec} has no {src.relative_to(package)}")
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dst)
                copied += 1
    return copied


# ---------------------------------------------------------------- notebooks

def series_notebooks(notebooks_dir):
    """The series' notebooks `NN_topic.ipynb`, in reading order (by NN, then name)."""
    found = [p for p in Path(notebooks_dir).glob("*.ipynb") if NOTEBOOK_PATTERN.match(p.name)]
    return sorted(found, key=lambda p: (int(NOTEBOOK_PATTERN.match(p.name).group(1)), p.name))


def notebook_title(nb, fallback):
    """The text of the notebook's first Markdown heading (Markdown markup stripped)."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            match = re.match(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", line)
            if match:
                text = re.sub(r"[*_`]", "", match.group(1))
                return re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text).strip()
    return fallback


def stored_widget_models(nb):
    """Model ids of the widget state stored in the notebook's metadata."""
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    return set(state)


def displayed_widget_models(nb):
    """Model ids of the widget views among the cells' outputs."""
    ids = set()
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view:
                ids.add(view["model_id"])
    return ids


def needs_execution(nb):
    """True if the stored outputs cannot be shown as they are.

    That is: some code cell never ran, or a widget view points at a model whose state
    is not stored (the page would show "model not found" instead of the widget).
    """
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    if any(c.get("execution_count") is None for c in code):
        return True
    return not displayed_widget_models(nb) <= stored_widget_models(nb)


def execute_notebook(nb, working_dir, timeout=600):
    """Run every cell with the python3 kernel, storing the widget state (in memory only)."""
    from nbclient import NotebookClient
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", store_widget_state=True,
                            resources={"metadata": {"path": str(working_dir)}})
    client.execute()
    return nb


def markdown_heading_level(cell):
    """1..6 if a Markdown cell starts with a heading, else 0."""
    if cell.cell_type != "markdown":
        return 0
    match = re.match(r"^\s{0,3}(#{1,6})\s", cell.source.lstrip("\n"))
    return len(match.group(1)) if match else 0


def with_default_slides(nb):
    """A copy of `nb` cut into slides at its headings, unless the author already marked slides.

    `#`/`##` headings start a slide, `###` a vertical sub-slide; every other cell
    continues the current one. Cells before the first heading form the title slide.
    """
    nb = copy.deepcopy(nb)
    if any(c.metadata.get("slideshow", {}).get("slide_type") for c in nb.cells):
        return nb
    for cell in nb.cells:
        level = markdown_heading_level(cell)
        kind = "slide" if 1 <= level <= 2 else "subslide" if level == 3 else "-"
        cell.metadata["slideshow"] = {"slide_type": kind}
    return nb


def fold_summary(source):
    """The summary of a folded cell: its first line without the comment mark
    ("# Proof: shapes match" -> "Proof: shapes match"); a generic one if it is not a comment."""
    first = next((line.strip() for line in source.splitlines() if line.strip()), "")
    if first.startswith("#"):
        return first.lstrip("#").strip() or "Code (click to expand)"
    return "Code (click to expand)"


def fold_kind(cell):
    """"solution", "proof" or "code" for a folded code cell (jupyter.source_hidden), else None."""
    if cell.cell_type != "code" or not cell.metadata.get("jupyter", {}).get("source_hidden"):
        return None
    cell_tags = cell.metadata.get("tags", [])
    return next((tag for tag in FOLD_TAGS if tag in cell_tags), "code")


def fold_cells(nb):
    """A copy of `nb` whose folded cells carry ``cnnlib_fold`` = {kind, summary} for the templates."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        kind = fold_kind(cell)
        if kind:
            cell.metadata["cnnlib_fold"] = {"kind": kind, "summary": fold_summary(cell.source)}
    return nb


# ---------------------------------------------------------------- alt text of widget pictures

# TeX a screen reader can say: a few symbols the notebooks use, then any \command{arg} -> arg.
_TEX_SYMBOLS = {
    "delta": "δ", "Delta": "Δ", "partial": "∂", "times": "×", "cdot": "·", "dots": "…", "ldots": "…",
    "cdots": "…", "star": "⋆", "sum": "Σ", "alpha": "α", "beta": "β", "eta": "η", "sigma": "σ",
    "theta": "θ", "lambda": "λ", "mu": "μ", "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "neq": "≠",
    "to": "→", "in": "∈", "odot": "⊙", "approx": "≈", "infty": "∞",
}


def markdown_plain(text):
    """Markdown (with inline HTML and TeX) as the plain text a screen reader reads."""
    text = re.sub(r"<[^>]+>", "", text)                              # inline HTML (<a id=...>)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)           # links and images -> their text
    text = re.sub(r"\*\*|(?<![\w}])[*_]|[*_](?![\w{])", "", text)        # emphasis (not x_{i})
    text = re.sub(r"\\([A-Za-z]+)", lambda m: _TEX_SYMBOLS.get(m.group(1), "\\" + m.group(1)), text)
    text = re.sub(r"\\[A-Za-z]+\{([^{}]*)\}", r"\1", text)            # \operatorname{rot180} -> rot180
    text = re.sub(r"\\[A-Za-z]+", "", text)
    text = re.sub(r"\\[,;:! ]", " ", text)
    text = re.sub(r"[$`{}]", "", text)                                  # math marks, code
    return re.sub(r"\s+", " ", text).strip()


def first_sentence(text):
    """The first sentence of a plain text (ends at . ! ? before a capital letter, or the text's end)."""
    return re.split(r"(?<=[.!?])\s+(?=[A-Z(])", text, maxsplit=1)[0].strip()


_HEADING_LINE = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")


def _heading_and_body(cell):
    """(heading text, the rest) of a Markdown cell that opens with a heading, perhaps after
    lines of bare HTML such as an anchor ``<a id="s8"></a>``; None otherwise."""
    if cell.cell_type != "markdown":
        return None
    lines = cell.source.splitlines()
    for at, line in enumerate(lines):
        if not line.strip() or re.fullmatch(r"\s*(<[^>]*>\s*)+", line):
            continue
        match = _HEADING_LINE.match(line)
        return (match.group(1), "\n".join(lines[at + 1:])) if match else None
    return None


def widget_picture_alt(nb, index):
    """The alt text for the widget pictures (ipywidgets.Image) that code cell `index` displays.

    The author may set it: cell metadata ``{"cnnlib": {"alt": "..."}}``. Otherwise it is made
    from the notebook, which describes each explorer in prose (the series' convention: a static
    figure of the same state next to it): the section's heading (the last Markdown heading
    before the cell) and the sentence of that section's prose that describes the "picture" or
    "figure" (one that opens with "The picture" first, then the first that names it), else the
    first sentence of the last prose cell before the explorer.
    Speaker-notes cells are not prose here.
    """
    cells = nb.cells
    own = cells[index].metadata.get("cnnlib", {}).get("alt")
    if own:
        return own
    start = next((j for j in range(index, -1, -1) if _heading_and_body(cells[j])), None)
    end = next((j for j in range(index + 1, len(cells)) if _heading_and_body(cells[j])), len(cells))
    heading, prose = "", []
    for j in range(0 if start is None else start, end):
        cell = cells[j]
        if cell.cell_type != "markdown" or cell.metadata.get("slideshow", {}).get("slide_type") == "notes":
            continue
        body = cell.source
        if j == start:
            heading, body = _heading_and_body(cell)
        text = markdown_plain(body)
        if text:
            prose.append((j, text))
    sentences = [sentence for _, text in prose
                 for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z(])", text)]
    # a sentence that opens with "The picture ..." describes it; one that names it, less surely
    about_picture = sorted((x for x in sentences if re.search(r"\b(picture|figure)\b", x, re.IGNORECASE)),
                           key=lambda x: not re.match(r"\W*(the |this )?(static )?(picture|figure)\b", x, re.I))
    before = [text for j, text in prose if j < index]
    sentence = about_picture[0] if about_picture else first_sentence(before[-1]) if before else ""
    where = f" of “{markdown_plain(heading)}”" if heading else ""
    return (f"Picture drawn by the explorer{where}, as saved when the notebook last ran. "
            + sentence).strip()


def describe_widget_pictures(nb):
    """A copy of `nb` whose code cells that display widgets carry ``cnnlib_alt`` (see
    `widget_picture_alt`): the pages' script gives it to every widget picture without alt."""
    nb = copy.deepcopy(nb)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and any(WIDGET_VIEW in o.get("data", {}) for o in cell.get("outputs", [])):
            cell.metadata["cnnlib_alt"] = widget_picture_alt(nb, index)
    return nb


def for_slides(nb):
    """The deck's copy of `nb`: default slides if the author set none, and proofs and
    solutions skipped (whatever their slide type says)."""
    nb = with_default_slides(nb)
    for cell in nb.cells:
        if set(cell.metadata.get("tags", [])) & set(FOLD_TAGS):
            cell.metadata["slideshow"] = {"slide_type": "skip"}
    return nb


def _exporter(kind):
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter, SlidesExporter
    from traitlets.config import Config

    config = Config()
    for cls in ("HTMLExporter", "SlidesExporter"):
        for name, url in EXPORTER_URLS.items():
            config[cls][name] = url
        config[cls]["embed_images"] = True   # Markdown images inlined, no stray files
    loader = [DictLoader(TEMPLATES)]
    if kind == "slides":
        config.SlidesExporter.reveal_url_prefix = REVEAL_URL_PREFIX
        config.SlidesExporter.reveal_theme = REVEAL_THEME
        # A clicker cannot scroll: slides are laid out at projector size and must fit
        # (`check_slides`); reveal scales the whole deck to the window.
        config.SlidesExporter.reveal_scroll = False
        config.SlidesExporter.reveal_width = str(SLIDE_WIDTH)
        config.SlidesExporter.reveal_height = str(SLIDE_HEIGHT)
        return SlidesExporter(config=config, extra_loaders=loader,
                              template_file="cnnlib_slides.html.j2")
    return HTMLExporter(config=config, extra_loaders=loader, template_file="cnnlib_page.html.j2")


def render_index(pages):
    """The index page: the notebooks in series order, each with its page and its slides."""
    def number(page):   # most titles already start with their number
        return "" if page.title.startswith(page.number) else f'<span class="number">{page.number}</span> '

    rows = "\n".join(
        f'<li>{number(p)}<a href="{html.escape(p.html)}">{html.escape(p.title)}</a> '
        f'<span class="slides">(<a href="{html.escape(p.slides)}">slides</a>)</span></li>' for p in pages)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>cnnlib: backpropagation through convolutional networks</title>
<style>
body {{ font-family: sans-serif; max-width: 46em; margin: 2em auto; padding: 0 1em; line-height: 1.5; }}
ol {{ list-style: none; padding: 0; }} li {{ margin: 0.5em 0; }}
.number {{ font-family: monospace; color: #666; }} .slides {{ font-size: 0.9em; }}
.note {{ color: #444; font-size: 0.95em; border-left: 3px solid #ccc; padding-left: 0.8em; }}
</style>
</head>
<body>
<h1>Backpropagation through convolutional networks</h1>
<p>The cnnlib notebook series, in reading order. Each notebook is shown with the outputs
of its last run; the slides are the same notebook cut at its headings (press <kbd>S</kbd>
for speaker notes, <kbd>Esc</kbd> for an overview).</p>
<ol class="series">
{rows}
</ol>
<p class="note">These pages need no network. The widgets show the state they had when the
notebook last ran; to move them and see the outputs recompute, open the notebook in
JupyterLab (or on Binder), where a Python kernel runs the update functions.</p>
</body>
</html>
"""


def build_site(notebooks_dir="notebooks", out_dir="site", cache_dir=None, execute="auto",
               log=None, only=None):
    """Build the offline site from `notebooks_dir` into `out_dir`. Returns a SiteReport.

    out_dir must be empty, missing, or an earlier build (it is then replaced).

    execute: "auto" (run only notebooks whose stored outputs or widget state are
    incomplete), "always", or "never". Raises AssetsUnavailable if the front-end files
    cannot be fetched, ValueError if there are no NN_*.ipynb notebooks.
    """
    import nbformat

    if execute not in ("auto", "always", "never"):
        raise ValueError(f"execute must be 'auto', 'always' or 'never', got {execute!r}")
    log = log or (lambda message: None)
    started = time.perf_counter()
    notebooks_dir, out_dir = Path(notebooks_dir), Path(out_dir)
    sources = series_notebooks(notebooks_dir)
    if only is not None:   # a subset, e.g. the one notebook an author is checking
        wanted = {Path(p).resolve() for p in only}
        sources = [p for p in sources if p.resolve() in wanted]
    if not sources:
        raise ValueError(f"no notebooks named NN_topic.ipynb in {notebooks_dir.resolve()}")

    if out_dir.exists() and any(out_dir.iterdir()):
        if not (out_dir / SITE_MARKER).is_file():
            raise ValueError(f"{out_dir.resolve()} is not empty and was not built by cnnlib.site: "
                             "refusing to replace it (pick another --out)")
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / SITE_MARKER).write_text("built by python -m cnnlib.site; replaced on every build\n")
    count = vendor_assets(out_dir / STATIC, cache_dir)
    log(f"vendored {count} front-end files into {out_dir / STATIC}")

    page_exporter, slides_exporter = _exporter("page"), _exporter("slides")
    report = SiteReport(out_dir=out_dir)
    for source in sources:
        nb = nbformat.read(source, as_version=4)
        run = execute == "always" or (execute == "auto" and needs_execution(nb))
        if run:
            log(f"executing {source.name} (stored outputs or widget state incomplete)")
            execute_notebook(nb, source.parent)
        name = source.stem
        resources = {"metadata": {"name": name, "path": str(source.parent)}}
        folded = describe_widget_pictures(fold_cells(nb))
        body, _ = page_exporter.from_notebook_node(folded, resources=dict(resources))
        (out_dir / f"{name}.html").write_text(body, encoding="utf-8")
        slides, _ = slides_exporter.from_notebook_node(for_slides(folded),
                                                       resources=dict(resources))
        (out_dir / f"{name}.slides.html").write_text(slides, encoding="utf-8")
        page = NotebookPage(source=source, number=NOTEBOOK_PATTERN.match(source.name).group(1),
                            title=notebook_title(nb, name), html=f"{name}.html",
                            slides=f"{name}.slides.html", executed=run,
                            widget_models=len(stored_widget_models(nb)))
        report.pages.append(page)
        log(f"{page.html} + {page.slides}: {page.title!r}"
            f"{' (executed)' if run else ''}, {page.widget_models} widget models")
    (out_dir / "index.html").write_text(render_index(report.pages), encoding="utf-8")
    report.seconds = time.perf_counter() - started
    return report


# ---------------------------------------------------------------- offline check

# A page fetches a URL through these: attributes of loading elements, CSS url()/@import,
# and the loaders in nbconvert's inline scripts (widget renderer, require(), import()).
_REMOTE_PATTERNS = [
    re.compile(r"""<(?:script|link|img|iframe|source|audio|video|embed|object|track)\b[^>]*?"""
               r"""\b(?:src|href|data|srcset|poster)\s*=\s*["']?\s*((?:https?:)?//[^"'\s>]+)""",
               re.IGNORECASE),
    re.compile(r"""url\(\s*["']?\s*((?:https?:)?//[^"')\s]+)""", re.IGNORECASE),
    re.compile(r"""@import\s+["']\s*((?:https?:)?//[^"']+)""", re.IGNORECASE),
    re.compile(r"""\bimport\(\s*["']((?:https?:)?//[^"']+)""", re.IGNORECASE),
    re.compile(r"""widgetRendererSrc\s*=\s*["']((?:https?:)?//[^"']+)"""),
    re.compile(r"""require\(\s*\{[^}]*\}\s*,\s*\[[^\]]*?["']((?:https?:)?//[^"']+)""", re.DOTALL),
]
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)


def remote_references(text):
    """URLs on another host that an HTML or CSS text would load (empty list = offline).

    Links a reader may click (<a href>) are not loads and are not reported.
    """
    text = _CSS_COMMENT.sub("", text)
    found = []
    for pattern in _REMOTE_PATTERNS:
        found += pattern.findall(text)
    return sorted(set(found))


def check_offline(out_dir):
    """{relative path: [remote URLs]} for every HTML/CSS file under out_dir that loads any."""
    out_dir = Path(out_dir)
    problems = {}
    for path in sorted(out_dir.rglob("*")):
        if path.suffix in (".html", ".css") and path.is_file():
            urls = remote_references(path.read_text(encoding="utf-8", errors="replace"))
            if urls:
                problems[str(path.relative_to(out_dir))] = urls
    return problems


# ---------------------------------------------------------------- Chromium: slides that fit, PDFs

@contextlib.contextmanager
def chromium(width=SLIDE_WIDTH, height=SLIDE_HEIGHT):
    """A headless Chromium (Playwright BrowserContext) with a throw-away profile.

    Chromium is the system's ($CNNLIB_CHROMIUM, default /usr/bin/chromium); Playwright's own
    browser download is never used."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright, tempfile.TemporaryDirectory(prefix="cnnlib-chromium-") as profile:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": width, "height": height})
        try:
            yield context
        finally:
            context.close()


# What a built page is still waiting for: widget views the html-manager has not drawn yet,
# MathJax's queue (null without MathJax), and whether reveal has laid out a deck.
PAGE_STATE_JS = """() => {
  const views = [...document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')];
  return {widget_views: views.length,
          not_drawn: views.filter(s => !s.parentElement.querySelector('.lm-Widget')).length,
          mathjax_pending: window.MathJax && MathJax.Hub ? MathJax.Hub.queue.pending : null,
          reveal_ready: !!document.querySelector('.reveal.ready')};
}"""
# True once the widgets are drawn from their stored state and MathJax has typeset.
PAGE_READY_JS = f"""() => {{
  const state = ({PAGE_STATE_JS})();
  return state.not_drawn === 0 && !state.mathjax_pending;
}}"""


def open_built(context, path, slides=False, query="", attempts=2, wait_s=60):
    """Open a built page (file://) and wait until it is drawn; returns the Playwright page.

    The pages draw in under 10 s, even on a loaded 2-core machine; once in a few hundred loads
    headless Chromium never finishes one (widgets or MathJax left waiting; not reproduced by
    hand). So a page not drawn after `wait_s` is loaded again, up to `attempts` loads, and the
    error then names the page, what it still waited for, and its console errors.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    where = f"{Path(path).name}{query}"
    for attempt in range(1, attempts + 1):
        page = context.new_page()
        console = []
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda error: console.append(f"page error: {error}"))
        page.goto(Path(path).resolve().as_uri() + query)
        page.wait_for_load_state("load")
        try:
            if slides:
                page.wait_for_selector(".reveal.ready", state="attached", timeout=wait_s * 1000)
            page.wait_for_function(PAGE_READY_JS, timeout=wait_s * 1000)
        except PlaywrightTimeout:
            state = page.evaluate(PAGE_STATE_JS)
            page.close()
            report = f"{where} not drawn after {wait_s} s (load {attempt} of {attempts}): {state}; console: {console[-5:]}"
            if attempt == attempts:
                raise RuntimeError(report) from None
            print(report + "; loading it again", file=sys.stderr)
            continue
        page.wait_for_timeout(200)
        return page


# Every slide and sub-slide of a reveal deck, shown with all its fragments, measured.
MEASURE_SLIDES_JS = """(TOLERANCE) => {
  const results = [];
  const main = [...document.querySelectorAll('.reveal .slides > section')];
  main.forEach((top, h) => {
    const subs = [...top.querySelectorAll(':scope > section')];
    const leaves = subs.length ? subs : [top];
    const notes = top.querySelectorAll('aside.notes').length;
    leaves.forEach((slide, v) => {
      const fragments = slide.querySelectorAll('.fragment').length;
      Reveal.slide(h, v, fragments ? fragments - 1 : undefined);
      slide.querySelectorAll('details').forEach(d => d.open = false);
      const heading = slide.querySelector('h1, h2, h3, h4');
      const text = (heading ? heading.innerText : slide.innerText).trim().split(String.fromCharCode(10))[0].slice(0, 70);
      let clipped = 0;
      const box = slide.getBoundingClientRect();
      const scale = box.width / slide.offsetWidth;   // reveal scales the deck to the window
      slide.querySelectorAll('pre, .jp-OutputArea-output, table, img, .jupyter-widgets').forEach(e => {
        const over = e.scrollWidth - e.clientWidth;   // layout px: a scrollbar, text cut off
        if (e.clientWidth > 0 && over > TOLERANCE) clipped = Math.max(clipped, over);
        const right = (e.getBoundingClientRect().right - box.right) / scale;   // past the slide's edge
        if (right > TOLERANCE) clipped = Math.max(clipped, Math.round(right));
      });
      const empty = !slide.innerText.trim() && !slide.querySelector('img, .jupyter-widgets, svg');
      results.push({h, v, index: subs.length > 1 ? `${h}.${v}` : `${h}`, heading: text,
                    height: slide.scrollHeight, width: slide.scrollWidth, clipped, main_notes: notes,
                    empty});
    });
  });
  Reveal.slide(0, 0);
  return results;
}"""


@dataclass
class SlideMeasure:
    """One slide as measured: which deck, its index ("h" or "h.v"), heading, size in px."""
    deck: str
    index: str
    heading: str
    height: int
    width: int
    clipped: int
    main_notes: int
    empty: bool = False

    @property
    def fits(self):
        return self.height <= SLIDE_HEIGHT and self.width <= SLIDE_WIDTH and self.clipped == 0

    def __str__(self):
        why = []
        if self.height > SLIDE_HEIGHT:
            why.append(f"height {self.height} > {SLIDE_HEIGHT}")
        if self.width > SLIDE_WIDTH:
            why.append(f"width {self.width} > {SLIDE_WIDTH}")
        if self.clipped:
            why.append(f"content clipped by {self.clipped} px at the right")
        return f"{self.deck} slide {self.index} {self.heading!r}: {', '.join(why) or 'fits'}"


def measure_decks(deck_paths, context=None):
    """[SlideMeasure] for every slide of every built deck (*.slides.html), at 1280x720."""
    if context is None:
        with chromium() as context:
            return measure_decks(deck_paths, context)
    measured = []
    for path in deck_paths:
        page = open_built(context, path, slides=True)
        for row in page.evaluate(MEASURE_SLIDES_JS, CLIP_TOLERANCE):
            row.pop("h"), row.pop("v")
            measured.append(SlideMeasure(deck=Path(path).name, **row))
        page.close()
    return measured


def slide_problems(measured):
    """Lines naming every slide that does not fit, and every main slide without speaker notes."""
    problems = [str(m) for m in measured if not m.fits]
    seen = set()
    for m in measured:
        main = (m.deck, m.index.split(".")[0])
        if m.main_notes == 0 and main not in seen:
            seen.add(main)
            problems.append(f"{m.deck} slide {main[1]} {m.heading!r}: no speaker notes "
                            "(a 'notes' cell: time, a question for the room, the misconception)")
    return problems


def check_slides(notebooks, out_dir=None, cache_dir=None, log=print):
    """Build `notebooks` (paths) into a throw-away site and measure their decks.
    Returns (measured, problems)."""
    notebooks = [Path(p) for p in notebooks]
    folders = {p.resolve().parent for p in notebooks}
    if len(folders) != 1:
        raise ValueError("check notebooks of one folder at a time")
    with tempfile.TemporaryDirectory(prefix="cnnlib-slides-") as tmp:
        report = build_site(folders.pop(), Path(out_dir or tmp) / "site", cache_dir, "auto",
                            log=lambda m: None, only=notebooks)
        measured = measure_decks([report.out_dir / p.slides for p in report.pages])
    return measured, slide_problems(measured)


# ---------------------------------------------------------------- accessibility (axe-core)

AXE_RUN_JS = """async (selector) => {
  const context = selector ? document.querySelector(selector) : document;
  const result = await axe.run(context, {resultTypes: ['violations']});
  return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => ({
    id: v.id, impact: v.impact, help: v.help, count: v.nodes.length,
    examples: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' ' + n.html.slice(0, 120))}));
}"""


def axe_script(cache_dir=None):
    """Path of axe-core's axe.min.js (npm, cached like the site's assets; never shipped in the site)."""
    (spec, name), = TEST_PACKAGES.items()
    return fetch_package(spec, Path(cache_dir) if cache_dir else default_cache_dir()) / name


def axe_violations(context, path, cache_dir=None):
    """Serious and critical axe-core violations of one built page or deck:
    [(file, rule id, impact, count, help, examples)]. A deck is opened in reveal's print
    layout, where every slide and fragment is laid out visible, so one run sees them all."""
    is_deck = Path(path).name.endswith(".slides.html")
    page = open_built(context, path, slides=is_deck, query="?print-pdf" if is_deck else "")
    if is_deck:
        page.wait_for_selector(".pdf-page", state="attached", timeout=30_000)
    page.add_script_tag(path=str(axe_script(cache_dir)))
    found = [(Path(path).name, v["id"], v["impact"], v["count"], v["help"], v["examples"])
             for v in page.evaluate(AXE_RUN_JS, None)]
    page.close()
    return found


def write_pdfs(report, slides=True, log=None):
    """Print every page of a built site (and its decks, one slide a page) to PDF beside it.
    Returns the PDF paths."""
    log = log or (lambda message: None)
    written = []
    with chromium(width=1100, height=1400) as context:
        for page_info in report.pages:
            targets = [(page_info.html, False)] + ([(page_info.slides, True)] if slides else [])
            for name, is_deck in targets:
                path = report.out_dir / name
                pdf = path.with_suffix(".pdf")
                page = open_built(context, path, slides=is_deck, query="?print-pdf" if is_deck else "")
                if is_deck:
                    # reveal's print mode sets @page to its slide size (plus margin): one slide a page
                    # (Chromium adds a blank last page: print exactly reveal's pages)
                    page.wait_for_selector(".pdf-page", state="attached", timeout=30_000)
                    count = page.evaluate("() => document.querySelectorAll('.pdf-page').length")
                    page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True,
                             page_ranges=f"1-{count}")
                else:
                    page.emulate_media(media="print")
                    page.pdf(path=str(pdf), format="A4", print_background=True,
                             margin={"top": "12mm", "bottom": "12mm", "left": "10mm", "right": "10mm"})
                page.close()
                written.append(pdf)
                log(f"wrote {pdf}")
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m cnnlib.site", description=__doc__.split("\n")[0])
    parser.add_argument("--notebooks", default="notebooks", help="folder of NN_topic.ipynb files")
    parser.add_argument("--out", default="site", help="output folder (an earlier build is replaced)")
    parser.add_argument("--cache", default=None, help="npm package cache "
                        f"(default $CNNLIB_ASSET_CACHE or {default_cache_dir()})")
    parser.add_argument("--execute", choices=("auto", "always", "never"), default="auto",
                        help="re-run notebooks: auto = only those missing outputs/widget state")
    parser.add_argument("--pdf", action="store_true",
                        help="also print every page and deck to PDF (headless Chromium)")
    parser.add_argument("--check-slides", nargs="+", metavar="NOTEBOOK", default=None,
                        help="only measure these notebooks' slides at 1280x720 and list what does "
                             "not fit (exit 1 if anything)")
    args = parser.parse_args(argv)
    if args.check_slides:
        try:
            measured, problems = check_slides(args.check_slides, cache_dir=args.cache)
        except (AssetsUnavailable, ValueError) as error:
            print(f"cannot check the slides: {error}", file=sys.stderr)
            return 2
        decks = sorted({m.deck for m in measured})
        print(f"{len(decks)} deck(s), {len(measured)} slides measured at {SLIDE_WIDTH}x{SLIDE_HEIGHT}")
        print("\n".join(problems) if problems else "every slide fits and every main slide has notes")
        return 1 if problems else 0
    try:
        report = build_site(args.notebooks, args.out, args.cache, args.execute, log=print)
    except (AssetsUnavailable, ValueError) as error:
        print(f"cannot build the site: {error}", file=sys.stderr)
        return 2
    problems = check_offline(report.out_dir)
    if problems:
        print("remote references left:\n" + json.dumps(problems, indent=2), file=sys.stderr)
        return 1
    if args.pdf:
        write_pdfs(report, log=print)
    print(f"built {len(report.files)} pages in {report.seconds:.1f} s: "
          f"open {(report.out_dir / 'index.html').resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
