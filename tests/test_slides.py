"""The lecture cut (.ci/slides.py, `make slides-cut`): every chapter cuts into 15–30 slides
that each fit a 1280×720 screen, with speaker notes, and the cut changes nothing else.

The cut is made on a copy of each committed chapter, so these tests hold whether or not
the committed notebooks carry it yet; a committed notebook that carries slideshow
metadata must carry exactly the cut the tool makes (the tool is idempotent).
"""
from __future__ import annotations

import base64
import importlib.util
import json
import re
import shutil
import struct
import zlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

_spec = importlib.util.spec_from_file_location("cnnbook_slides", ROOT / ".ci" / "slides.py")
slides = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(slides)
DATA = slides.load_data()


def test_the_chapters_are_there():
    assert len(CHAPTERS) >= 12, [p.name for p in CHAPTERS]


def _cells(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))["cells"]


def _lines(text):
    """Markdown as its non-blank lines, where a table header that a split repeated (and
    its rule line) and an empty quote line (where a long quote was cut) are dropped."""
    lines, headers = [], set()
    raw = [line for line in text.split("\n") if line.strip() and line.strip() != ">"]
    for k, line in enumerate(raw):
        rule = k + 1 < len(raw) and re.match(r"^\|?\s*:?-{3,}", raw[k + 1].strip())
        if line.lstrip().startswith("|") and rule:
            if line in headers:
                raw[k + 1] = ""                      # its rule line goes with it
                continue
            headers.add(line)
        if line:
            lines.append(line)
    return [line for line in lines if line]


def _content(cells):
    """What a reader sees, cut-independent: code cells (source, outputs) in order, and the
    markdown between them as its lines (see _lines)."""
    out, text = [], []
    for cell in cells:
        if "notes" in cell["metadata"].get(slides.MARK, {}):
            continue
        if cell["cell_type"] == "markdown":
            text.append(slides._source(cell))
        else:
            out.append(("md", _lines("\n".join(text))))
            text = []
            out.append((cell["cell_type"], slides._source(cell), json.dumps(cell.get("outputs"))))
    out.append(("md", _lines("\n".join(text))))
    return out


@pytest.fixture(scope="module")
def cut_copies(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cut")
    results = {}
    for path in CHAPTERS:
        copy = folder / path.name
        shutil.copy(path, copy)
        _, cut = slides.cut_notebook(copy, DATA)
        results[path.name] = (copy, cut)
    return results


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_every_chapter_cuts_into_slides_that_fit(path, cut_copies):
    copy, cut = cut_copies[path.name]
    assert cut.problems == []
    assert slides.check_notebook(copy) == []          # typed, 15–30 slides, none too tall
    cells = _cells(copy)
    assert all("slide_type" in c["metadata"].get("slideshow", {}) for c in cells)
    count = len(slides.slides_of(cells))
    assert slides.MIN_SLIDES <= count <= slides.MAX_SLIDES
    # the title opens, the exercises close with one slide, every widget has its own slide
    assert slides.slide_type(cells[0]) == "slide"
    for i, cell in enumerate(cells):
        if slides.is_widget(cell) and slides.slide_type(cell) != "skip":
            assert slides.slide_type(cell) == "slide", f"widget cell {i} not on its own slide"
            following = next((c for c in cells[i + 1:] if slides.slide_type(c)
                              not in ("skip", "notes")), None)
            assert following is None or slides.slide_type(following) in ("slide", "subslide")
    exercise_heads = [i for i, c in enumerate(cells) if slides._heading_level(c) == 2
                      and slides._heading_text(c).split(". ")[-1].startswith("Exercises")]
    for head in exercise_heads:
        assert slides.slide_type(cells[head]) == "slide"
        rest = cells[head + 1:]
        end = next((k for k, c in enumerate(rest) if slides._heading_level(c) == 2), len(rest))
        assert all(slides.slide_type(c) in ("skip", "notes") for c in rest[:end])


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_the_cut_changes_only_metadata_and_notes_and_is_idempotent(path, cut_copies, tmp_path):
    copy, _ = cut_copies[path.name]
    assert _content(_cells(copy)) == _content(_cells(path))
    again = tmp_path / path.name
    shutil.copy(copy, again)
    slides.cut_notebook(again, DATA)
    assert again.read_bytes() == copy.read_bytes(), "a second cut changed the notebook"


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_every_chapter_has_speaker_notes(path, cut_copies):
    config = DATA["chapter"].get(path.name[:2])
    assert config, f"no [chapter.{path.name[:2]}] in .ci/slides.toml"
    assert config["minutes"] > 0
    notes = config["notes"]
    assert any(n.get("ask") for n in notes) and any(n.get("mistake") for n in notes)
    assert any(n.get("live") or n.get("say") for n in notes)
    copy, _ = cut_copies[path.name]
    cells = [c for c in _cells(copy) if slides.slide_type(c) == "notes"]
    assert len(cells) == len(notes), "a note found no place"
    assert "minutes" in slides._source(cells[0])


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_a_committed_cut_is_the_tools_cut(path, tmp_path):
    cells = _cells(path)
    if not any("slideshow" in c["metadata"] for c in cells):
        pytest.skip(f"{path.name} is not cut yet (run `make slides-cut`); "
                    "its cut is checked on a copy above")
    again = tmp_path / path.name
    shutil.copy(path, again)
    slides.cut_notebook(again, DATA)
    assert again.read_bytes() == path.read_bytes(), "stale cut: run `make slides-cut`"
    assert slides.check_notebook(path) == []


# -- the measure itself can fail ------------------------------------------------------

def _png(width, height):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + b"\x00" * width for _ in range(height))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    return base64.b64encode(png).decode()


