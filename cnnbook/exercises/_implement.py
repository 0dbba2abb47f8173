"""Implementation exercises: the student writes a backward pass, the check runs it on hidden cases.

An exercise is one declarative record, :class:`Implementation`:

- ``cases(rng)`` draws the hidden cases (at least 20 :class:`Case`: the arguments and a
  one-line description of their shapes and settings);
- ``reference`` computes the right result with ``cnnbook`` (same signature as the student's
  function);
- ``mistakes`` is the catalogue: each :class:`Mistake` is a small wrong function with the
  same signature and one sentence naming the mistake and the chapter section that explains it;
- ``numerical`` (optional) computes the same gradients by finite differences from the forward
  pass alone: when a result is wrong, the check says that they agree with cnnbook on the
  failing case — the difference is a mistake, not a convention.

``check(key, my_function)`` calls the student's function on every case (inside a guard: any
exception, a changed numpy error state, warnings and a function that never returns are
caught), compares each result with the reference, and prints one verdict: passed n of n;
not implemented yet; an exception (with the case that raised it); a wrong structure, type,
dtype or shape; or the first case whose values differ, with the largest difference — and, when
the student's results equal a catalogued mistake's on every case, that mistake's sentence.
It never prints an expected value.

A chapter module lists its records in ``IMPLEMENTATIONS``; ``cnnbook.exercises.check`` finds
them by key like the answer-checks. A new exercise needs only a record::

    Implementation(
        key="ch12.implement", name="my_fn", signature="my_fn(a, b)", returns=("da",),
        cases=draw_cases, reference=right, mistakes=(Mistake("name", "sentence (chapter 12, §3).",
        wrong_fn), ...), question="...", hint="...", solution=SOURCE_OF_A_WORKED_FUNCTION)
"""
from __future__ import annotations

import signal
import threading
import time
import traceback
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ._core import Verdict

__all__ = ["Case", "Mistake", "Implementation", "describe", "TIME_LIMIT"]

# A check gives up on a function that has not returned after this many seconds in all.
TIME_LIMIT = 5.0


@dataclass(frozen=True)
class Case:
    """One hidden case: the positional arguments and their description (shapes, settings)."""

    settings: str
    args: tuple


@dataclass(frozen=True)
class Mistake:
    """A catalogued mistake: ``function`` makes it (same signature as the exercise);
    ``says`` is the one sentence the check prints, ending with the section that explains it."""

    name: str
    says: str
    function: Callable


@dataclass(frozen=True)
class Implementation:
    """An implementation exercise (see the module docstring).

    ``returns`` names the results in order (``("dx", "dw", "db")``; one name for a single
    array); names in ``numbers`` are plain floats, every other result a float64 array.
    ``shapes`` says in words what each result's shape is ("the shape of x").
    ``solution`` is the source of a worked implementation named ``name`` that needs only
    ``np`` (the tests run it through the check), for instructors only. ``numerical``, if
    given, takes a case's arguments and returns one finite-difference result per name of
    ``returns`` (None where there is nothing to differentiate).
    """

    key: str
    name: str
    signature: str
    returns: tuple
    cases: Callable[[np.random.Generator], list]
    reference: Callable
    mistakes: tuple
    question: str
    hint: str
    solution: str
    numbers: tuple = ()
    shapes: dict = field(default_factory=dict)
    numerical: Callable = None
    seed: int = 0
    rtol: float = 1e-6
    atol: float = 1e-8

    # --- what the rest of cnnbook.exercises expects of an exercise -------------------
    @property
    def given(self):
        return ()

    def check(self, function, *given):
        return Verdict(_run(self, function, given))

    def hidden_cases(self):
        """The cases the check draws (the same every time: the generator is seeded)."""
        cases = list(self.cases(np.random.default_rng(self.seed)))
        if len(cases) < 20:
            raise RuntimeError(f"{self.key} draws only {len(cases)} cases")
        return cases


