"""The Exercise record and the comparisons the checks use."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

__all__ = ["Exercise", "Verdict", "close", "same_array", "same_shape", "number", "whole",
           "whole_numbers", "as_numbers", "THREE_DIGITS"]


# A right answer rounded to 3 significant digits is off by at most half a unit of the third
# digit: 0.5·10^(k−2) for a value between 10^k and 10^(k+1), i.e. 5e-3 of its size.
THREE_DIGITS = 5e-3


def number(answer):
    """The answer as a float, or None: a string, a bool, an array of several entries or a
    non-finite value is not a number (``float("2.5")`` would have let a string through)."""
    if isinstance(answer, (str, bytes, bool, np.bool_)):
        return None
    if isinstance(answer, np.ndarray):
        if answer.size != 1 or answer.dtype.kind not in "iuf":
            return None
        answer = answer.reshape(())[()]
    if not isinstance(answer, (int, float, np.integer, np.floating)):
        return None
    value = float(answer)
    return value if np.isfinite(value) else None


def whole(answer):
    """The answer as an int if it is a whole number (7 or 7.0), else None (7.5, "7", True)."""
    value = number(answer)
    if value is None or not value.is_integer():
        return None
    return int(value)


def close(answer, expected, rtol=THREE_DIGITS, atol=1e-9):
    """A number within ``rtol`` (relative) of ``expected``: by default a right answer
    rounded to 3 significant digits passes."""
    value = number(answer)
    if value is None:
        return False
    return bool(np.isclose(value, expected, rtol=rtol, atol=atol))


def as_numbers(answer):
    """The answer as a float array, or None (strings, ragged lists, objects)."""
    if isinstance(answer, (str, bytes)):
        return None
    try:
        a = np.asarray(answer)
    except (TypeError, ValueError):
        return None
    if a.dtype.kind not in "iuf":
        return None
    a = a.astype(float)
    return a if np.all(np.isfinite(a)) else None


def same_array(answer, expected, rtol=THREE_DIGITS, atol=None):
    """An array of the expected shape whose entries match — to 3 significant digits, or to
    half a unit of the third decimal of the array's largest entry, by default."""
    a = as_numbers(answer)
    if a is None:
        return False
    e = np.asarray(expected, dtype=float)
    if atol is None:
        atol = 5e-4 * max(float(np.max(np.abs(e))) if e.size else 0.0, 1e-6)
    return a.shape == e.shape and bool(np.allclose(a, e, rtol=rtol, atol=atol))


def whole_numbers(answer):
    """A sequence answer as a tuple of ints, or None when any entry is not a whole number."""
    if isinstance(answer, (str, bytes)) or not hasattr(answer, "__len__"):
        return None
    values = tuple(whole(v) for v in answer)
    return None if any(v is None for v in values) else values


def same_shape(answer, expected):
    """A shape given as a tuple or list of whole numbers (100.7 is not a size)."""
    values = whole_numbers(answer)
    return values is not None and values == tuple(int(v) for v in expected)


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
    tests (and ``given`` the arrays to pass along with them; ``needs`` names them as the
    chapter's check cell passes them); ``solution`` is the worked answer for instructors,
    shown only by ``cnnbook.exercises.solution``.
    """

    key: str
    question: str
    test: Callable[..., Any]
    hint: str
    solution: str
    answer: Any
    wrong: Any
    given: tuple = field(default=())
    needs: str = ""

    def check(self, answer, *given):
        if len(given) < len(self.given):
            print(f"{self.key}: this check also needs what the chapter computed, passed after "
                  f"your answer: check(\"{self.key}\", your_answer, {self.needs or '...'}) "
                  f"(nothing is wrong with the answer yet).")
            return Verdict(False)
        if len(given) > len(self.given):
            extra = f", {self.needs}" if self.needs else ""
            print(f"{self.key}: this check takes your answer{' and ' + self.needs if self.needs else ''}"
                  f" only: check(\"{self.key}\", your_answer{extra}).")
            return Verdict(False)
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
