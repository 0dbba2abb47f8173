"""The implementation exercises: the worked solution passes its own check, every catalogued
mistake — written here the way a student writes it, with loops — is named, and nothing a
student's function does (raise, hang, return junk, change numpy's error state) crashes the
check or makes it print an expected value."""
import re
import time

import numpy as np
import pytest

import cnnbook as cb
from cnnbook import exercises
from cnnbook.exercises import _implement, _solutions

IDS = ["ch02.implement", "ch04.implement", "ch05.implement", "ch06.implement",
       "ch07.implement_max", "ch07.implement_mean", "ch08.implement", "ch09.implement",
       "ch12.implement"]
SIGNATURES = {
    "ch02.implement": "(x, t, W1, b1, W2, b2)",
    "ch04.implement": "(delta, x, w)",
    "ch05.implement": "(delta, input_size, kernel_size, stride, padding)",
    "ch06.implement": "(dout, x, w, stride, padding)",
    "ch07.implement_max": "(dout, x, kernel_size, stride)",
    "ch07.implement_mean": "(dout, x_shape, kernel_size, stride)",
    "ch08.implement": "(cols, x_shape, kernel_size, stride, padding)",
    "ch09.implement": "(logits, targets)",
    "ch12.implement": "(x, w, stride)",
}


# Every implementation exercise, the ones of later chapters too: the generic tests below run
# on all of them.
ALL = exercises.keys(kind="implement")


def _ex(key):
    return exercises._find(key)


def _run(key, function, capsys):
    start = time.perf_counter()
    verdict = exercises.check(key, function)
    took = time.perf_counter() - start
    return bool(verdict), capsys.readouterr().out, took


def _worked(key):
    """The instructor's solution, run from its text as a student's cell would."""
    namespace = {"np": np}
    exec(exercises.solution(key), namespace)
    return namespace[_ex(key).name]


def test_the_ids_and_signatures():
    assert set(IDS) <= set(ALL)
    for key in IDS:
        assert _ex(key).signature == _ex(key).name + SIGNATURES[key]
    for key in ALL:
        assert len(_ex(key).mistakes) >= 3, key
        assert len(_ex(key).hidden_cases()) >= 20, key


@pytest.mark.parametrize("key", ALL)
def test_the_worked_solution_passes_quickly(key, capsys):
    right, out, took = _run(key, _worked(key), capsys)
    n = len(_ex(key).hidden_cases())
    assert right and out == f"{key}: passed {n} of {n} hidden cases.\n"
    assert took < 2.0


@pytest.mark.parametrize("key", ALL)
def test_every_catalogued_mistake_is_named_by_its_own_function(key, capsys):
    for mistake in _ex(key).mistakes:
        right, out, _ = _run(key, mistake.function, capsys)
        assert not right, mistake.name
        assert f"Known mistake: {mistake.says}" in out, (mistake.name, out)


@pytest.mark.parametrize("key", ALL)
def test_the_reference_is_the_gradient(key):
    """The reference the check compares with agrees with finite differences of the forward
    pass (the record's ``numerical``) on the hidden cases where they exist."""
    ex = _ex(key)
    if ex.numerical is None:
        return
    compared = 0
    for case in ex.hidden_cases()[:10]:
        got = ex.reference(*case.args)
        got = got if isinstance(got, tuple) else (got,)
        for value, numeric in zip(got, ex.numerical(*case.args)):
            if numeric is not None:
                assert cb.rel_error(np.asarray(value), np.asarray(numeric)) < 1e-6, \
                    (key, case.settings)
                compared += 1
    assert compared >= 5, key


def test_a_wrong_gradient_is_shown_to_disagree_with_finite_differences_too(capsys):
    _, out, _ = _run("ch06.implement", student_conv(flip=False), capsys)
    assert "A finite-difference gradient of this case, from the forward pass alone, agrees " \
           "with cnnbook's dx" in out


