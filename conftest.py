"""The torch oracle cannot vanish silently (this file applies to every test of the repo).

Tests marked ``torch`` compare cnnbook with PyTorch and skip when torch is not
installed. With ``CNNBOOK_REQUIRE_TORCH=1`` (``.ci/run`` sets it whenever it installed
the local torch wheel) a torch that does not import stops the run before any test, and
a torch test that skips all the same, or a run in which no torch test ran, fails. Every
run that collected a torch test ends with one line saying how many ran, e.g.
``torch oracle tests (marker torch): 41 ran (41 passed, 0 failed), 0 skipped``.
"""
import os

import pytest

REQUIRE_TORCH = "CNNBOOK_REQUIRE_TORCH"


def _reason(report):
    longrepr = report.longrepr
    return longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)


class TorchOracleCount:
    """Counts the tests marked ``torch``; with ``required`` a skipped one fails the run."""

    def __init__(self, required):
        self.required = required
        self.marked = set()
        self.passed, self.failed, self.skipped = set(), set(), set()
        self.torch_skips = []          # "nodeid: reason" of every skip for want of torch

    def pytest_collection_modifyitems(self, items):
        self.marked = {item.nodeid for item in items if item.get_closest_marker("torch")}

    def pytest_collectreport(self, report):
        # a whole module skipped, e.g. by pytest.importorskip("torch") at its top
        if report.skipped and "torch" in _reason(report).lower():
            self.torch_skips.append(f"{report.nodeid}: {_reason(report)}")

    def pytest_runtest_logreport(self, report):
        marked = report.nodeid in self.marked
        if report.skipped:
            if marked:
                self.skipped.add(report.nodeid)
            if marked or "torch" in _reason(report).lower():
                self.torch_skips.append(f"{report.nodeid}: {_reason(report)}")
        elif marked and report.failed:
            self.failed.add(report.nodeid)
        elif marked and report.when == "call":
            self.passed.add(report.nodeid)

    def problem(self):
        if not self.required:
            return None
        if self.torch_skips:
            return f"{REQUIRE_TORCH} is set, but torch tests were skipped"
        if not (self.passed | self.failed):
            return f"{REQUIRE_TORCH} is set, but no torch oracle test ran"
        return None

    def pytest_sessionfinish(self, session):
        if self.problem() and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter):
        if not (self.marked or self.torch_skips or self.required):
            return
        passed, failed = len(self.passed - self.failed), len(self.failed)
        terminalreporter.write_line(
            f"torch oracle tests (marker torch): {passed + failed} ran ({passed} passed, "
            f"{failed} failed), {len(self.skipped)} skipped")
        for line in self.torch_skips:
            terminalreporter.write_line(f"  skipped for want of torch: {line}")
        if self.problem():
            terminalreporter.write_line(f"error: {self.problem()}", red=True)


def pytest_configure(config):
    required = os.environ.get(REQUIRE_TORCH, "") not in ("", "0")
    if required:
        try:
            import torch  # noqa: F401
        except Exception as error:  # ImportError, or a broken build raising anything else
            raise pytest.UsageError(f"{REQUIRE_TORCH} is set but torch does not import: "
                                    f"{type(error).__name__}: {error}") from None
    config.pluginmanager.register(TorchOracleCount(required), "cnnbook-torch-oracle")