def _notebook(cells):
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


_IDS = iter(range(10**6))


def _md(text, kind=None):
    cell = {"cell_type": "markdown", "id": f"md{next(_IDS)}", "metadata": {}, "source": text}
    if kind:
        cell["metadata"]["slideshow"] = {"slide_type": kind}
    return cell


def _code(source, outputs, kind="-"):
    return {"cell_type": "code", "id": f"code{next(_IDS)}",
            "metadata": {"slideshow": {"slide_type": kind}},
            "source": source, "outputs": outputs, "execution_count": 1}


def test_the_size_rule_counts_lines_and_image_heights(tmp_path):
    assert slides.png_size(_png(300, 200)) == (300, 200)
    assert slides.image_height(2464, 400) == 200                # scaled to the width
    assert slides.image_height(900, 700) == slides.IMAGE_MAX    # capped like the deck's CSS
    image = {"output_type": "display_data", "metadata": {},
             "data": {"image/png": _png(600, 500), "text/plain": "<Figure>"}}
    text = {"output_type": "stream", "name": "stdout", "text": "x\n" * 20}
    cells = [_md("# Title", "slide"), _code("print(1)", [text]),
             _code("fig", [image])]                           # 20 lines + 500 px: too tall
    cells += [_md(f"## Part {k}", "slide") for k in range(16)]
    path = tmp_path / "00_x.ipynb"
    path.write_text(json.dumps(_notebook(cells)))
    problems = slides.check_notebook(path)
    assert any("slide 1" in p and "px tall" in p for p in problems), problems
    cells[2]["metadata"]["slideshow"]["slide_type"] = "subslide"
    path.write_text(json.dumps(_notebook(cells)))
    assert not any("px tall" in p for p in slides.check_notebook(path))
    # too few slides, an untyped cell and no notes are each reported
    path.write_text(json.dumps(_notebook(cells[:3] + [_md("no type")])))
    problems = slides.check_notebook(path)
    assert any("not 15–30" in p for p in problems)
    assert any("no slide_type" in p for p in problems)
    assert any("no speaker notes" in p for p in problems)


def test_a_tall_table_is_split_between_rows_with_its_header_repeated():
    header = "| a | b |\n|---|---|"
    rows = [f"| row {k} | " + "word " * 30 + "|" for k in range(40)]
    text = "Lead-in.\n\n" + header + "\n" + "\n".join(rows)
    parts = slides.split_markdown(_md(text))
    assert len(parts) > 2
    assert all(p.startswith(header) for p in parts[1:])
    assert _lines("\n\n".join(parts)) == _lines(text)
    assert [r for p in parts for r in p.split("\n") if r.startswith("| row")] == rows
    assert all(slides._markdown_height(p) + slides.CELL_GAP <= slides.HEIGHT for p in parts)


def test_a_long_markdown_cell_is_split_at_blank_lines_and_keeps_its_text():
    text = "\n\n".join(f"Paragraph {k}: " + "word " * 60 for k in range(12))
    parts = slides.split_markdown(_md(text))
    assert len(parts) > 1
    assert "\n\n".join(parts) == text
    assert all(slides._markdown_height(p) + slides.CELL_GAP <= slides.HEIGHT for p in parts)


def test_an_override_that_matches_nothing_is_an_error(tmp_path):
    cells = [_md("# Title"), _md("## One")]
    path = tmp_path / "00_x.ipynb"
    path.write_text(json.dumps(_notebook(cells)))
    data = {"chapter": {"00": {"minutes": 5, "notes": [{"at": "title", "say": "hi"}],
                               "override": [{"match": "^no such cell", "slide_type": "skip"}]}}}
    _, cut = slides.cut_notebook(path, data)
    assert any("matches 0 cells" in p for p in cut.problems)


def test_rise_and_the_deck_cap_pictures_at_the_height_the_rule_assumes():
    rise = (ROOT / "notebooks" / "rise.css").read_text(encoding="utf-8")
    assert re.search(r"max-height:\s*(\d+)px", rise)[1] == str(slides.IMAGE_MAX)
    assert f"max-height: {slides.IMAGE_MAX}px" in slides.DECK_CSS
    for path in CHAPTERS:
        assert slides.read_notebook(path).metadata.get("rise", {}).get("height") in (
            None, slides.HEIGHT_TOTAL)