def test_the_cases_cover_the_hard_settings():
    conv = [c.args for c in _ex("ch06.implement").hidden_cases()]
    assert any(x.shape[2] != x.shape[3] for _, x, _, _, _ in conv)            # non-square maps
    assert any(w.shape[2] != w.shape[3] for _, _, w, _, _ in conv)            # and kernels
    assert any(S > 1 and (x.shape[2] - w.shape[2] + 2 * P) % S for _, x, w, S, P in conv)
    assert any(P > 0 for *_, P in conv)
    assert any(x.shape[0] > 1 for _, x, *_ in conv) and any(w.shape[0] > 1 for _, _, w, *_ in conv)
    assert any(x.shape[1] > 1 for _, x, *_ in conv)
    pool = [c.args for c in _ex("ch07.implement_max").hidden_cases()]
    assert any(K > S for _, _, K, S in pool) and any(K < S for _, _, K, S in pool)
    assert any((x.shape[2] - K) % S for _, x, K, S in pool)
    assert any(len(np.unique(x)) < x.size for _, x, _, _ in pool)             # ties
    expand = [c.args for c in _ex("ch05.implement").hidden_cases()]
    assert any((L - K + 2 * P) % S for _, L, K, S, P in expand)
    assert any(P > 0 for *_, P in expand)
    ce = [c.args for c in _ex("ch09.implement").hidden_cases()]
    assert any(len(t) > 1 for _, t in ce) and any(np.abs(z).max() > 700 for z, _ in ce)


# --- the mistakes as a student writes them (loops, not the catalogue's code) --------------

def student_fc(no_out_prime=False, no_hidden_prime=False, prime_of_a=False, transpose=False):
    def fc_backward(x, t, W1, b1, W2, b2):
        s = lambda v: 1 / (1 + np.exp(-v))
        a1 = s(W1 @ x + b1)
        y = s(W2 @ a1 + b2)
        d2 = (y - t) * (1 if no_out_prime else (s(y) * (1 - s(y)) if prime_of_a else y * (1 - y)))
        d1 = W2.T @ d2 * (1 if no_hidden_prime else
                          (s(a1) * (1 - s(a1)) if prime_of_a else a1 * (1 - a1)))
        o = (lambda d, a: np.outer(a, d)) if transpose else np.outer
        return o(d1, x), d1, o(d2, a1), d2
    return fc_backward


def student_single(flip=True, ring=None, mean_db=False, dw_flip=False):
    def conv_backward_single(delta, x, w):
        kh, kw = w.shape
        k = w[::-1, ::-1] if flip else w
        ph, pw = (kh - 1, kw - 1) if ring is None else (ring, ring)
        d = np.pad(delta, ((ph, ph), (pw, pw)))
        dx = np.zeros((d.shape[0] - kh + 1, d.shape[1] - kw + 1))
        for i in range(dx.shape[0]):
            for j in range(dx.shape[1]):
                dx[i, j] = np.sum(d[i:i + kh, j:j + kw] * k)
        e = delta[::-1, ::-1] if dw_flip else delta
        dw = np.zeros(w.shape)
        for m in range(kh):
            for n in range(kw):
                dw[m, n] = np.sum(x[m:m + delta.shape[0], n:n + delta.shape[1]] * e)
        return dx, dw, float(delta.mean() if mean_db else delta.sum())
    return conv_backward_single


def student_expand(size_rule="full", blocks=False):
    def expand_sensitivity(delta, input_size, kernel_size, stride, padding):
        O = delta.shape[0]
        size = {"full": input_size - kernel_size + 2 * padding + 1,
                "smallest": (O - 1) * stride + 1, "times": O * stride}[size_rule]
        out = np.zeros((size, size))
        for i in range(O):
            for j in range(O):
                if blocks:
                    out[i * stride:(i + 1) * stride, j * stride:(j + 1) * stride] = delta[i, j]
                else:
                    out[i * stride, j * stride] = delta[i, j]
        return out
    return expand_sensitivity


