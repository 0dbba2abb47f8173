"""The widgets in a real browser: JupyterLab + headless Chromium, driven by Playwright.

The headless tests prove that the explorers compute the right arrays; only a browser
proves that a student who opens a chapter and runs it sees the widget, can move a
slider and sees the text and the picture change. Each test copies a chapter into a
temporary JupyterLab root, opens it, clears and runs every cell (Run ▸ Run All Cells),
finds an explorer by the description of one of its sliders, moves that slider with
the keyboard and checks that the message now says exactly what the explorer's state
function says for the new setting, and that the picture (SVG drawn by the browser from
the explorer's scene) was redrawn and looks different; it drags a slider and checks
that the picture follows before the mouse is let go; it clicks or hovers a cell and
checks the highlighted set against the explorer's routes. It also measures, and
prints, the time from a slider key to the new picture on screen (no assertion on it).

Needs Debian's Chromium at /usr/bin/chromium (never a browser download) and
Playwright from PyPI (requirements-browser.txt); without either the module skips,
saying which is missing, unless CNNBOOK_REQUIRE_BROWSER is set (as in .ci/run),
when it fails instead. Run with `make test-browser`; `make test` leaves it out.
On a failure the page's screenshot, the browser console and the server log are
kept in a temporary folder, whose path the failure report prints.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
# Chromium on a machine with no network but the package registries: no sync, no
# component updates, no first-run work, no background requests at all.
CHROMIUM_ARGS = ["--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
SERVER_START = 60      # seconds for JupyterLab to answer /api/status
RUN_ALL = 90           # seconds for Run All Cells of one chapter (≈ 3 s here)
STEP = 30_000          # ms for any one browser step (a page, a click, a redraw)


def _unavailable(reason):
    if os.environ.get("CNNBOOK_REQUIRE_BROWSER"):
        pytest.fail(f"{reason} (CNNBOOK_REQUIRE_BROWSER is set, so this is an error)",
                    pytrace=False)
    pytest.skip(reason, allow_module_level=True)


if not os.access(CHROMIUM, os.X_OK):
    _unavailable(f"browser tests need Debian's Chromium at {CHROMIUM} "
                 "(apt-get install chromium); .ci/run installs it")
try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:
    _unavailable("browser tests need Playwright (pip install -r requirements-browser.txt; "
                 "`make test-browser` installs it)")

from cnnbook.widgets import PoolingExplorer, StrideExplorer, pooling_state, stride_state


# -- the server ---------------------------------------------------------------

def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_json(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


class Lab:
    """JupyterLab on 127.0.0.1, a free port, no token, and every file in one temp folder."""

    def __init__(self):
        self.home = Path(tempfile.mkdtemp(prefix="cnnbook-lab-"))
        self.root = self.home / "root"            # the notebooks the browser opens
        self.root.mkdir()
        self.log = self.home / "server.log"
        config = self.home / "config"
        settings = config / "lab" / "user-settings" / "@jupyterlab"
        # No news or update prompt, no autosave: nothing pops up, nothing is written back.
        _write_json(settings / "apputils-extension" / "notification.jupyterlab-settings",
                    {"fetchNews": "false", "checkForUpdates": False})
        _write_json(settings / "docmanager-extension" / "plugin.jupyterlab-settings",
                    {"autosave": False})
        self.env = dict(os.environ, JUPYTER_CONFIG_DIR=str(config),
                        JUPYTER_DATA_DIR=str(self.home / "data"),
                        JUPYTER_RUNTIME_DIR=str(self.home / "runtime"),
                        JUPYTERLAB_SETTINGS_DIR=str(config / "lab" / "user-settings"),
                        JUPYTERLAB_WORKSPACES_DIR=str(self.home / "workspaces"),
                        IPYTHONDIR=str(self.home / "ipython"))
        self.env.pop("JUPYTER_TOKEN", None)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None

    def start(self):
        command = [sys.executable, "-m", "jupyterlab", "--no-browser",
                   "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
                   "--ServerApp.port_retries=0", "--IdentityProvider.token=",
                   "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True",
                   f"--ServerApp.root_dir={self.root}", "--LabApp.news_url=None",
                   "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")
        with open(self.log, "wb") as log:
            # its own session: a Ctrl-C in the terminal reaches pytest, whose teardown
            # stops the server, rather than JupyterLab's "shut down? (y/n)" prompt
            self.process = subprocess.Popen(command, env=self.env, stdin=subprocess.DEVNULL,
                                            stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        deadline = time.monotonic() + SERVER_START
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {self.process.returncode}:\n"
                                   f"{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/api/status", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"JupyterLab did not answer {self.url}/api/status within "
                           f"{SERVER_START} s:\n{self.log_tail()}")

    def log_tail(self, lines=40):
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def api(self, method, path):
        request = urllib.request.Request(self.url + path, method=method)
        with urllib.request.urlopen(request, timeout=10) as answer:
            body = answer.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self):
        """Stop every kernel the tests started (each test opens its own)."""
        for kernel in self.api("GET", "/api/kernels"):
            self.api("DELETE", f"/api/kernels/{kernel['id']}")

    def add(self, notebook):
        """Copy a chapter into the server's root (the committed file is never touched).

        Code cells whose input the slide cut collapsed (``jupyter.source_hidden``) are shown
        open in the copy: a collapsed cell's prompt is not drawn, and the tests count prompts
        to see that every cell ran."""
        nb = json.loads((NOTEBOOKS / notebook).read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            cell.get("metadata", {}).get("jupyter", {}).pop("source_hidden", None)
        (self.root / notebook).write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
        cells = nb["cells"]
        return len(cells), sum(cell["cell_type"] == "code" for cell in cells)

    def stop(self):
        """Stop the server by its PID (SIGTERM also stops its kernels), then delete its files."""
        try:
            if self.process is not None and self.process.poll() is None:
                with contextlib.suppress(OSError):
                    self.shutdown_kernels()
                self.process.send_signal(signal.SIGTERM)
                try:
                    self.process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(timeout=15)
        finally:
            shutil.rmtree(self.home, ignore_errors=True)


@pytest.fixture(scope="module")
def lab():
    server = Lab()
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        # Playwright gives it a new, empty profile (user data dir) and deletes it on close.
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser, lab):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(STEP)
    page = context.new_page()
    page.console = []     # what the browser logged, kept for a failure report
    page.on("console", lambda message: page.console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: page.console.append(f"page error: {error}"))
    try:
        yield page
    finally:
        context.close()
        with contextlib.suppress(OSError):     # the server's own teardown stops them too
            lab.shutdown_kernels()


@contextlib.contextmanager
def evidence_on_failure(page, lab, name):
    """On any failure keep a screenshot, the console and the server log; print where."""
    try:
        yield
    except BaseException as error:
        if isinstance(error, KeyboardInterrupt):
            raise
        folder = Path(tempfile.mkdtemp(prefix=f"cnnbook-browser-{name}-"))
        with contextlib.suppress(Exception):
            page.screenshot(path=str(folder / "page.png"))
        (folder / "console.txt").write_text("\n".join(page.console), encoding="utf-8")
        with contextlib.suppress(OSError):
            shutil.copy(lab.log, folder / "server.log")
        note = f"browser test {name!r} failed: screenshot, console and server log in {folder}"
        print(note)
        if hasattr(error, "add_note"):      # Python 3.11+: shown under the traceback
            error.add_note(note)
        raise


# -- what a student does --------------------------------------------------------

def _menu(page, menu, command):
    """Click a menu of the menu bar, then one of its items (by its command id)."""
    page.locator(".lm-MenuBar-itemLabel", has_text=menu).first.click()
    page.locator(f'.lm-Menu [data-command="{command}"]').click()


_PROMPTS = """() => {
    const prompts = [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt')];
    const count = re => prompts.filter(p => re.test(p.textContent)).length;
    const errors = [...document.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
        .map(e => e.textContent).filter(t => /Error|Traceback/.test(t));
    return {total: prompts.length, done: count(/\\[\\d+\\]/), queued: count(/\\[\\*\\]/), errors};
}"""


def open_and_run(page, lab, notebook):
    """Open a copy of the chapter, clear its saved outputs and run every cell."""
    cells, code = lab.add(notebook)
    page.goto(f"{lab.url}/lab/tree/{notebook}?reset")
    page.wait_for_function("n => document.querySelectorAll('.jp-NotebookPanel .jp-Cell')"
                           ".length === n", arg=cells)
    # the notebook's kernelspec (python3) starts on its own: no kernel dialog
    page.locator(".jp-StatusBar-TextItem", has_text="| Idle").wait_for()
    _menu(page, "Edit", "editmenu:clear-all")   # saved outputs gone: what follows is this run's
    page.wait_for_function(f"() => ({_PROMPTS})().done === 0")
    _menu(page, "Run", "runmenu:run-all")
    deadline = time.monotonic() + RUN_ALL
    while True:
        state = page.evaluate(_PROMPTS)
        if state["total"] == code and state["done"] == code:
            return
        if state["errors"] and state["queued"] == 0:
            raise AssertionError(f"{notebook} stopped on an error after {state['done']} of "
                                 f"{code} code cells:\n" + "\n".join(state["errors"])[-3000:])
        if time.monotonic() > deadline:
            raise AssertionError(f"{notebook}: {state['done']} of {code} code cells ran "
                                 f"within {RUN_ALL} s ({state['queued']} still queued)")
        page.wait_for_timeout(200)


def explorer(page, description):
    """The explorer (VBox: controls, then the picture drawn by the browser) that has a
    control called ``description``; its picture element is ``.cnnbook-explorer``."""
    box = page.locator(".widget-vbox").filter(has=page.get_by_text(description, exact=True))
    expect(box).to_have_count(1)
    box.scroll_into_view_if_needed()
    expect(box.locator(".cnnbook-explorer svg.cnnbook-picture rect").first).to_be_attached()
    return box


def slider(box, description):
    """(handle, readout) of the IntSlider labelled ``description``."""
    control = box.locator(".widget-slider").filter(
        has=box.page.get_by_text(description, exact=True))
    return control.locator(".noUi-handle"), control.locator(".widget-readout")


def picture(box):
    """What the picture shows now: its version, a digest of its SVG, its pixels on screen."""
    view = box.locator(".cnnbook-explorer")
    shown = view.evaluate("""async el => {
        const svg = el.querySelector("svg.cnnbook-picture");
        const text = new TextEncoder().encode(svg.innerHTML);
        const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", text));
        return {version: el.dataset.version, cells: svg.querySelectorAll("rect").length,
                svg: Array.from(digest, b => b.toString(16).padStart(2, "0")).join("")};
    }""")
    assert shown["cells"] > 0, "the picture is empty"
    shown["pixels"] = view.locator("svg.cnnbook-picture").screenshot()
    return shown


def snapshot(box, message):
    """The explorer's message (checked to say ``message``) and its picture."""
    expect(box.locator(".cnnbook-message")).to_have_text(message)
    return picture(box)


def assert_redrawn(box, message, before):
    """The message now says ``message``; the picture was redrawn and looks different."""
    expect(box.locator(".cnnbook-message")).to_have_text(message)
    expect(box.locator(".cnnbook-explorer")).not_to_have_attribute("data-version",
                                                                   before["version"])
    now = picture(box)
    assert now["svg"] != before["svg"], "redrawn, but the same picture as before"
    assert now["pixels"] != before["pixels"], "a new picture, but the page looks the same"
    return now


_STAMP_KEYS = """() => { window.__cnnbookKey = null;
    document.addEventListener("keydown", () => { window.__cnnbookKey = performance.now(); },
                              {capture: true}); }"""


def timed_step(box, handle, key):
    """Press ``key`` on a slider's handle: ms from the key to the new picture on screen."""
    view = box.locator(".cnnbook-explorer")
    before = view.get_attribute("data-version")
    handle.press(key)
    expect(view).not_to_have_attribute("data-version", before)
    box.page.wait_for_function(
        "el => el.dataset.shownAt && +el.dataset.shownAt >= window.__cnnbookKey",
        arg=view.element_handle())
    return view.evaluate("el => [+el.dataset.shownAt - window.__cnnbookKey, +el.dataset.drawMs]")


def report(name, steps):
    """Print what a reader waits, slider key → new picture on screen (no assertion), and
    how much of it the browser spends drawing the SVG."""
    times = sorted(total for total, _ in steps)
    draws = sorted(draw for _, draw in steps)
    median = times[len(times) // 2]
    print(f"\n{name}: slider change → new picture on screen in Chromium, {len(times)} steps: "
          f"median {median:.0f} ms, max {times[-1]:.0f} ms (drawing the SVG: median "
          f"{draws[len(draws) // 2]:.0f} ms)")
    return median


# -- the tests ------------------------------------------------------------------

def test_stride_explorer_follows_the_keyboard_and_the_pointer(page, lab, capsys):
    """Chapter 5: stride 2 → 3 → 2 with the arrow keys redraws the message and the picture;
    clicking a cell of dx highlights the δ cells and weights of its sum; dragging the
    input-size slider redraws while the mouse is still down."""
    with evidence_on_failure(page, lab, "stride"):
        open_and_run(page, lab, "05_stride_expansion.ipynb")
        page.evaluate(_STAMP_KEYS)
        box = explorer(page, "stride S")
        handle, readout = slider(box, "stride S")
        expect(readout).to_have_text("2")         # the notebook's setting: L=5, K=3, S=2, P=1
        start = snapshot(box, stride_state(5, 3, 2, 1)["message"])

        handle.press("ArrowRight")
        expect(readout).to_have_text("3")
        moved = assert_redrawn(box, stride_state(5, 3, 3, 1)["message"], start)

        handle.press("ArrowLeft")
        expect(readout).to_have_text("2")
        back = assert_redrawn(box, stride_state(5, 3, 2, 1)["message"], moved)
        assert back["svg"] == start["svg"], "stride 2 again, but not the same picture"

        # point at a cell: dx[1, 1] → the δ cells, their places and the taps of its sum
        view = box.locator(".cnnbook-explorer")
        view.locator('rect[data-gid="x:1,1"]').click()
        expected = StrideExplorer(n=5, kernel=3, stride=2, padding=1).view.routes["x:1,1"]
        expect(view).to_have_attribute("data-source", "x:1,1")
        assert json.loads(view.get_attribute("data-highlighted")) == sorted(expected["on"])
        assert view.locator(".cnnbook-route").inner_text() == expected["text"]
        view.locator('rect[data-gid="x:1,1"]').click()       # a second click lets go
        expect(view).to_have_attribute("data-source", "")

        # time the response: stride and kernel up and down, key → picture on screen
        times = []
        for name, keys in (("stride S", ["ArrowRight", "ArrowLeft"] * 2),
                           ("kernel K", ["ArrowRight", "ArrowRight", "ArrowLeft", "ArrowLeft"]),
                           ("input size L", ["ArrowRight", "ArrowRight", "ArrowLeft", "ArrowLeft"])):
            knob, _ = slider(box, name)
            times += [timed_step(box, knob, key) for key in keys]
        with capsys.disabled():
            report("stride explorer", times)

        # drag: the picture follows the hand before the mouse is let go
        knob, readout = slider(box, "input size L")
        before = int(view.get_attribute("data-version"))
        area = knob.bounding_box()
        page.mouse.move(area["x"] + area["width"] / 2, area["y"] + area["height"] / 2)
        page.mouse.down()
        for step in range(1, 9):
            page.mouse.move(area["x"] + area["width"] / 2 + 25 * step,
                            area["y"] + area["height"] / 2, steps=3)
            page.wait_for_timeout(120)
        during = int(view.get_attribute("data-version"))
        page.mouse.up()
        assert during >= before + 2, "the picture did not follow the drag"
        value = int(readout.inner_text())
        expect(box.locator(".cnnbook-message")).to_have_text(
            stride_state(value, 3, 2, 1)["message"])


def test_pooling_explorer_follows_the_keyboard_the_buttons_and_the_pointer(page, lab, capsys):
    """Chapter 7: window 2 → 3 with the arrow key, max → mean with a click, and pointing
    at a pooled cell lights its window and the cell its δ lands in."""
    with evidence_on_failure(page, lab, "pooling"):
        open_and_run(page, lab, "07_pooling_backward.ipynb")
        page.evaluate(_STAMP_KEYS)
        box = explorer(page, "window K")
        handle, readout = slider(box, "window K")
        expect(readout).to_have_text("2")   # the notebook ends back at max, L=4, K=2, S=2, P=0
        start = snapshot(box, pooling_state("max", 4, 2, 2, 0)["message"])

        handle.press("ArrowRight")
        expect(readout).to_have_text("3")
        moved = assert_redrawn(box, pooling_state("max", 4, 3, 2, 0)["message"], start)

        box.get_by_role("button", name="mean", exact=True).click()
        assert_redrawn(box, pooling_state("mean", 4, 3, 2, 0)["message"], moved)
        box.get_by_role("button", name="max", exact=True).click()
        handle.press("ArrowLeft")
        expect(box.locator(".cnnbook-message")).to_have_text(
            pooling_state("max", 4, 2, 2, 0)["message"])

        view = box.locator(".cnnbook-explorer")
        view.locator('rect[data-gid="o:1,0"]').hover()
        expected = PoolingExplorer(mode="max", n=4, window=2, stride=2).view.routes["o:1,0"]
        expect(view).to_have_attribute("data-source", "o:1,0")
        assert json.loads(view.get_attribute("data-highlighted")) == sorted(expected["on"])
        (i, j), = pooling_state("max", 4, 2, 2, 0)["routes"]["lands"][(1, 0)]
        assert f"u:{i},{j}" in expected["on"] and "x:2,0" in expected["on"]

        times = []
        for name, keys in (("window K", ["ArrowRight", "ArrowLeft"] * 2),
                           ("input size L", ["ArrowRight"] * 3 + ["ArrowLeft"] * 3),
                           ("stride S", ["ArrowLeft", "ArrowRight"])):
            knob, _ = slider(box, name)
            times += [timed_step(box, knob, key) for key in keys]
        with capsys.disabled():
            report("pooling explorer", times)