def describe(**named):
    """``describe(x=arr, stride=2)`` → ``"x (2, 3, 7, 5), stride 2"``: shapes of arrays, values
    of everything else, in the order given."""
    parts = []
    for name, value in named.items():
        if isinstance(value, np.ndarray):
            parts.append(f"{name} {tuple(value.shape)}")
        else:
            parts.append(f"{name} {value}")
    return ", ".join(parts)


# --- running the student's function -----------------------------------------------------

class _TimeUp(BaseException):
    """Raised inside the student's function when the time limit is over (a BaseException,
    so that an ``except Exception`` in the student's code cannot swallow it)."""


class _Outcome:
    __slots__ = ("value", "error", "where", "timeout", "not_implemented")

    def __init__(self, value=None, error=None, where="", timeout=False, not_implemented=False):
        self.value, self.error, self.where = value, error, where
        self.timeout, self.not_implemented = timeout, not_implemented


class _Guard:
    """Restores numpy's error state and the warning filters, silences warnings, and arms a
    timer (main thread, Unix) that interrupts a function that never returns."""

    def __enter__(self):
        self._np = np.geterr()
        self._warnings = warnings.catch_warnings()
        self._warnings.__enter__()
        warnings.simplefilter("ignore")
        np.seterr(all="ignore")
        self._timer = (threading.current_thread() is threading.main_thread()
                       and hasattr(signal, "setitimer"))
        if self._timer:
            def _raise(signum, frame):
                raise _TimeUp()
            try:
                self._old = signal.signal(signal.SIGALRM, _raise)
                signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT)
            except (ValueError, OSError):          # not allowed here: run without a timer
                self._timer = False
        self.start = time.perf_counter()
        return self

    def over(self):
        return time.perf_counter() - self.start > TIME_LIMIT

    def __exit__(self, *exc):
        if self._timer:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._old)
        np.seterr(**self._np)
        self._warnings.__exit__(None, None, None)
        return False


def _where(function, err):
    """' (line N of my_fn)' for the deepest frame of the student's code, if there is one."""
    code = getattr(function, "__code__", None)
    if code is None:
        return ""
    frames = [f for f in traceback.extract_tb(err.__traceback__) if f.filename == code.co_filename]
    if not frames:
        return ""
    line = frames[-1]
    snippet = f": {line.line.strip()}" if line.line else ""
    return f" (line {line.lineno - code.co_firstlineno + 1} of {function.__name__}{snippet})"


def _copy(args):
    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)


def _call(function, case, guard):
    if guard.over():
        return _Outcome(timeout=True)
    try:
        return _Outcome(value=function(*_copy(case.args)))
    except _TimeUp:
        return _Outcome(timeout=True)
    except NotImplementedError as err:
        return _Outcome(error=err, not_implemented=True)
    except KeyboardInterrupt:
        raise
    except BaseException as err:                   # SystemExit too: the check must not die
        return _Outcome(error=err, where=_where(function, err))


# --- comparing results ------------------------------------------------------------------

def _results(ex, value):
    """The result as a tuple of len(ex.returns), or a message saying why it is not."""
    k = len(ex.returns)
    if k == 1:
        if isinstance(value, tuple) and len(value) != 1:
            return f"returns {len(value)} values; it should return one array, {ex.returns[0]}"
        return (value[0] if isinstance(value, tuple) else value,)
    names = ", ".join(ex.returns)
    if not isinstance(value, (tuple, list)):
        return f"returns a {type(value).__name__}; it should return {k} values, ({names})"
    if len(value) != k:
        return f"returns {len(value)} values; it should return {k}, ({names})"
    return tuple(value)


def _shape_text(ex, name, shape):
    where = ex.shapes.get(name)
    return f"{shape}" + (f", {where}" if where else "")


