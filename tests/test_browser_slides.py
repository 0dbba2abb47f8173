"""Lecture mode in a real browser: the offline decks, and the RISE slideshow in JupyterLab.

* Every chapter's deck (`make slides`, built here into a temporary folder) opens from
  file:// with every other request blocked, steps from the first slide to the last, and
  nothing fails to load: no request leaves the file, no console error, every picture
  decodes, every slide's content fits its 1280×720 screen, the math is MathML and the
  speaker notes are there.
* `make lab`'s JupyterLab (its options and the venv's overrides.json) shows a new user
  no news prompt.
* Chapter 0, cut for slides, runs in JupyterLab; its RISE slideshow (jupyterlab-rise)
  starts on the title slide and steps to the widget's slide, where the cell is run live,
  the explorer renders, a slider is dragged and the picture is redrawn. Screenshots of
  the three are left in slides/screenshots/ (or $CNNBOOK_SCREENSHOTS), whose path is
  printed.

Uses the JupyterLab and Chromium fixtures of tests/test_browser.py (same skip rules:
without Chromium or Playwright the tests skip, or fail under CNNBOOK_REQUIRE_BROWSER).
Run with `make test-browser`.
"""
from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
from pathlib import Path

import pytest

from .test_browser import (  # noqa: F401  (fixtures, used by name)
    _PROMPTS, _menu, browser, evidence_on_failure, lab,
)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SCREENSHOTS = Path(os.environ.get("CNNBOOK_SCREENSHOTS", ROOT / "slides" / "screenshots"))
STEP = 30_000

_spec = importlib.util.spec_from_file_location("cnnbook_slides", ROOT / ".ci" / "slides.py")
slides = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(slides)


# -- the offline decks ---------------------------------------------------------------

@pytest.fixture(scope="module")
def decks(tmp_path_factory):
    try:
        slides.reveal_dir()
        import latex2mathml  # noqa: F401
    except ImportError as error:
        pytest.fail(f"the deck builder's requirements are missing ({error}): "
                    "`make test-browser` installs requirements-slides.lock", pytrace=False)
    folder = tmp_path_factory.mktemp("decks")
    built = {}
    for path in CHAPTERS:
        target, failures = slides.build_deck(path, folder)
        built[path.name] = (target, failures)
    return built


_LEAVES = """() => [...document.querySelectorAll('.reveal .slides section')]
    .filter(s => !s.querySelector('section'))"""

_FITS = """() => {
  const leaves = (%s)();
  return leaves.map((s, k) => {
    const style = s.style.cssText;
    s.style.height = 'auto'; s.style.display = 'block';
    const height = s.scrollHeight;
    s.style.cssText = style;
    return height;
  });
}""" % _LEAVES

_PICTURES = """() => [...document.querySelectorAll('.reveal img')].map(img =>
    ({ok: img.complete && img.naturalWidth > 0, src: img.src.slice(0, 40)}))"""


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_the_deck_opens_offline_and_every_slide_loads(path, decks, browser):
    deck, failures = decks[path.name]
    assert failures == [], f"math that latex2mathml could not convert: {failures}"
    html = deck.read_text(encoding="utf-8")
    assert "<math" in html, "no MathML in the deck"
    assert "VBox(children=" not in html, "a widget shown as its text repr, not its picture"
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    context.set_default_timeout(STEP)
    url = deck.as_uri()
    blocked, failed, problems = [], [], []
    context.route("**/*", lambda route: route.continue_() if route.request.url == url
                  else (blocked.append(route.request.url), route.abort()))
    page = context.new_page()
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    try:
        page.goto(url)
        page.wait_for_function("() => window.Reveal && Reveal.isReady()")
        total = page.evaluate("() => Reveal.getTotalSlides()")
        nb = slides.read_notebook(path)
        slides.Cut(nb, path.name[:2], slides.load_data()).run()
        expected = len(slides.slides_of(nb["cells"]))
        assert total == expected, f"the deck has {total} slides, the cut {expected}"
        # step through every slide and fragment, as a lecturer pressing → does
        seen, steps = set(), 0
        while True:
            indices = page.evaluate("() => Reveal.getIndices()")
            seen.add((indices["h"], indices["v"]))
            if page.evaluate("() => Reveal.isLastSlide() && !Reveal.availableFragments().next"):
                break
            page.evaluate("() => Reveal.next()")
            steps += 1
            assert steps < 10 * total, "stepping never reached the last slide"
        assert len(seen) == total, f"stepped through {len(seen)} of {total} slides"
        heights = page.evaluate(_FITS)
        too_tall = {k + 1: h for k, h in enumerate(heights) if h > slides.HEIGHT_TOTAL}
        assert not too_tall, f"slides taller than {slides.HEIGHT_TOTAL} px: {too_tall}"
        pictures = page.evaluate(_PICTURES)
        assert pictures and all(p["ok"] for p in pictures), \
            f"pictures that did not load: {[p for p in pictures if not p['ok']]}"
        notes = page.evaluate("() => document.querySelectorAll('aside.notes').length")
        assert notes == len(slides.load_data()["chapter"][path.name[:2]]["notes"])
        assert blocked == [], f"the deck asked the network for {blocked}"
        assert failed == [], f"requests that failed: {failed}"
        assert problems == [], f"browser console errors: {problems}"
    finally:
        context.close()


