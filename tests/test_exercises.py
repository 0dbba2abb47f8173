"""Every exercise accepts its right answer, rejects a typical wrong one with its hint,
and never prints the solution."""
import numpy as np
import pytest

from cnnbook import exercises

KEYS = exercises.keys(kind="answer")


def _find(key):
    return exercises._find(key)


@pytest.mark.parametrize("key", KEYS)
def test_right_answer_passes(key, capsys):
    ex = _find(key)
    assert bool(exercises.check(key, ex.answer, *ex.given)) is True
    assert capsys.readouterr().out == f"{key}: right.\n"


@pytest.mark.parametrize("key", KEYS)
def test_wrong_answer_fails_with_the_hint_and_no_solution(key, capsys):
    ex = _find(key)
    assert bool(exercises.check(key, ex.wrong, *ex.given)) is False
    out = capsys.readouterr().out
    assert out.startswith(f"{key}: not quite.") and ex.hint in out
    assert ex.solution not in out
    answer = ex.answer
    if isinstance(answer, (int, float, np.integer, np.floating)) and abs(answer) >= 10:
        assert str(answer) not in out, "the wrong-answer message gives the answer away"


@pytest.mark.parametrize("key", KEYS)
def test_unanswered(key, capsys):
    assert bool(exercises.check(key, None, *_find(key).given)) is False
    assert "not answered yet" in capsys.readouterr().out


def test_every_chapter_has_three_to_six_exercises():
    chapters = {key.split(".")[0] for key in KEYS}
    assert chapters >= {f"ch{n:02d}" for n in range(1, 12)}
    for chapter in chapters:
        assert 3 <= len(exercises.keys(chapter, kind="answer")) <= 6, chapter


def test_unknown_keys_are_clear_errors():
    with pytest.raises(ValueError, match="an exercise key looks like 'ch04.q2', got 'q2'"):
        exercises.check("q2", 1)
    with pytest.raises(ValueError, match="no exercises for chapter 'ch99'"):
        exercises.check("ch99.q1", 1)


def test_solution_and_hint_are_available_on_request():
    key = KEYS[0]
    assert exercises.solution(key) and exercises.hint(key) and exercises.question(key)


def test_the_verdict_shows_nothing_in_jupyter():
    from IPython.core.interactiveshell import InteractiveShell

    key = KEYS[0]
    verdict = exercises.check(key, None)
    assert not verdict and verdict == False  # noqa: E712
    shell = InteractiveShell.instance()
    data, _ = shell.display_formatter.format(verdict)
    assert data == {}  # _ipython_display_ took over: no "False" under the cell