def _problem(ex, name, got, want):
    """Why ``got`` is not of ``want``'s kind (type, dtype, shape), or None."""
    if name in ex.numbers:
        if isinstance(got, np.ndarray) and got.shape == ():
            got = got[()]
        if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, float, np.number)):
            if isinstance(got, np.ndarray):
                return (f"{name} is an array of shape {got.shape}; it should be one number, "
                        f"a float (e.g. float(....sum()))")
            return f"{name} is a {type(got).__name__}; it should be one number, a float"
        return None
    if got is None:
        return f"{name} is None — did the function forget to return it?"
    if not isinstance(got, np.ndarray):
        return (f"{name} is a {type(got).__name__}, not a numpy array — build it with np.zeros "
                f"(float64) or convert it with np.asarray")
    if got.dtype != np.float64:
        return (f"{name} has dtype {got.dtype}; the contract is float64 (np.zeros(shape) "
                f"is float64; np.zeros_like of an int array is not)")
    if got.shape != want.shape:
        return f"{name} has shape {got.shape}; it should have shape {_shape_text(ex, name, want.shape)}"
    return None


def _close(ex, got, want):
    got = np.asarray(got, dtype=float)
    want = np.asarray(want, dtype=float)
    if got.shape != want.shape:
        return False
    scale = max(1.0, float(np.max(np.abs(want)))) if want.size else 1.0
    return bool(np.allclose(got, want, rtol=ex.rtol, atol=ex.atol * scale))


def _same(ex, got, want):
    """True when two results (tuples) agree in structure, shape and values (NaN equals NaN)."""
    if not isinstance(got, tuple) or not isinstance(want, tuple) or len(got) != len(want):
        return False
    for g, w in zip(got, want):
        try:
            g = np.asarray(g, dtype=float)
            w = np.asarray(w, dtype=float)
        except (TypeError, ValueError):
            return False
        if g.shape != w.shape:
            return False
        scale = max(1.0, float(np.nanmax(np.abs(w)))) if w.size and not np.all(np.isnan(w)) else 1.0
        if not np.allclose(g, w, rtol=ex.rtol, atol=ex.atol * scale, equal_nan=True):
            return False
    return True


def _largest_difference(name, got, want):
    got = np.asarray(got, dtype=float)
    want = np.asarray(want, dtype=float)
    if not np.all(np.isfinite(got)):
        bad = np.argwhere(~np.isfinite(got))[0] if got.ndim else ()
        at = f"{name}[{', '.join(str(int(i)) for i in bad)}]" if got.ndim else name
        return f"{name} holds {'NaN' if np.isnan(got).any() else 'inf'} (first at {at})"
    diff = np.abs(got - want)
    if diff.ndim == 0:
        return f"largest difference from cnnbook's {name}: {float(diff):.3g}"
    at = np.unravel_index(int(np.argmax(diff)), diff.shape)
    return (f"largest difference from cnnbook's {name}: {float(diff.max()):.3g}, "
            f"at {name}[{', '.join(str(int(i)) for i in at)}]")


def _diagnose(ex, cases, outcomes, name=None):
    """The catalogued mistakes that explain the student's results.

    A mistake is named when, on every case the student's function returned from, the
    student's ``name`` result (all results when ``name`` is None) equals the mistake's, and
    the mistake really changes that result on at least one case. So a mistake in dx is
    recognised even if db has another one.
    """
    answered = [(c, o) for c, o in zip(cases, outcomes) if o.error is None and not o.timeout]
    if not answered:
        return []
    which = range(len(ex.returns)) if name is None else [ex.returns.index(name)]
    named = []
    for mistake in ex.mistakes:
        changes = False
        for case, outcome in answered:
            got = _results(ex, outcome.value)
            if isinstance(got, str):
                break
            try:
                with np.errstate(all="ignore"), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    wrong = _results(ex, mistake.function(*_copy(case.args)))
                    right = _results(ex, ex.reference(*_copy(case.args)))
            except Exception:              # the mistake cannot even be made here: skip the case
                continue
            if isinstance(wrong, str):
                continue
            if not _same(ex, tuple(got[i] for i in which), tuple(wrong[i] for i in which)):
                break
            changes = changes or not _same(ex, tuple(right[i] for i in which),
                                           tuple(wrong[i] for i in which))
        else:
            if changes:
                named.append(mistake)
    return named


