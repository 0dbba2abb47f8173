"""The widgets in a real browser: JupyterLab + headless Chromium, driven by Playwright.

The headless tests prove that the explorers compute the right arrays; only a browser
proves that a student who opens a chapter and runs it sees the widget, can move a
slider and sees the text and the picture change. Each test copies a chapter into a
temporary JupyterLab root, opens it, clears and runs every cell (Run ▸ Run All Cells),
finds an explorer by the description of one of its sliders, moves that slider with
the keyboard and checks that the label now says exactly what the explorer's state
function says for the new setting, and that the <img> shows a new, decodable PNG
whose pixels differ.

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
        """Copy a chapter into the server's root (the committed file is never touched)."""
        shutil.copy(NOTEBOOKS / notebook, self.root / notebook)
        cells = json.loads((NOTEBOOKS / notebook).read_text(encoding="utf-8"))["cells"]
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
    """The explorer (VBox: controls, label, picture) that has a control called ``description``."""
    box = page.locator(".widget-vbox").filter(has=page.get_by_text(description, exact=True))
    expect(box).to_have_count(1)
    box.scroll_into_view_if_needed()
    return box


def slider(box, description):
    """(handle, readout) of the IntSlider labelled ``description``."""
    control = box.locator(".widget-slider").filter(
        has=box.page.get_by_text(description, exact=True))
    return control.locator(".noUi-handle"), control.locator(".widget-readout")


def picture(image, size):
    """What the <img> shows now: its src, a digest of its PNG and its pixels on screen.

    Checks first that the PNG decodes to ``size``: the picture is neither blank nor broken.
    """
    shown = image.evaluate("""async img => {
        await img.decode();
        const png = await (await fetch(img.src)).arrayBuffer();
        const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", png));
        return {src: img.src, size: [img.naturalWidth, img.naturalHeight],
                png: Array.from(digest, b => b.toString(16).padStart(2, "0")).join("")};
    }""")
    assert tuple(shown.pop("size")) == size, f"the picture is not {size}"
    shown["pixels"] = image.screenshot()
    return shown


def snapshot(box, message, size):
    """The explorer's label (checked to say ``message``) and its picture."""
    expect(box.locator(".widget-html-content")).to_have_text(message)
    return picture(box.locator("img.widget-image"), size)


def assert_redrawn(box, message, size, before):
    """The label now says ``message``; the picture is a new PNG and looks different."""
    image = box.locator("img.widget-image")
    expect(box.locator(".widget-html-content")).to_have_text(message)
    expect(image).not_to_have_attribute("src", before["src"])
    now = picture(image, size)
    assert now["png"] != before["png"], "a new <img> src, but the same PNG as before"
    assert now["pixels"] != before["pixels"], "a new PNG, but the page looks the same"
    return now


def _size(explorer_class):
    width, height = explorer_class.figsize
    return round(width * 100), round(height * 100)      # viz.figure_png: dpi 100, not tight


# -- the tests ------------------------------------------------------------------

def test_stride_explorer_follows_the_keyboard(page, lab):
    """Chapter 5: stride 2 → 3 → 2 with the arrow keys redraws the label and the picture."""
    size = _size(StrideExplorer)
    with evidence_on_failure(page, lab, "stride"):
        open_and_run(page, lab, "05_stride_expansion.ipynb")
        box = explorer(page, "stride S")
        handle, readout = slider(box, "stride S")
        expect(readout).to_have_text("2")         # the notebook's setting: L=5, F=3, S=2, P=1
        start = snapshot(box, stride_state(5, 3, 2, 1)["message"], size)

        handle.press("ArrowRight")
        expect(readout).to_have_text("3")
        moved = assert_redrawn(box, stride_state(5, 3, 3, 1)["message"], size, start)

        handle.press("ArrowLeft")
        expect(readout).to_have_text("2")
        back = assert_redrawn(box, stride_state(5, 3, 2, 1)["message"], size, moved)
        assert back["png"] == start["png"], "stride 2 again, but not the same picture"


def test_pooling_explorer_follows_the_keyboard_and_the_mode_buttons(page, lab):
    """Chapter 7: window 2 → 3 with the arrow key, then max → mean with a click."""
    size = _size(PoolingExplorer)
    with evidence_on_failure(page, lab, "pooling"):
        open_and_run(page, lab, "07_pooling_backward.ipynb")
        box = explorer(page, "window K")
        handle, readout = slider(box, "window K")
        expect(readout).to_have_text("2")   # the notebook ends back at max, L=4, K=2, S=2, P=0
        start = snapshot(box, pooling_state("max", 4, 2, 2, 0)["message"], size)

        handle.press("ArrowRight")
        expect(readout).to_have_text("3")
        moved = assert_redrawn(box, pooling_state("max", 4, 3, 2, 0)["message"], size, start)

        box.get_by_role("button", name="mean", exact=True).click()
        assert_redrawn(box, pooling_state("mean", 4, 3, 2, 0)["message"], size, moved)
