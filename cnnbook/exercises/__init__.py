"""Self-checking exercises: ``check("ch04.q2", answer)`` says right or wrong, with a hint.

Two kinds. An *answer-check* (``chNN.qK``) takes a number, a shape or an array.
An *implementation exercise* (``chNN.implement…``) takes a function the student wrote —
a backward pass — runs it on at least 20 hidden cases and names the classic mistake it
makes (``_implement.py``: one declarative record per exercise).

Every chapter ends with 3–6 answer-checks. The student writes an answer in a cell and
calls :func:`check`; it prints one line — right, not yet answered, or wrong with a
hint — and returns True or False. It never prints the solution: the expected value
is computed by ``cnnbook`` inside the check, so the notebook shows no answer either.

Instructors get the worked answers only by asking for them explicitly::

    from cnnbook.exercises import solution
    print(solution("ch04.q2"))

The exercises of chapter NN live in ``cnnbook/exercises/chNN.py`` as a list
``EXERCISES`` of :class:`Exercise`; each carries a correct answer and a typical
wrong one, and ``tests/test_exercises.py`` checks that the right one passes, the
wrong one fails with its hint, and the output never contains the solution.
"""
from __future__ import annotations

from importlib import import_module
from pathlib import Path

from ._core import Exercise, close, same_array, same_shape
from ._implement import Case, Implementation, Mistake

__all__ = ["check", "hint", "solution", "question", "keys", "Exercise",
           "Implementation", "Mistake", "Case", "close", "same_array", "same_shape"]

_HERE = Path(__file__).parent


def _chapter(key):
    if not isinstance(key, str) or "." not in key:
        raise ValueError(f"an exercise key looks like 'ch04.q2', got {key!r}")
    chapter = key.split(".", 1)[0]
    if not (_HERE / f"{chapter}.py").exists():
        raise ValueError(f"no exercises for chapter {chapter!r} (key {key!r}); "
                         f"chapters with exercises: {', '.join(_chapters())}")
    return import_module(f".{chapter}", __name__)


def _chapters():
    return sorted(p.stem for p in _HERE.glob("ch[0-9][0-9].py"))


def _all(module):
    return list(getattr(module, "IMPLEMENTATIONS", ())) + list(getattr(module, "EXERCISES", ()))


def _find(key):
    module = _chapter(key)
    for exercise in _all(module):
        if exercise.key == key:
            return exercise
    known = ", ".join(e.key for e in _all(module))
    raise ValueError(f"no exercise {key!r}; this chapter has {known}")


def keys(chapter=None, kind=None):
    """All exercise keys, or those of one chapter (``keys("ch04")``); ``kind="answer"``
    for the answer-checks only, ``kind="implement"`` for the implementation exercises."""
    chapters = [chapter] if chapter else _chapters()
    found = [e for c in chapters for e in _all(_chapter(f"{c}.q"))]
    if kind == "answer":
        found = [e for e in found if isinstance(e, Exercise)]
    elif kind == "implement":
        found = [e for e in found if isinstance(e, Implementation)]
    elif kind is not None:
        raise ValueError(f"kind must be None, 'answer' or 'implement', got {kind!r}")
    return [e.key for e in found]


def check(key, answer, *given):
    """Print whether ``answer`` is right (``given``: arrays the exercise refers to).

    For an implementation exercise the answer is the student's function:
    ``check("ch06.implement", my_conv2d_backward)``.

    Returns a :class:`Verdict`, true for a right answer and false otherwise (Jupyter
    displays nothing for it); ``None`` as the answer means "not answered yet".
    """
    return _find(key).check(answer, *given)


def hint(key):
    """The hint of an exercise (the same one a wrong answer prints)."""
    return _find(key).hint


def question(key):
    """The question, as the chapter asks it."""
    return _find(key).question


def solution(key):
    """For instructors: the worked solution of an exercise, as text (for an implementation
    exercise, the source of a function that passes its check)."""
    return _find(key).solution