# --- the check ----------------------------------------------------------------------------

def _run(ex, function, given):
    key = ex.key
    if given:
        print(f"{key}: give only your function: check(\"{key}\", {ex.name}).")
        return False
    if function is None:
        print(f"{key}: not answered yet — write {ex.name} and pass it: "
              f"check(\"{key}\", {ex.name}).")
        return False
    if not callable(function):
        print(f"{key}: give the function itself, check(\"{key}\", {ex.name}) — without "
              f"parentheses; a {type(function).__name__} is not a function.")
        return False
    cases = ex.hidden_cases()
    outcomes = []
    with _Guard() as guard:
        for case in cases:
            outcome = _call(function, case, guard)
            outcomes.append(outcome)
            if outcome.not_implemented:
                print(f"{key}: not implemented yet — replace the raise NotImplementedError in "
                      f"{ex.name} with your code and run this check again.")
                return False
            if outcome.timeout:
                break
    n = len(cases)
    for i, (case, outcome) in enumerate(zip(cases, outcomes), start=1):
        head = f"{key}: case {i} of {n} ({case.settings})"
        if outcome.timeout:
            print(f"{head}: {ex.name} had not returned after {TIME_LIMIT:.0f} s for all the cases "
                  f"so far; the check stopped. Look for a loop that never ends (or one over far "
                  f"more positions than the output has).")
            return False
        if outcome.error is not None:
            err = outcome.error
            message = str(err).strip().splitlines()[0] if str(err).strip() else ""
            print(f"{head}: {ex.name} raised {type(err).__name__}"
                  f"{': ' + message if message else ''}{outcome.where}.")
            return False
        got = _results(ex, outcome.value)
        want = _results(ex, ex.reference(*_copy(case.args)))
        if isinstance(got, str):
            print(f"{head}: {ex.name} {got}.")
            _name_mistake(ex, cases, outcomes, None)
            return False
        for name, g, w in zip(ex.returns, got, want):
            problem = _problem(ex, name, g, np.asarray(w))
            if problem:
                print(f"{head}: {problem}.")
                _name_mistake(ex, cases, outcomes, name)
                return False
        for name, g, w in zip(ex.returns, got, want):
            if not _close(ex, g, w) or not np.all(np.isfinite(np.asarray(g, dtype=float))):
                passed = f" (cases 1–{i - 1} passed)" if i > 2 else (" (case 1 passed)" if i == 2 else "")
                print(f"{head}: {name} is wrong{passed}; {_largest_difference(name, g, w)}.")
                _finite_differences(ex, case, name, w)
                _name_mistake(ex, cases, outcomes, name)
                return False
    print(f"{key}: passed {n} of {n} hidden cases.")
    return True


def _finite_differences(ex, case, name, want):
    """One line: a finite-difference gradient of the failing case agrees with cnnbook's."""
    if ex.numerical is None:
        return
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            numeric = ex.numerical(*_copy(case.args))[ex.returns.index(name)]
    except Exception:
        return
    if numeric is None:
        return
    numeric, want = np.asarray(numeric, dtype=float), np.asarray(want, dtype=float)
    if numeric.shape != want.shape:
        return
    gap = float(np.linalg.norm(numeric - want) / max(np.linalg.norm(numeric) + np.linalg.norm(want),
                                                     1e-12))
    if gap < 1e-6:
        print(f"  A finite-difference gradient of this case, from the forward pass alone, agrees "
              f"with cnnbook's {name} (relative error {gap:.0e}).")


def _name_mistake(ex, cases, outcomes, name):
    named = _diagnose(ex, cases, outcomes, name)
    if named:
        print(f"  Known mistake: {named[0].says}")
    else:
        print(f"  Hint: {ex.hint}")
