"""Lecture mode: cut every chapter into slides, and build offline reveal.js decks.

    python .ci/slides.py cut   [NOTEBOOK ...]        # make slides-cut
    python .ci/slides.py check [NOTEBOOK ...]        # the cut as it stands: counts, problems
    python .ci/slides.py build [--out DIR] [NOTEBOOK ...]   # make slides

``cut`` gives every cell of a chapter RISE/nbconvert slideshow metadata
(``metadata.slideshow.slide_type``) by the rules below, applies the per-chapter overrides
of ``.ci/slides.toml`` and inserts that file's speaker notes as cells of type ``notes``.
It touches nothing else of a cell (source, outputs, tags) except two things it owns:
``metadata.jupyter.source_hidden`` (long code shown by its output only) and the split of a
markdown cell into several cells: before each ``##``/``###`` heading it holds after its
first line, and, where a part is still too tall for one slide, at its blank lines, between
a tall table's rows (header repeated) or a long quote's items (the notebook reads as
before). Running it twice gives the same file.

The rules, in order (a cell's override in slides.toml wins):
  * the title cell (``# …``) and every ``## …`` heading start a slide; ``### …`` a subslide;
  * set-up code (before the first ``##`` heading), code with no output and the exercises'
    answer and check cells are skipped;
  * a cell that shows a widget gets a slide of its own (the cell after it starts a subslide);
  * ``## Exercises`` is one closing slide: its first cell is shown, the rest skipped; a
    ``## Summary`` after it is shown again;
  * code longer than LONG_CODE lines with an output is shown by its output (input hidden);
  * a markdown cell with display math that follows others on a slide is a fragment (the
    derivation unfolds), as long as it fits;
  * whatever does not fit on the slide so far continues on a subslide.
If a chapter still has more than MAX_SLIDES slides, it is thinned step by step until it
fits: long text-only verification outputs skipped; long prose skipped and ``###``
subsections share screens; all text-only outputs skipped; all prose without display
math skipped; every ``###`` subsection after a section's first two skipped. With fewer
than MIN_SLIDES, the tallest screens are cut in two.

The slide size rule (shared with tests/test_slides.py and the deck's CSS): a slide is
1280×720 px; its content may be HEIGHT px tall; markdown text is TEXT_LINE px a line of
TEXT_CHARS characters, code and text output CODE_LINE px a line of CODE_CHARS characters,
headings and display math as in ``_markdown_height``, an image its PNG height scaled to
the content width and capped at IMAGE_MAX px (the deck's CSS caps it the same way).
"""
from __future__ import annotations

import argparse
import base64
import html
import math
import re
import struct
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
DATA = Path(__file__).with_name("slides.toml")

WIDTH, HEIGHT_TOTAL = 1280, 720
PAD = 24                                   # the deck's padding around a slide's content
HEIGHT = HEIGHT_TOTAL - 2 * PAD            # 672 px of content
CONTENT_WIDTH = WIDTH - 2 * PAD            # 1232 px
TEXT_FONT, TEXT_LINE, TEXT_CHARS = 20, 28, 95
CODE_FONT, CODE_LINE, CODE_CHARS = 15, 20, 125
HEADING = {1: (34, 46, 60), 2: (28, 40, 75), 3: (23, 33, 90)}  # font, line px, chars a line
MATH_LINE = 44                             # one line of display math
TABLE_ROW, TABLE_CHARS = 34, 85            # a table row (padding and rule included)
CELL_GAP = 10
IMAGE_MAX = 520
LONG_CODE = 12
MIN_SLIDES, MAX_SLIDES = 15, 30
MARK = "cnnbook_slides"                    # cell metadata key of the cells this tool made
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


# -- measuring ----------------------------------------------------------------------

def _source(cell):
    source = cell["source"]
    return "".join(source) if isinstance(source, list) else source


def _wrapped(line, chars):
    return max(1, math.ceil(len(line) / chars))


