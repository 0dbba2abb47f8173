"""Self-checking exercises: ``check("ch04.q2", answer)`` says right or wrong, with a hint.

Every chapter ends with 3–6 exercises. The student writes an answer in a cell and
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

__all__ = ["check", "hint", "solution", "question", "keys", "Exercise",
           "close", "same_array", "same_shape"]

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


def _find(key):
    module = _chapter(key)
    for exercise in module.EXERCISES:
        if exercise.key == key:
            return exercise
    known = ", ".join(e.key for e in module.EXERCISES)
    raise ValueError(f"no exercise {key!r}; this chapter has {known}")


def keys(chapter=None):
    """All exercise keys, or those of one chapter (``keys("ch04")``)."""
    chapters = [chapter] if chapter else _chapters()
    return [e.key for c in chapters for e in _chapter(f"{c}.q").EXERCISES]


def check(key, answer, *given):
    """Print whether ``answer`` is right (``given``: arrays the exercise refers to).

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
    """For instructors: the worked solution of an exercise, as text."""
    return _find(key).solution
