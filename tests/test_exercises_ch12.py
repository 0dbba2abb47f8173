"""Chapter 12's answer-checks: each classic wrong answer is rejected with the hint that names it."""
import numpy as np
import pytest

from cnnbook import exercises
from cnnbook.exercises import ch12

CASES = [(key, wrong, fragment) for key, mistakes in ch12.CLASSIC_MISTAKES.items()
         for wrong, fragment in mistakes]


def test_every_exercise_has_at_least_two_classic_mistakes():
    assert set(ch12.CLASSIC_MISTAKES) == {e.key for e in ch12.EXERCISES}
    assert all(len(m) >= 2 for m in ch12.CLASSIC_MISTAKES.values())


@pytest.mark.parametrize("key, wrong, fragment", CASES,
                         ids=[f"{k}-{f}" for k, _, f in CASES])
def test_classic_mistake_is_rejected_with_its_hint(key, wrong, fragment, capsys):
    ex = exercises._find(key)
    assert not exercises.check(key, ch12.classic_answer(key, wrong))
    out = capsys.readouterr().out
    assert out.startswith(f"{key}: not quite.") and fragment in out, out
    assert ex.solution not in out


@pytest.mark.parametrize("key", [e.key for e in ch12.EXERCISES])
def test_right_answer_rounded_to_three_digits_passes(key, capsys):
    import numpy as np
    ex = exercises._find(key)
    answer = np.round(np.asarray(ex.answer, dtype=float), 3)
    assert exercises.check(key, answer if answer.ndim else float(answer))


@pytest.mark.parametrize("key", ["ch12.q1", "ch12.q2", "ch12.q3", "ch12.q4"])
def test_a_size_is_a_whole_number_not_a_string(key, capsys):
    ex = exercises._find(key)
    assert exercises.check(key, float(ex.answer))
    assert not exercises.check(key, ex.answer + 0.7)
    assert not exercises.check(key, str(ex.answer))
    assert not exercises.check("ch12.q5", tuple(str(v) for v in exercises._find("ch12.q5").answer))


# --- ch12.implement (its students' mistakes are in tests/test_exercise_implement.py) -------

def test_implement_cases_cover_the_settings():
    cases = [c.args for c in exercises._find("ch12.implement").hidden_cases()]
    assert len(cases) >= 20
    assert any(w.shape[0] % S for _, w, S in cases)                    # the checkerboard
    assert any(S > w.shape[0] for _, w, S in cases)                    # gaps
    assert any(S == w.shape[0] == w.shape[1] for _, w, S in cases)     # tiles
    assert any(x.shape[0] != x.shape[1] for x, _, _ in cases)
    assert any(w.shape[0] != w.shape[1] for _, w, _ in cases)
    assert any(S == 1 for *_, S in cases)