def png_size(data):
    """(width, height) of a base64 PNG, read from its IHDR chunk."""
    raw = base64.b64decode(data if isinstance(data, str) else "".join(data))
    if raw[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    return struct.unpack(">II", raw[16:24])


def image_height(width, height):
    scale = min(1.0, CONTENT_WIDTH / width)
    return min(IMAGE_MAX, math.ceil(height * scale))


def _markdown_height(text):
    height, in_math = 0, False
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped.startswith("$$") or in_math:
            # a display-math line ($$ … $$ on one line, or inside a block)
            opens = stripped.count("$$") % 2 == 1
            if not in_math or stripped:
                height += MATH_LINE if "\\frac" not in stripped and "\\sum" not in stripped \
                    else int(MATH_LINE * 1.5)
            in_math = in_math != opens
            continue
        heading = re.match(r"^(#{1,6})\s", line)
        if heading:
            font, line_px, chars = HEADING.get(len(heading[1]), HEADING[3])
            height += _wrapped(line, chars) * line_px + 8
        elif not stripped:
            height += TEXT_LINE // 2            # paragraph spacing
        elif re.match(r"^\|?\s*:?-{3,}", stripped):
            continue                            # a table's rule line
        elif stripped.startswith("|"):          # a table row: cells wrap in their columns
            height += _wrapped(line, TABLE_CHARS) * TABLE_ROW
        else:
            image = re.search(r"!\[[^\]]*\]\(", line)
            height += 300 if image else _wrapped(line, TEXT_CHARS) * TEXT_LINE
    return height


def _output_height(output):
    kind = output["output_type"]
    if kind == "stream":
        text = _source({"source": output.get("text", "")})
        return sum(_wrapped(l, CODE_CHARS) for l in text.rstrip("\n").split("\n")) * CODE_LINE
    if kind == "error":
        return 3 * CODE_LINE
    data = output.get("data", {})
    if WIDGET_MIME in data:
        return 0                                # no state saved: the static picture shows
    if "image/png" in data:
        width, height = png_size(data["image/png"])
        meta = output.get("metadata", {}).get("image/png", {})
        if meta.get("width"):
            height = height * meta["width"] / width
            width = meta["width"]
        return image_height(width, height)
    if "text/markdown" in data:
        return _markdown_height(_source({"source": data["text/markdown"]}))
    if "text/html" in data:
        rows = _source({"source": data["text/html"]}).count("<tr")
        return max(rows, 2) * TEXT_LINE
    if "text/latex" in data:
        latex = _source({"source": data["text/latex"]})
        rows = 1 + latex.count("\\\\") + latex.count("\n")
        return rows * MATH_LINE + 2 * CELL_GAP
    if "text/plain" in data:
        text = _source({"source": data["text/plain"]})
        return sum(_wrapped(l, CODE_CHARS) for l in text.split("\n")) * CODE_LINE
    return 0


def cell_height(cell):
    """Pixels the cell takes on a slide (0 when skipped or notes)."""
    if slide_type(cell) in ("skip", "notes"):
        return 0
    text = _source(cell)
    if cell["cell_type"] == "markdown":
        return _markdown_height(text) + CELL_GAP
    if cell["cell_type"] != "code":
        return 0
    height = 0
    if not cell["metadata"].get("jupyter", {}).get("source_hidden"):
        height += sum(_wrapped(l, CODE_CHARS) for l in text.split("\n")) * CODE_LINE + 16
    height += sum(_output_height(o) for o in cell.get("outputs", []))
    return height + CELL_GAP


def slide_type(cell):
    return cell["metadata"].get("slideshow", {}).get("slide_type", "-")


def slides_of(cells):
    """The screens of a cut notebook: lists of cell indices, one per slide or subslide."""
    screens = []
    for index, cell in enumerate(cells):
        kind = slide_type(cell)
        if kind in ("slide", "subslide") or not screens:
            screens.append([])
        if kind not in ("skip",):
            screens[-1].append(index)
    return [s for s in screens if any(slide_type(cells[i]) != "notes" for i in s)]


def screen_height(cells, screen):
    return sum(cell_height(cells[i]) for i in screen)


# -- classifying ----------------------------------------------------------------------

def _heading_level(cell):
    if cell["cell_type"] != "markdown":
        return None
    match = re.match(r"^(#{1,6})\s", _source(cell).lstrip())
    return len(match[1]) if match else None


def _heading_text(cell):
    return _source(cell).lstrip().split("\n", 1)[0].lstrip("#").strip()


def is_widget(cell):
    return cell["cell_type"] == "code" and any(
        WIDGET_MIME in o.get("data", {}) for o in cell.get("outputs", []))


def _text_only(cell):
    outputs = cell.get("outputs", [])
    return outputs and all(o["output_type"] == "stream" or (
        "image/png" not in o.get("data", {}) and WIDGET_MIME not in o.get("data", {}))
        for o in outputs)


def _has_display_math(cell):
    return cell["cell_type"] == "markdown" and "$$" in _source(cell)


def split_markdown(cell):
    """Parts of a markdown cell: one per ##/### section it holds, and each as tall as one
    slide allows, cut at blank lines (never inside a $$ block or a code fence); a table taller than a slide is cut between
    rows, its header repeated on each part. One part when the cell already fits."""
    text = _source(cell)
    sections = _split_at_headings(text)
    if len(sections) > 1:
        return [part for section in sections for part in split_markdown({"source": section})]
    if _markdown_height(text) + CELL_GAP <= HEIGHT:
        return [text]
    blocks, current, fence, math_open = [], [], False, False
    for line in text.split("\n"):
        if line.strip().startswith("```"):
            fence = not fence
        if line.strip().count("$$") % 2:
            math_open = not math_open
        if not line.strip() and not fence and not math_open and current:
            blocks.append("\n".join(current))
            current = []
        else:
            current.append(line)
    if current:
        blocks.append("\n".join(current))
    parts, part = [], []
    for block in [piece for b in blocks for piece in _split_table(b)]:
        trial = "\n\n".join(part + [block])
        if part and _markdown_height(trial) + CELL_GAP > HEIGHT:
            parts.append("\n\n".join(part))
            part = [block]
        else:
            part.append(block)
    if part:
        parts.append("\n\n".join(part))
    return parts


def _split_at_headings(text):
    """A cell that holds several sections (a ##/### heading after its first line), cut
    before each such heading: every section can start its own slide."""
    lines, pieces, current, fence = text.split("\n"), [], [], False
    for k, line in enumerate(lines):
        if line.strip().startswith("```"):
            fence = not fence
        starts = (not fence and re.match(r"^#{2,3}\s", line) and current
                  and not lines[k - 1].strip() and any(l.strip() for l in current))
        if starts:
            while current and not current[-1].strip():
                current.pop()
            pieces.append("\n".join(current))
            current = []
        current.append(line)
    pieces.append("\n".join(current))
    return pieces


def _split_table(block):
    """A table taller than a slide, as several tables of consecutive rows, each with the
    header repeated; a blockquote taller than a slide cut at its empty lines; any other
    block as it is."""
    lines = block.split("\n")
    if all(l.startswith(">") for l in lines) and _markdown_height(block) + CELL_GAP > HEIGHT:
        # a long blockquote ("Where the source goes wrong"): cut at its empty lines and
        # before its list items, then packed into pieces that fit
        segments, current = [], []
        for line in lines:
            if line.strip() == ">" or re.match(r"^>\s*([*-]|\d+\.)\s", line):
                if current:
                    segments.append(current)
                current = [] if line.strip() == ">" else [line]
            else:
                current.append(line)
        if current:
            segments.append(current)
        pieces, piece = [], []
        for segment in segments:
            if piece and _markdown_height("\n".join(piece + segment)) + CELL_GAP \
                    > HEIGHT - 3 * TEXT_LINE:
                pieces.append(piece)
                piece = []
            piece = piece + segment
        pieces.append(piece)
        return ["\n".join(p) for p in pieces if p]
    is_table = len(lines) > 2 and all(l.lstrip().startswith("|") for l in lines) and \
        re.match(r"^\|?\s*:?-{3,}", lines[1].strip())
    if not is_table or _markdown_height(block) + CELL_GAP <= HEIGHT:
        return [block]
    header, pieces, rows = lines[:2], [], []
    for row in lines[2:]:
        if rows and _markdown_height("\n".join(header + rows + [row])) + CELL_GAP \
                > HEIGHT - 3 * TEXT_LINE:
            pieces.append("\n".join(header + rows))
            rows = []
        rows.append(row)
    pieces.append("\n".join(header + rows))
    return pieces


def _new_markdown(text, base_id, k):
    return {"cell_type": "markdown", "id": f"{base_id}-part{k}"[:64],
            "metadata": {MARK: {"part": k}}, "source": text}


def _notes_cell(chapter, k, text):
    return {"cell_type": "markdown", "id": f"slides-notes-{chapter}-{k}",
            "metadata": {MARK: {"notes": k}, "slideshow": {"slide_type": "notes"}},
            "source": text.strip()}


def _set(cell, kind, hide_input=False):
    cell["metadata"]["slideshow"] = {"slide_type": kind}
    jupyter = cell["metadata"].get("jupyter", {})
    jupyter.pop("source_hidden", None)
    if hide_input:
        jupyter["source_hidden"] = True
    if jupyter:
        cell["metadata"]["jupyter"] = jupyter
    else:
        cell["metadata"].pop("jupyter", None)


def chapter_key(path):
    return Path(path).name[:2]


def load_data():
    return tomllib.loads(DATA.read_text(encoding="utf-8"))


class Cut:
    """The cut of one notebook: ``cells`` with metadata, ``report`` of what was decided."""

    def __init__(self, nb, chapter, data):
        self.chapter = chapter
        self.config = data.get("chapter", {}).get(chapter, {})
        self.nb = nb
        self.report = []
        self.problems = []

    def run(self):
        cells = [c for c in self.nb["cells"] if "notes" not in c["metadata"].get(MARK, {})]
        cells = self._split(cells)
        overrides = self._overrides(cells)
        for level in range(6):
            self.report = [line for line in self.report if line.startswith("split")]
            self._classify(cells, overrides, level)
            self._pack(cells, overrides)
            count = len(slides_of(cells))
            if count <= MAX_SLIDES:
                break
        if level:
            self.report.append(f"{count} slides after thinning level {level}")
        while count < MIN_SLIDES and self._split_tallest(cells):
            count = len(slides_of(cells))
        cells = self._insert_notes(cells)
        self.nb["cells"] = cells
        self.nb["metadata"]["rise"] = {
            "width": WIDTH, "height": HEIGHT_TOTAL, "scroll": True,
            "start_slideshow_at": "beginning", "theme": "white", "transition": "none",
            "center": False, "slideNumber": True}
        return self.nb

    # every markdown cell taller than a slide becomes several cells, cut at blank lines
    def _split(self, cells):
        out = []
        for cell in cells:
            if cell["cell_type"] == "markdown" and MARK not in cell["metadata"]:
                parts = split_markdown(cell)
                if len(parts) > 1:
                    cell["source"] = parts[0]
                    out.append(cell)
                    out.extend(_new_markdown(p, cell.get("id", "cell"), k)
                               for k, p in enumerate(parts[1:], 1))
                    self.report.append(f"split a markdown cell ({_source(cell)[:40]!r}…) "
                                       f"into {len(parts)}")
                    continue
            out.append(cell)
        return out

    def _overrides(self, cells):
        found = {}
        for rule in self.config.get("override", []):
            hits = [i for i, c in enumerate(cells) if re.search(rule["match"], _source(c), re.M)]
            if len(hits) != 1:
                self.problems.append(f"override {rule['match']!r} matches {len(hits)} cells, "
                                     "not exactly one")
                continue
            found[hits[0]] = rule
        return found

    def _classify(self, cells, overrides, level):
        section = None                       # None before the first ##, else its title
        exercises = False
        subsection = -1                      # index of the ### subsection in its section
        for i, cell in enumerate(cells):
            level_h = _heading_level(cell)
            text = _source(cell)
            kind, hide = "-", False
            if level_h is not None and level_h <= 2:
                subsection = -1
            elif level_h == 3:
                subsection += 1
            if level >= 5 and subsection >= 2 and not exercises:
                kind = "skip"                    # thinning: two ### subsections a section
            elif level_h is not None and level_h <= 2:
                section = _heading_text(cell)
                exercises = bool(re.match(r"(\d+\.\s*)?(Exercises|练习)", section))
                kind = "slide"
            elif level_h == 3 and not exercises:
                kind = "subslide" if level < 2 else "-"    # thinning: ### sections pack
            elif exercises:
                kind = "skip"
            elif cell["cell_type"] == "code":
                outputs = cell.get("outputs", [])
                lines = text.count("\n") + 1
                if section is None or not outputs or re.match(r"\s*check\(", text) \
                        or "%matplotlib" in text:
                    kind = "skip"
                elif is_widget(cell):
                    kind = "slide"
                elif level >= 1 and _text_only(cell) and sum(
                        _output_height(o) for o in outputs) > 6 * CODE_LINE:
                    kind = "skip"
                elif level >= 3 and _text_only(cell):
                    kind = "skip"
                else:
                    hide = lines > LONG_CODE or (level >= 2 and lines > 4)
            elif cell["cell_type"] == "markdown":
                if section is None and i > 0 and _heading_level(cells[0]) == 1 \
                        and MARK not in cell["metadata"]:
                    kind = "-"
                elif level >= 2 and not _has_display_math(cell) and text.count("\n") > 6 \
                        and level_h is None and MARK not in cell["metadata"]:
                    kind = "skip"
                elif level >= 4 and not _has_display_math(cell) and level_h is None:
                    kind = "skip"
            else:
                kind = "skip"                    # raw cells
            rule = overrides.get(i)
            if rule:
                kind = rule.get("slide_type", kind)
                hide = rule.get("hide_input", hide)
            _set(cell, kind, hide and cell["cell_type"] == "code")

    def _pack(self, cells, overrides):
        """Fragments and continuation subslides so that no screen is taller than HEIGHT."""
        used, previous_widget = 0, False
        for i, cell in enumerate(cells):
            kind = slide_type(cell)
            if kind in ("skip", "notes"):
                continue
            height = cell_height(cell)
            if height > HEIGHT and cell["cell_type"] == "code":
                _set(cell, kind, True)                  # try it with the input hidden
                height = cell_height(cell)
            if height > HEIGHT:
                self.report.append(f"skipped, taller than a slide: {_source(cell)[:50]!r}")
                _set(cell, "skip")
                if kind in ("slide", "subslide"):       # the next shown cell starts the screen
                    used = HEIGHT + 1
                continue
            hidden = bool(cell["metadata"].get("jupyter", {}).get("source_hidden"))
            if i in overrides and "slide_type" in overrides[i]:
                used = height if kind in ("slide", "subslide") else used + height
            elif kind in ("slide", "subslide"):
                used = height
            elif previous_widget or used + height > HEIGHT:
                _set(cell, "subslide", hidden)
                used = height
            else:
                if _has_display_math(cell) and used > 0:
                    _set(cell, "fragment", hidden)
                used += height
            previous_widget = is_widget(cell)

    def _split_tallest(self, cells):
        """Too few slides: cut the tallest screen that has two shown cells in two."""
        screens = sorted(slides_of(cells), key=lambda s: -screen_height(cells, s))
        for screen in screens:
            shown = [i for i in screen if slide_type(cells[i]) != "notes"]
            if len(shown) < 2:
                continue
            half, running = screen_height(cells, screen) / 2, 0
            for i in shown[1:]:
                running = screen_height(cells, [j for j in shown if j < i])
                if running >= half or i == shown[-1]:
                    hidden = bool(cells[i]["metadata"].get("jupyter", {}).get("source_hidden"))
                    _set(cells[i], "subslide", hidden)
                    return True
        return False

    def _insert_notes(self, cells):
        notes = self.config.get("notes", [])
        placed = {}
        for k, note in enumerate(notes):
            at = note.get("at", "title")
            index = self._anchor(cells, at)
            if index is None and at not in ("title", "widget", "exercises"):
                self.report.append(f"note {k}: no heading matches {at!r}; "
                                   "it goes on the title slide")
                index = self._anchor(cells, "title")
            if index is None:
                self.problems.append(f"note {k} ({at!r}) found no place in the chapter")
                continue
            placed.setdefault(index, []).append((k, note))
        out = []
        for i, cell in enumerate(cells):
            out.append(cell)
            for k, note in placed.get(i, []):
                out.append(_notes_cell(self.chapter, k, _note_text(note, self.config)))
        return out

    def _anchor(self, cells, at):
        """Index of the last cell shown on the screen that ``at`` names."""
        if at == "title":
            start = 0
        elif at == "widget":
            start = next((i for i, c in enumerate(cells) if is_widget(c)), None)
        elif at == "exercises":
            start = next((i for i, c in enumerate(cells) if _heading_level(c) == 2 and
                          re.match(r"(\d+\.\s*)?Exercises", _heading_text(c))), None)
        else:
            start = next((i for i, c in enumerate(cells) if _heading_level(c) and
                          re.search(at, _heading_text(c))), None)
        if start is None:
            return None
        # notes go at the end of that screen (before the next slide or subslide)
        end = start
        for j in range(start + 1, len(cells)):
            if slide_type(cells[j]) in ("slide", "subslide"):
                break
            end = j
        return end


def _note_text(note, config):
    lines = []
    if note.get("at", "title") == "title" and config.get("minutes"):
        lines.append(f"**Time:** about {config['minutes']} minutes for the chapter.")
    for key, label in (("time", "Time"), ("live", "Run live"), ("ask", "Ask the room"),
                       ("mistake", "Typical mistake"), ("say", "Say")):
        if note.get(key):
            lines.append(f"**{label}:** {note[key].strip()}")
    return "Speaker notes — " + "\n\n".join(lines) if lines else ""


def read_notebook(path):
    import nbformat
    return nbformat.reads(Path(path).read_text(encoding="utf-8"), as_version=4)


def write_text(nb):
    """The notebook as nbformat writes it (as .ci/execute_notebooks.py and JupyterLab do)."""
    import nbformat
    text = nbformat.writes(nbformat.from_dict(nb))
    return text if text.endswith("\n") else text + "\n"


def cut_notebook(path, data=None, write=True):
    data = data if data is not None else load_data()
    path = Path(path)
    original = path.read_text(encoding="utf-8")
    nb = read_notebook(path)
    cut = Cut(nb, chapter_key(path), data)
    cut.run()
    text = write_text(nb)
    if write and text != original:
        path.write_text(text, encoding="utf-8")
    return nb, cut


def check_notebook(path):
    """Problems of a notebook's cut as committed (the test's measure): [str]."""
    cells = read_notebook(path)["cells"]
    problems = []
    for i, cell in enumerate(cells):
        if "slide_type" not in cell["metadata"].get("slideshow", {}):
            problems.append(f"cell {i} has no slide_type")
    screens = slides_of(cells)
    if not MIN_SLIDES <= len(screens) <= MAX_SLIDES:
        problems.append(f"{len(screens)} slides, not {MIN_SLIDES}–{MAX_SLIDES}")
    for n, screen in enumerate(screens, 1):
        height = screen_height(cells, screen)
        if height > HEIGHT:
            problems.append(f"slide {n} (cells {screen[0]}–{screen[-1]}) is {height} px tall, "
                            f"more than {HEIGHT}")
    if not any(slide_type(c) == "notes" for c in cells):
        problems.append("no speaker notes")
    return problems


def chapters(args):
    return [Path(a) for a in args] if args else sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


# -- the offline deck -----------------------------------------------------------------

def reveal_dir():
    import sphinx_revealjs
    folder = Path(sphinx_revealjs.__file__).parent / "_static" / "revealjs"
    if not (folder / "dist" / "reveal.js").is_file():
        raise SystemExit(f"reveal.js not found in {folder} (sphinx-revealjs changed its layout)")
    return folder


_MATH = re.compile(r"(?<!\\)\$\$(.+?)\$\$|(?<![\\$])\$(?!\$)(.+?)(?<![\\$])\$", re.S)


def _mathml(tex, display):
    from latex2mathml.converter import convert
    return convert(tex.strip(), display="block" if display else "inline")


def math_to_mathml(text, failures):
    """Replace $…$ and $$…$$ by MathML (outside code spans and fences)."""
    pieces = re.split(r"(```.*?```|`[^`\n]*`)", text, flags=re.S)
    for k in range(0, len(pieces), 2):
        def replace(match):
            tex, display = (match[1], True) if match[1] is not None else (match[2], False)
            try:
                return _mathml(tex, display)
            except Exception as error:                 # noqa: BLE001 - reported, not hidden
                failures.append(f"{tex!r}: {type(error).__name__}: {error}")
                return f"<code>{html.escape(tex)}</code>"
        pieces[k] = _MATH.sub(replace, pieces[k])
    return "".join(pieces)


DECK_CSS = f"""
html, body, main {{ height: 100%; margin: 0; overflow: hidden; }}
.reveal .slides section {{ padding: {PAD}px; box-sizing: border-box; text-align: left;
  height: {HEIGHT_TOTAL}px; overflow: hidden; }}
.reveal {{ font-size: {TEXT_FONT}px; line-height: {TEXT_LINE}px; }}
.reveal .jp-RenderedHTMLCommon p {{
  font-size: {TEXT_FONT}px; line-height: {TEXT_LINE}px; margin: 0 0 {TEXT_LINE // 2}px 0; }}
.reveal li, .reveal td, .reveal th {{ font-size: {TEXT_FONT}px; line-height: {TEXT_LINE}px;
  margin: 0; }}
.reveal ul, .reveal ol {{ margin: 0 0 {TEXT_LINE // 2}px 0; }}
.reveal h1 {{ font-size: {HEADING[1][0]}px; line-height: {HEADING[1][1]}px; margin: 0 0 8px 0; }}
.reveal h2 {{ font-size: {HEADING[2][0]}px; line-height: {HEADING[2][1]}px; margin: 0 0 8px 0; }}
.reveal h3, .reveal h4 {{ font-size: {HEADING[3][0]}px; line-height: {HEADING[3][1]}px;
  margin: 0 0 8px 0; }}
.reveal pre, .reveal code, .reveal .jp-OutputArea-output pre {{
  font-size: {CODE_FONT}px; line-height: {CODE_LINE}px; margin: 0; box-shadow: none;
  white-space: pre-wrap; word-break: break-all; }}
.reveal .jp-Cell {{ margin: 0 0 {CELL_GAP}px 0; padding: 0; }}
.reveal .jp-InputPrompt, .reveal .jp-OutputPrompt {{ display: none; }}
.reveal img {{ max-width: 100%; max-height: {IMAGE_MAX}px; margin: 0; object-fit: contain; }}
.reveal math[display="block"] {{ margin: 6px 0; }}
.reveal table {{ border-collapse: collapse; }}
.reveal td, .reveal th {{ padding: 0 8px; border-bottom: 1px solid #ddd; }}
.reveal blockquote {{ margin: 0; padding: 0 12px; width: auto; box-shadow: none;
  border-left: 4px solid #c33; background: #fff6f6; font-style: normal; }}
"""


def build_deck(path, out_dir):
    """Write ``out_dir/<chapter>.html``: one file, no network (reveal.js, its CSS and the
    notes plugin inlined, math as MathML, images embedded). Returns (path, math failures)."""
    from nbconvert.exporters import SlidesExporter
    from traitlets.config import Config

    import nbformat
    nb = read_notebook(path)
    # the deck shows the tool's cut, whether or not the committed notebook carries it yet
    # (identical when it does: the cut is idempotent)
    Cut(nb, chapter_key(path), load_data()).run()
    failures = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            cell["source"] = math_to_mathml(_source(cell), failures)
        if "outputs" in cell:                     # no widget state saved: the static
            cell["outputs"] = [o for o in cell["outputs"]   # picture stands in, not the
                               if WIDGET_MIME not in o.get("data", {})]  # widget's repr
    nb = nbformat.from_dict(nb)
    reveal = reveal_dir()
    config = Config()
    config.SlidesExporter.reveal_url_prefix = "inline"
    template = Path(__file__).with_name("slides_template") / "cnnbook_deck.html.j2"
    exporter = SlidesExporter(config=config, template_file=str(template))
    resources = {"cnnbook": {
        "reveal_css": (reveal / "dist" / "reveal.css").read_text(encoding="utf-8"),
        "theme_css": (reveal / "dist" / "theme" / "white.css").read_text(encoding="utf-8")
        .replace("@import url(", "/* no external font: */ @import-disabled url(")
        + "\n.reveal h1, .reveal h2, .reveal h3, .reveal h4 { text-transform: none; }",
        "reveal_js": (reveal / "dist" / "reveal.js").read_text(encoding="utf-8"),
        "notes_js": (reveal / "plugin" / "notes" / "notes.js").read_text(encoding="utf-8"),
        "deck_css": DECK_CSS, "width": WIDTH, "height": HEIGHT_TOTAL}}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / (Path(path).stem + ".html")
    target.write_text(body, encoding="utf-8")
    return target, failures


# -- command line ------------------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["cut", "check", "build"])
    parser.add_argument("notebooks", nargs="*")
    parser.add_argument("--out", default=str(ROOT / "slides"))
    args = parser.parse_intermixed_args(argv)
    status = 0
    if args.command == "cut":
        data = load_data()
        for path in chapters(args.notebooks):
            nb, cut = cut_notebook(path, data)
            for line in cut.report:
                print(f"{path.name}: {line}")
            for line in cut.problems:
                print(f"{path.name}: PROBLEM {line}")
                status = 1
    if args.command in ("cut", "check"):
        for path in chapters(args.notebooks):
            problems = check_notebook(path)
            cells = read_notebook(path)["cells"]
            print(f"{path.name}: {len(slides_of(cells))} slides" +
                  ("" if not problems else "; " + "; ".join(problems)))
            status |= bool(problems)
    if args.command == "build":
        out = Path(args.out)
        for path in chapters(args.notebooks):
            target, failures = build_deck(path, out)
            print(f"{target}")
            for failure in failures:
                print(f"  math not converted: {failure}")
                status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