def student_conv(flip=True, expand="full", ring="K-1", crop=True, dw_assign=False,
                 db_axes=(0, 2, 3)):
    def conv2d_backward(dout, x, w, stride, padding):
        N, C, H, W = x.shape
        F, _, KH, KW = w.shape
        L1 = (H - KH + 2 * padding + 1, W - KW + 2 * padding + 1)
        dx = None
        dw = np.zeros(w.shape)
        for n in range(N):
            for f in range(F):
                if expand == "none":
                    e = dout[n, f]
                else:
                    size = L1 if expand == "full" else \
                        ((dout.shape[2] - 1) * stride + 1, (dout.shape[3] - 1) * stride + 1)
                    e = np.zeros(size)
                    e[::stride, ::stride] = dout[n, f]
                r = (KH - 1, KW - 1) if ring == "K-1" else (padding, padding)
                ep = np.pad(e, ((r[0], r[0]), (r[1], r[1])))
                for c in range(C):
                    k = w[f, c, ::-1, ::-1] if flip else w[f, c]
                    part = np.array([[np.sum(ep[i:i + KH, j:j + KW] * k)
                                      for j in range(ep.shape[1] - KW + 1)]
                                     for i in range(ep.shape[0] - KH + 1)])
                    if crop and padding:
                        part = part[padding:-padding, padding:-padding]
                    if dx is None:
                        dx = np.zeros((N, C) + part.shape)
                    dx[n, c] += part
            xp = np.pad(x[n], ((0, 0), (padding, padding), (padding, padding)))
            one = np.zeros(w.shape)
            for f in range(F):
                for u in range(dout.shape[2]):
                    for v in range(dout.shape[3]):
                        one[f] += dout[n, f, u, v] * xp[:, u * stride:u * stride + KH,
                                                        v * stride:v * stride + KW]
            dw = one if dw_assign else dw + one
        return dx, dw, dout.sum(axis=db_axes)
    return conv2d_backward


def student_max(rule="first", assign=False):
    def max_pool_backward(dout, x, kernel_size, stride):
        K, S = kernel_size, stride
        dx = np.zeros(x.shape)
        for n in range(x.shape[0]):
            for c in range(x.shape[1]):
                for u in range(dout.shape[2]):
                    for v in range(dout.shape[3]):
                        win = x[n, c, u * S:u * S + K, v * S:v * S + K]
                        d = dout[n, c, u, v]
                        if rule == "copy":
                            dx[n, c, u * S:u * S + K, v * S:v * S + K] += d
                            continue
                        if rule == "ties":
                            dx[n, c, u * S:u * S + K, v * S:v * S + K] += d * (win == win.max())
                            continue
                        flat = np.argmax(win) if rule == "first" else \
                            win.size - 1 - np.argmax(win.ravel()[::-1])
                        m, k = divmod(int(flat), K)
                        if assign:
                            dx[n, c, u * S + m, v * S + k] = d
                        else:
                            dx[n, c, u * S + m, v * S + k] += d
        return dx
    return max_pool_backward


def student_mean(divisor="K2", assign=False):
    def avg_pool_backward(dout, x_shape, kernel_size, stride):
        K, S = kernel_size, stride
        by = {"K2": K * K, "K": K, "1": 1, "S2": S * S}[divisor]
        dx = np.zeros(x_shape)
        for u in range(dout.shape[2]):
            for v in range(dout.shape[3]):
                share = dout[:, :, u, v][:, :, None, None] / by
                if assign:
                    dx[:, :, u * S:u * S + K, v * S:v * S + K] = share
                else:
                    dx[:, :, u * S:u * S + K, v * S:v * S + K] += share
        return dx
    return avg_pool_backward