# -- RISE in JupyterLab --------------------------------------------------------------

RISE_CHAPTER = "00_start_here.ipynb"       # short to run, and it has a widget


def _first_widget_line():
    """The first line of the chapter's first widget cell: how the test knows its slide."""
    cells = slides.read_notebook(ROOT / "notebooks" / RISE_CHAPTER)["cells"]
    cell = next(c for c in cells if slides.is_widget(c))
    return slides._source(cell).strip().split("\n")[0]


def _present(page):
    """Text of the slide on screen (the innermost section that is present)."""
    return page.evaluate("() => { const s = [...document.querySelectorAll("
                         "'.reveal section.present')].pop(); return s ? s.innerText : '' }")


@pytest.fixture
def rise_page(browser, lab):
    """A page on the chapter (cut for slides) in JupyterLab; the test runs it, then RISE."""
    shutil.copy(ROOT / "notebooks" / RISE_CHAPTER, lab.root / RISE_CHAPTER)
    shutil.copy(ROOT / "notebooks" / "rise.css", lab.root / "rise.css")
    slides.cut_notebook(lab.root / RISE_CHAPTER)       # the committed cut, or the tool's
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    context.set_default_timeout(STEP)
    page = context.new_page()
    page.console = []
    page.on("console", lambda m: page.console.append(f"{m.type}: {m.text}"))
    try:
        yield page
    finally:
        context.close()
        with contextlib.suppress(OSError):
            lab.shutdown_kernels()


def test_rise_slideshow_title_widget_slide_and_its_slider(rise_page, lab):
    page = rise_page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with evidence_on_failure(page, lab, "rise"):
        # a lecturer opens the chapter and runs it (the explorer needs a live kernel) ...
        page.goto(f"{lab.url}/lab/tree/{RISE_CHAPTER}?reset")
        page.locator(".jp-StatusBar-TextItem", has_text="| Idle").wait_for()
        _menu(page, "Run", "runmenu:run-all")
        page.wait_for_timeout(1000)
        page.wait_for_function(f"() => ({_PROMPTS})().queued === 0", timeout=120_000)
        page.locator(".jp-StatusBar-TextItem", has_text="| Idle").wait_for()
        assert page.evaluate(_PROMPTS)["errors"] == []
        # ... then starts RISE (View ▸ Render with RISE opens this page in a panel)
        page.goto(f"{lab.url}/rise/{RISE_CHAPTER}?activate=true")
        page.locator(".reveal .slides section.present").first.wait_for()
        title = slides._heading_text(slides.read_notebook(lab.root / RISE_CHAPTER)["cells"][0])
        page.wait_for_function("t => document.querySelector('.reveal section.present')"
                               ".innerText.toLowerCase().includes(t)", arg=title[:30].lower())
        page.screenshot(path=str(SCREENSHOTS / "rise-first-slide.png"))
        widget_line = _first_widget_line()
        for _ in range(80):                          # → through slides and fragments
            if widget_line in _present(page):
                break
            page.keyboard.press("Space")
            page.wait_for_timeout(150)
        else:
            raise AssertionError("stepped 80 times without reaching the widget's slide")
        present = page.locator(".reveal section.present").last
        picture = present.locator(".jp-OutputArea-output img").first
        picture.wait_for()
        assert picture.evaluate("img => img.complete && img.naturalWidth > 0")
        # notebooks/rise.css caps pictures at the height the cut assumes
        shown = picture.evaluate("img => img.getBoundingClientRect().height")
        assert shown <= slides.IMAGE_MAX + 1, f"the picture is {shown} px tall on the slide"
        page.screenshot(path=str(SCREENSHOTS / "rise-widget-slide.png"))
        print(f"RISE screenshots: {SCREENSHOTS}")

        # run the widget's cell live on its slide, then move its first slider
        prompt = present.locator(".jp-InputPrompt").first
        saved_prompt = prompt.inner_text()
        present.locator(".jp-CodeCell .jp-InputArea-editor").first.click()
        page.keyboard.press("Shift+Enter")
        page.wait_for_function("([p, saved]) => p.innerText !== saved && !p.innerText.includes('*')",
                               arg=[prompt.element_handle(), saved_prompt])
        # the live explorer (ipywidgets + anywidget) replaces the static picture on the slide
        box = present.locator(".widget-vbox").first
        try:
            box.wait_for()
        except Exception:
            output = present.locator(".jp-OutputArea-output").first.inner_text()
            raise AssertionError(
                "the explorer did not render in the slideshow (the output shows "
                f"{output[:60]!r}); the RISE page's widget manager did not load: "
                "jupyterlab_widgets must be one whose frontend needs no @jupyterlab/console "
                "(jupyterlab-rise 0.43.1 bundles no such module), see requirements.txt"
            ) from None
        _move_the_first_slider(page, box)


