"""Every slide fits a 1280x720 projector, and every main slide has speaker notes.

Each built deck (site/*.slides.html) is opened in headless Chromium at 1280x720; every
slide and sub-slide is shown with all its fragments and measured (cnnlib.site.measure_decks):
it fails if its content is taller than 720 px or wider than 1280 px, if code, an output, a
table or a picture is clipped at the right, or if a main slide has no 'notes' cell. The
failure lists deck, slide index ("h" or "h.v"), heading and the measured size; the full
table goes to test-artifacts/slides.txt. Authors check one notebook with
`python -m cnnlib.site --check-slides notebooks/01_*.ipynb`.
"""
import nbformat
import pytest

from browser_support import ARTIFACTS, require_browser, series_site, skip_or_fail
from cnnlib import site

pytestmark = pytest.mark.browser
md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell


def _slide(cell, kind):
    cell.metadata["slideshow"] = {"slide_type": kind}
    return cell


def _proof(cell):
    cell.metadata.update({"jupyter": {"source_hidden": True}, "tags": ["proof"],
                          "slideshow": {"slide_type": "slide"}})
    return cell


def _measure_fixture(tmp_path, cells):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = cells
    nbformat.write(nb, notebooks / "01_fixture.ipynb")
    try:
        return site.check_slides([notebooks / "01_fixture.ipynb"], out_dir=tmp_path)
    except site.AssetsUnavailable as error:
        skip_or_fail(f"cannot vendor the site's front-end files: {error}")


def test_the_measurement_catches_tall_slides_clipped_code_and_missing_notes(tmp_path):
    require_browser()
    long_line = "x = [" + ", ".join(str(i) for i in range(70)) + "]"
    measured, problems = _measure_fixture(tmp_path, [
        _slide(md("# Fits\n\nA short slide."), "slide"),
        _slide(md("Ask the room: what is 2 + 2?"), "notes"),
        _slide(md("## Too tall\n\n" + "\n\n".join(f"Line {i} of prose." for i in range(40))), "slide"),
        _slide(md("Notes for the tall slide."), "notes"),
        _slide(md("### A sub-slide that fits"), "subslide"),
        _slide(md("## Wide code"), "slide"),
        _slide(code(long_line + "\nlen(x)"), "-"),
        _proof(code("# Proof: never on a slide, whatever its slide type\nassert True")),
    ])
    by_index = {m.index: m for m in measured}
    assert sorted(by_index) == ["0", "1.0", "1.1", "2"], sorted(by_index)
    assert by_index["0"].fits and by_index["1.1"].fits, (by_index["0"], by_index["1.1"])
    assert by_index["1.0"].height > site.SLIDE_HEIGHT and not by_index["1.0"].fits
    assert by_index["2"].clipped > 0 and not by_index["2"].fits
    assert by_index["1.0"].heading == "Too tall"
    notes = [p for p in problems if "no speaker notes" in p]
    assert len(notes) == 1 and "slide 2 'Wide code'" in notes[0], problems
    assert any(p.startswith("01_fixture.slides.html slide 1.0 'Too tall': height") for p in problems), problems


def test_every_slide_of_every_deck_fits_and_has_notes(tmp_path_factory):
    require_browser()
    built = series_site(tmp_path_factory)
    measured = site.measure_decks([built.out_dir / p.slides for p in built.pages])
    problems = site.slide_problems(measured)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    decks = sorted({m.deck for m in measured})
    main = {(m.deck, m.index.split(".")[0]) for m in measured}
    lines = [f"{len(decks)} decks, {len(main)} main slides, {len(measured)} slides and sub-slides"]
    lines += [f"{m.deck}\t{m.index}\t{m.height}x{m.width}\tclipped {m.clipped}\tnotes {m.main_notes}\t{m.heading}"
              for m in measured]
    (ARTIFACTS / "slides.txt").write_text("\n".join(lines + ["", *problems]) + "\n")
    assert len(decks) == len(built.pages)
    assert not problems, (f"{len(problems)} problems in {lines[0]} (full table: test-artifacts/slides.txt):\n"
                          + "\n".join(problems))