def student_col2im(divide=False, assign=False, crop=True, order="cmn"):
    def col2im(cols, x_shape, kernel_size, stride, padding):
        N, C, H, W = x_shape
        KH, KW = kernel_size
        OH = (H + 2 * padding - KH) // stride + 1
        OW = (W + 2 * padding - KW) // stride + 1
        out = np.zeros((N, C, H + 2 * padding, W + 2 * padding))
        count = np.zeros(out.shape)
        for col in range(cols.shape[1]):                   # window by window
            b, i, j = col // (OH * OW), (col // OW) % OH, col % OW
            for row in range(cols.shape[0]):
                if order == "cmn":
                    c, m, n = row // (KH * KW), (row // KW) % KH, row % KW
                else:
                    m, n, c = row // (KW * C), (row // C) % KW, row % C
                at = (b, c, i * stride + m, j * stride + n)
                out[at] = cols[row, col] if assign else out[at] + cols[row, col]
                count[at] += 1
        if divide:
            out = out / np.maximum(count, 1)
        return out[:, :, padding:padding + H, padding:padding + W] if crop else out
    return col2im


def student_ce(divide=True, diagonal=False, shift=True, sign=1):
    def cross_entropy_backward(logits, targets):
        z = logits - logits.max(axis=1, keepdims=True) if shift else logits
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        t = np.eye(logits.shape[1])[targets]
        g = sign * (p - t) * ((p - p * p) if diagonal else 1)
        return g / len(targets) if divide else g
    return cross_entropy_backward


def student_transpose(flip=False, assign=False, step=None, times=False):
    def conv_transpose_single(x, w, stride):
        H, W = x.shape
        KH, KW = w.shape
        S = stride if step is None else step
        k = np.flip(w) if flip else w
        y = np.zeros((H * stride, W * stride) if times else ((H - 1) * S + KH, (W - 1) * S + KW))
        for i in range(H):
            for j in range(W):
                for m in range(KH):
                    for n in range(KW):
                        r, c = i * S + m, j * S + n
                        if r < y.shape[0] and c < y.shape[1]:
                            if assign:
                                y[r, c] = x[i, j] * k[m, n]
                            else:
                                y[r, c] += x[i, j] * k[m, n]
        return y
    return conv_transpose_single


STUDENT_MISTAKES = [
    ("ch02.implement", student_fc(no_out_prime=True), "no_output_sigma_prime"),
    ("ch02.implement", student_fc(no_hidden_prime=True), "no_hidden_sigma_prime"),
    ("ch02.implement", student_fc(prime_of_a=True), "sigma_prime_of_a"),
    ("ch02.implement", student_fc(transpose=True), "transposed_dW"),
    ("ch04.implement", student_single(flip=False), "no_rot180"),
    ("ch04.implement", student_single(ring=1), "pad_one"),
    ("ch04.implement", student_single(ring=0), "no_padding"),
    ("ch04.implement", student_single(mean_db=True), "db_mean"),
    ("ch04.implement", student_single(dw_flip=True), "dw_convolution"),
    ("ch05.implement", student_expand("smallest"), "smallest_size"),
    ("ch05.implement", student_expand("times"), "O_times_S"),
    ("ch05.implement", student_expand(blocks=True), "blocks"),
    ("ch06.implement", student_conv(flip=False), "no_rot180"),
    ("ch06.implement", student_conv(expand="smallest"), "expanded_too_small"),
    ("ch06.implement", student_conv(expand="none"), "no_expansion"),
    ("ch06.implement", student_conv(ring="P", crop=False), "pad_P"),
    ("ch06.implement", student_conv(crop=False), "no_crop"),
    ("ch06.implement", student_conv(dw_assign=True), "dw_one_sample"),
    ("ch06.implement", student_conv(db_axes=(2, 3)), "db_per_sample"),
    ("ch07.implement_max", student_max("copy"), "copy_to_window"),
    ("ch07.implement_max", student_max("ties"), "every_tied_maximum"),
    ("ch07.implement_max", student_max("last"), "last_tied_maximum"),
    ("ch07.implement_max", student_max(assign=True), "assign_not_add"),
    ("ch07.implement_mean", student_mean("1"), "not_divided"),
    ("ch07.implement_mean", student_mean("K"), "divided_by_K"),
    ("ch07.implement_mean", student_mean("S2"), "divided_by_S2"),
    ("ch07.implement_mean", student_mean(assign=True), "assign_not_add"),
    ("ch08.implement", student_col2im(divide=True), "divide_by_counts"),
    ("ch08.implement", student_col2im(assign=True), "assign_not_add"),
    ("ch08.implement", student_col2im(crop=False), "no_crop"),
    ("ch08.implement", student_col2im(order="mnc"), "row_order"),
    ("ch09.implement", student_ce(divide=False), "not_divided_by_batch"),
    ("ch09.implement", student_ce(diagonal=True), "diagonal_jacobian"),
    ("ch09.implement", student_ce(shift=False), "overflow"),
    ("ch09.implement", student_ce(sign=-1), "sign"),
    ("ch12.implement", student_transpose(flip=True), "flipped_kernel"),
    ("ch12.implement", student_transpose(assign=True), "assign_not_add"),
    ("ch12.implement", student_transpose(step=1), "stride_ignored"),
    ("ch12.implement", student_transpose(times=True), "size_times_stride"),
]


