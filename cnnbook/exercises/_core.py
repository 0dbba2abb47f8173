"""The Exercise record and the comparisons the checks use."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

__all__ = ["Exercise", "Verdict", "close", "same_array", "same_shape"]


def close(answer, expected, rtol=1e-3, atol=1e-9):
    """A number within ``rtol`` (relative) of ``expected`` — students round."""
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return False
    return bool(np.isclose(value, expected, rtol=rtol, atol=atol))


def same_array(answer, expected, rtol=1e-6, atol=1e-9):
    """An array of the expected shape whose entries match."""
    try:
        a = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return False
    e = np.asarray(expected, dtype=float)
    return a.shape == e.shape and bool(np.allclose(a, e, rtol=rtol, atol=atol))


def same_shape(answer, expected):
    """A shape given as a tuple or list of ints."""
    try:
        return tuple(int(v) for v in answer) == tuple(expected) and len(answer) == len(expected)
    except (TypeError, ValueError):
        return False


class Verdict:
    """The result of a check: true when right. Jupyter shows nothing for it, since the
    check has already printed its sentence (a bare ``False`` under every unanswered
    exercise would only look like an error)."""

    __slots__ = ("right",)

    def __init__(self, right):
        self.right = bool(right)

    def __bool__(self):
        return self.right

    def __eq__(self, other):
        return bool(self) == bool(other)

    def __hash__(self):
        return hash(self.right)

    def __repr__(self):
        return f"Verdict({self.right})"

    def _ipython_display_(self):
        pass


@dataclass(frozen=True)
class Exercise:
    """One exercise.

    ``test(answer, *given)`` returns True when the answer is right (it may return a
    string instead of False, to give a more specific hint for a typical mistake).
    ``answer`` is a correct answer and ``wrong`` a typical wrong one, both for the
    tests (and ``given`` the arrays to pass along with them); ``solution`` is the
    worked answer for instructors, shown only by ``cnnbook.exercises.solution``.
    """

    key: str
    question: str
    test: Callable[..., Any]
    hint: str
    solution: str
    answer: Any
    wrong: Any
    given: tuple = field(default=())

    def check(self, answer, *given):
        if answer is None:
            print(f"{self.key}: not answered yet — replace None with your answer.")
            return Verdict(False)
        try:
            verdict = self.test(answer, *given)
        except Exception as err:  # a malformed answer is a wrong answer, not a crash
            verdict = f"The answer could not be read ({type(err).__name__}: {err})"
        if verdict is True:
            print(f"{self.key}: right.")
            return Verdict(True)
        extra = f" {verdict}." if isinstance(verdict, str) and verdict else ""
        print(f"{self.key}: not quite.{extra} Hint: {self.hint}")
        return Verdict(False)