def _picture(box):
    """A digest of the explorer's SVG picture and its version (scene.js counts redraws)."""
    return box.locator(".cnnbook-explorer").evaluate("""async el => {
        const svg = el.querySelector("svg.cnnbook-picture");
        const text = new TextEncoder().encode(svg.innerHTML);
        const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", text));
        return {version: el.dataset.version, cells: svg.querySelectorAll("rect").length,
                svg: Array.from(digest, b => b.toString(16).padStart(2, "0")).join("")};
    }""")


def _move_the_first_slider(page, box):
    """Drag the explorer's first slider: its readout changes and the picture is redrawn."""
    box.locator(".cnnbook-explorer svg.cnnbook-picture rect").first.wait_for(state="attached")
    before = _picture(box)
    assert before["cells"] > 0, "the explorer's picture is empty"
    control = box.locator(".widget-slider").first
    readout = control.locator(".widget-readout")
    value = readout.inner_text()
    # drag it with the mouse, as a lecturer does: reveal.js takes the arrow keys
    handle = control.locator(".noUi-handle").bounding_box()
    track = control.locator(".noUi-target").bounding_box()
    y = handle["y"] + handle["height"] / 2
    page.mouse.move(handle["x"] + handle["width"] / 2, y)
    page.mouse.down()
    page.mouse.move(handle["x"] + handle["width"] / 2 + track["width"] / 4, y, steps=5)
    page.mouse.up()
    page.wait_for_function("([r, v]) => r.innerText !== v", arg=[readout.element_handle(), value])
    page.wait_for_function("([el, v]) => el.dataset.version !== v",
                           arg=[box.locator(".cnnbook-explorer").element_handle(),
                                before["version"]])
    after = _picture(box)
    assert after["svg"] != before["svg"], "the slider moved, but the picture is the same"
    page.screenshot(path=str(SCREENSHOTS / "rise-widget-moved.png"))


# -- make lab: no news prompt ----------------------------------------------------------

def _make_lab_flags():
    """The JupyterLab options of the Makefile's `lab` target."""
    text = (ROOT / "Makefile").read_text(encoding="utf-8").replace("\\\n", " ")
    line = next(l for l in text.splitlines() if "jupyter lab --notebook-dir" in l)
    return [word for word in line.split() if word.startswith("--LabApp.")]


def test_make_lab_opens_without_the_news_prompt(browser, tmp_path):
    """JupyterLab as `make lab` starts it (the venv's overrides.json from binder/, the
    Makefile's options), with a new user's empty settings: no toast asks about news."""
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    overrides = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    assert overrides.is_file() and overrides.read_text() == \
        (ROOT / "binder" / "overrides.json").read_text(), \
        f"{overrides} is not binder/overrides.json: make venv installs it"
    flags = _make_lab_flags()
    assert "--LabApp.news_url=None" in flags
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, **{name: str(tmp_path / folder) for name, folder in (
        ("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
        ("JUPYTER_RUNTIME_DIR", "runtime"), ("JUPYTERLAB_SETTINGS_DIR", "settings"),
        ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"), ("IPYTHONDIR", "ipython"))})
    env.pop("JUPYTER_TOKEN", None)
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
               "--IdentityProvider.token=", f"--ServerApp.root_dir={ROOT / 'notebooks'}"] + flags
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    server = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    context = browser.new_context()
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=2)
                break
            except OSError:
                assert server.poll() is None, "JupyterLab exited"
                time.sleep(0.2)
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{port}/lab")
        page.locator(".jp-Launcher").first.wait_for(timeout=STEP * 2)
        page.wait_for_timeout(5000)        # the prompt, when it comes, comes within a second
        toasts = page.locator(".jp-Notification-Toast, .Toastify__toast").all_inner_texts()
        assert not [t for t in toasts if "news" in t.lower()], toasts
    finally:
        context.close()
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=15)