@pytest.mark.parametrize("key, function, name", STUDENT_MISTAKES,
                         ids=[f"{k}-{n}" for k, _, n in STUDENT_MISTAKES])
def test_a_students_mistake_is_named(key, function, name, capsys):
    right, out, took = _run(key, function, capsys)
    says = {m.name: m.says for m in _ex(key).mistakes}[name]
    assert not right
    assert out.startswith(f"{key}: case ") and f"Known mistake: {says}" in out, out
    assert took < 2.0


def test_every_catalogued_mistake_has_a_student_version():
    covered = {(k, n) for k, _, n in STUDENT_MISTAKES}
    for key in IDS:
        names = {m.name for m in _ex(key).mistakes}
        assert len(names & {n for k, n in covered if k == key}) >= 3, key


@pytest.mark.parametrize("key", IDS)
def test_the_students_loops_are_right_without_the_mistake(key, capsys):
    """The student versions above, with every switch off, pass — so each test above changes
    one thing only."""
    right_one = {"ch02.implement": student_fc(), "ch04.implement": student_single(),
                 "ch05.implement": student_expand(), "ch06.implement": student_conv(),
                 "ch07.implement_max": student_max(), "ch07.implement_mean": student_mean(),
                 "ch08.implement": student_col2im(), "ch09.implement": student_ce(),
                 "ch12.implement": student_transpose()}[key]
    assert _run(key, right_one, capsys)[0]


# --- whatever the student writes, the check answers in one message -------------------------

def skeleton(*args):
    raise NotImplementedError


def test_not_implemented_yet(capsys):
    right, out, _ = _run("ch06.implement", skeleton, capsys)
    assert not right
    assert out == ("ch06.implement: not implemented yet — replace the raise NotImplementedError "
                   "in my_conv2d_backward with your code and run this check again.\n")


def test_not_answered_and_not_a_function(capsys):
    assert not _run("ch04.implement", None, capsys)[0]
    assert "not answered yet" in capsys.readouterr().out or True
    _, out, _ = _run("ch04.implement", None, capsys)
    assert "not answered yet" in out
    _, out, _ = _run("ch04.implement", np.zeros(3), capsys)
    assert "give the function itself" in out and "without parentheses" in out


def test_an_exception_names_the_case_and_the_line(capsys):
    def broken(delta, x, w):
        dx = np.zeros(x.shape)
        return dx, 1 / 0, 0.0
    right, out, _ = _run("ch04.implement", broken, capsys)
    assert not right
    assert re.match(r"ch04\.implement: case 1 of \d+ \(delta \(3, 3\), x \(4, 4\), w \(2, 2\)\): "
                    r"my_conv_backward_single raised ZeroDivisionError: division by zero "
                    r"\(line 3 of broken: return dx, 1 / 0, 0.0\)\.\n", out), out


def test_even_system_exit_is_caught(capsys):
    def leaves(*args):
        raise SystemExit(3)
    right, out, _ = _run("ch05.implement", leaves, capsys)
    assert not right and "raised SystemExit" in out


def test_wrong_number_of_results_type_dtype_and_none(capsys):
    _, out, _ = _run("ch06.implement", lambda dout, x, w, s, p: (np.zeros(x.shape),), capsys)
    assert "returns 1 values; it should return 3, (dx, dw, db)" in out
    _, out, _ = _run("ch07.implement_mean", lambda d, shape, k, s: np.zeros(shape).tolist(), capsys)
    assert "dx is a list, not a numpy array" in out
    _, out, _ = _run("ch07.implement_mean",
                     lambda d, shape, k, s: np.zeros(shape, dtype=np.float32), capsys)
    assert "dx has dtype float32; the contract is float64" in out
    _, out, _ = _run("ch04.implement", lambda d, x, w: (np.zeros(x.shape), np.zeros(w.shape),
                                                        d.sum(axis=0)), capsys)
    assert "db is an array of shape" in out and "it should be one number, a float" in out
    _, out, _ = _run("ch07.implement_max", lambda d, x, k, s: None, capsys)
    assert "dx is None — did the function forget to return it?" in out


def test_a_nan_result_is_reported_as_such(capsys):
    _, out, _ = _run("ch07.implement_mean", lambda d, shape, k, s: np.full(shape, np.nan), capsys)
    assert "dx holds NaN (first at dx[0, 0, 0, 0])" in out


def test_numpy_error_state_and_warnings_are_restored(capsys, recwarn):
    before = np.geterr()

    def rude(logits, targets):
        np.seterr(all="raise")
        import warnings
        warnings.simplefilter("error")
        return np.zeros(logits.shape)
    _run("ch09.implement", rude, capsys)
    assert np.geterr() == before
    import warnings
    warnings.warn("still a warning, not an error", UserWarning)     # the filters came back


def test_a_function_that_never_returns_is_stopped(capsys, monkeypatch):
    monkeypatch.setattr(_implement, "TIME_LIMIT", 0.3)

    def forever(dout, x, kernel_size, stride):
        while True:
            pass
    start = time.perf_counter()
    right, out, _ = _run("ch07.implement_max", forever, capsys)
    assert not right and time.perf_counter() - start < 3
    assert "had not returned after" in out and "the check stopped" in out


def test_a_function_that_swallows_every_exception_is_still_stopped(capsys, monkeypatch):
    monkeypatch.setattr(_implement, "TIME_LIMIT", 0.3)

    def stubborn(dout, x, kernel_size, stride):
        while True:
            try:
                while True:
                    pass
            except Exception:
                pass
    right, out, _ = _run("ch07.implement_max", stubborn, capsys)
    assert not right and "the check stopped" in out


def test_inputs_are_copied_so_a_function_that_writes_into_them_does_not_spoil_the_check(capsys):
    def vandal(dout, x, w, stride, padding):
        result = _solutions.my_conv2d_backward(dout, x, w, stride, padding)
        dout[...] = 0
        x[...] = 0
        w[...] = 0
        return result
    assert _run("ch06.implement", vandal, capsys)[0]


@pytest.mark.parametrize("key", ALL)
def test_no_message_contains_an_expected_value(key, capsys):
    """Whatever is wrong, the check prints settings, a difference and a sentence — never
    the expected array (the test looks for its first entries in the output)."""
    ex = _ex(key)
    for mistake in ex.mistakes:
        _, out, _ = _run(key, mistake.function, capsys)
        shown = re.sub(r"largest difference from cnnbook's \w+: \S+", "", out)
        for case in ex.hidden_cases()[:3]:
            want = ex.reference(*case.args)
            for value in (want if isinstance(want, tuple) else (want,)):
                for entry in np.ravel(value)[:4]:
                    if abs(entry) > 1e-3 and abs(entry) != 1:
                        assert f"{entry:.3g}" not in shown
        assert "def " not in out and ex.solution not in out
