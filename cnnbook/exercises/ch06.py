"""Chapter 6 — C channels and F filters: the whole convolution layer, backwards."""
from __future__ import annotations

import numpy as np

from .. import conv2d_backward
from ..examples import seed001_stride2
from ._core import Exercise, close, number, same_array, same_shape, whole, whole_numbers

# The layer of exercises 1 and 2: C = 16 input channels, F = 32 filters of 3×3.
_C, _F, _K = 16, 32, 3


def _layer_counts():
    """(maps of ∂E/∂a^(l−1), partial maps per map, kernel gradients), read off cnnbook's shapes."""
    w = np.zeros((_F, _C, _K, _K))
    dx, dw, _ = conv2d_backward(np.zeros((1, _F, 1, 1)), np.zeros((1, _C, _K, _K)), w)
    return dx.shape[1], w.shape[0], dw.shape[0] * dw.shape[1]


def _test_q1(answer):
    value = whole(answer)
    if value is None:
        return "A number of maps is a whole number"
    maps, _, _ = _layer_counts()
    if value == maps:
        return True
    if value == _F:
        return "That is F, the number of filters (and of the maps δ^(l) that arrive)"
    if value == _F * _C:
        return "That counts the partial maps of all channels; they add up, channel by channel"
    return False


def _test_q2(answer):
    _, partial, kernels = _layer_counts()
    if same_shape(answer, (partial, kernels)):
        return True
    values = None if isinstance(answer, (str, bytes)) else whole_numbers(answer)
    if values is None or len(values) != 2:
        return "Answer with a pair of two whole numbers, (partial_maps, kernel_gradients)"
    first, second = values
    if (first, second) == (kernels, partial):
        return "The right numbers in the wrong order: (partial_maps, kernel_gradients)"
    if first == _C:
        return "The first number counts filters, not channels: each filter adds one partial map"
    if second in (_F, _C):
        return "∂E/∂W holds a kernel for every (filter, channel) pair, not one per filter or channel"
    return False


# Exercise 3: filter 1's share of ∂E/∂a^(l−1) at channel 0, row 1, column 4 — a position where
# the other filter, both filters, the swapped position and the unturned kernel all differ.
_Q3 = dict(keep=1, c=0, i=1, j=4)


def _seed001_dx(keep=None, flip=True, at=None):
    """∂E/∂a^(l−1) of seed 001's test at ``at``; with ``keep`` = q only filter q's δ is sent
    back; ``flip=False`` makes the no-rot180 slip (the kernels turned once more)."""
    ex = seed001_stride2()
    delta = ex["delta"].copy()
    if keep is not None:
        delta[:, [q for q in range(delta.shape[1]) if q != keep]] = 0.0
    w = ex["w"] if flip else ex["w"][..., ::-1, ::-1]
    c, i, j = at or (_Q3["c"], _Q3["i"], _Q3["j"])
    return conv2d_backward(delta, ex["x"], w, ex["stride"], ex["padding"])[0][0, c, i, j]


def _test_q3(answer):
    if number(answer) is None:
        return "Give one number"
    keep, c, i, j = _Q3["keep"], _Q3["c"], _Q3["i"], _Q3["j"]
    exact = lambda v: close(answer, v, rtol=0, atol=1e-9)
    if exact(_seed001_dx(keep)):
        return True
    if exact(_seed001_dx()):
        return "That is the whole ∂E/∂a^(l−1) there, both filters together"
    if exact(_seed001_dx(1 - keep)):
        return "That is filter 0's share, not filter 1's"
    if exact(_seed001_dx(keep, at=(c, j, i))):
        return "Rows and columns are swapped: row 1, column 4"
    if exact(_seed001_dx(keep, flip=False)):
        return "That correlates δ with W[q, c] itself; the full convolution needs rot180(W[q, c])"
    return False


# Exercise 4: two samples of seed 001's image; the second's per-sample δ is −2 times the first's.
_Q4_FACTORS = (1.0, -2.0)


def _seed001_db(factors, divide, per_sample=False):
    ex = seed001_stride2()
    delta = np.concatenate([f * ex["delta"] for f in factors]) / (len(factors) if divide else 1)
    if per_sample:
        return delta.sum(axis=(2, 3))
    x = np.concatenate([ex["x"]] * len(factors))
    return conv2d_backward(delta, x, ex["w"], ex["stride"], ex["padding"])[2]


def _test_q4(answer):
    if np.shape(answer) == (2, 2) and same_array(answer, _seed001_db(_Q4_FACTORS, True, True)):
        return "That keeps one row per sample; the bias is shared by the batch, so ∂E/∂b has " \
               "one number per filter"
    if np.shape(answer) not in ((2,), (1, 2), (2, 1)):
        return "Give two numbers, one per filter"
    given = np.ravel(answer)
    if same_array(given, _seed001_db(_Q4_FACTORS, divide=True)):
        return True
    if same_array(given, _seed001_db(_Q4_FACTORS, divide=False)):
        return "That is the sum over the batch; the loss is the mean"
    if same_array(given, _seed001_db(_Q4_FACTORS[:1], divide=False)) or \
            same_array(given, _seed001_db(_Q4_FACTORS[1:], divide=False)):
        return "That is one sample's bias gradient; the batch has two, and both use the bias"
    if same_array(given, _seed001_db(_Q4_FACTORS, divide=True) / 2):
        return "Divided once too often: the two samples add first, then the mean halves the sum"
    return False


def _shared_kernel_maps_equal():
    """Try it: a layer whose filters use one kernel for all channels, random x and δ."""
    g = np.random.default_rng(5)
    shared = np.repeat(g.normal(size=(4, 1, 3, 3)), 3, axis=1)       # W[q, c] the same for every c
    dx = conv2d_backward(g.normal(size=(2, 4, 4, 4)), g.normal(size=(2, 3, 6, 6)), shared)[0]
    return bool(np.allclose(dx[:, 0], dx[:, 1]) and np.allclose(dx[:, 0], dx[:, 2]))


def _test_q5(answer):
    if not isinstance(answer, (bool, np.bool_)):
        return "Answer True or False (not a string)"
    return bool(answer) == _shared_kernel_maps_equal()


EXERCISES = [
    Exercise(
        key="ch06.q1",
        question="A layer reads $C = 16$ channels and has $F = 32$ filters of 3×3. How many maps "
                 "does $\\partial E/\\partial a^{(l-1)}$, the gradient it sends back, have?",
        test=_test_q1,
        hint="the gradient that reaches the layer's input has the input's shape (§3)",
        solution="16. ∂E/∂a^(l−1) has the shape of the layer's input, (N, C, H, W): one map "
                 "per input channel c, built from channel c of every filter. The 32 filters decide "
                 "how many maps δ^(l) arrives with, not how many leave.",
        answer=16,
        wrong=32,
    ),
    Exercise(
        key="ch06.q2",
        question="For the same layer: how many partial maps are added to make each of those maps, "
                 "and how many 3×3 kernel gradients does $\\partial E/\\partial W$ hold? Answer as "
                 "a pair `(partial_maps, kernel_gradients)`.",
        test=_test_q2,
        hint="every filter sends back one partial map per channel; W, and so ∂E/∂W, has one "
             "kernel per (filter, channel) pair (§2–§4)",
        solution="(32, 512). ∂E/∂a_c = Σ_q δ_q ⋆_full rot180(W[q, c]): one partial map for each of "
                 "the F = 32 filters. ∂E/∂W has the shape of W, (F, C, 3, 3) = (32, 16, 3, 3): "
                 "F·C = 32·16 = 512 kernel gradients ∂E/∂W[q, c] = a_c ⋆ δ_q.",
        answer=(32, 512),
        wrong=(16, 32),
    ),
    Exercise(
        key="ch06.q3",
        question="In seed 001's test (section 5), what does **filter 1 alone** contribute to "
                 "$\\partial E/\\partial a^{(l-1)}$ at channel 0, row 1, column 4 (0-based)? Work "
                 "it out from the partial maps of section 5.",
        test=_test_q3,
        hint="the backward pass is linear in δ: each filter's δ makes its own partial map, and "
             "the partial maps add (§2 and §5)",
        solution="−2. With delta[:, 0] = 0, cb.conv2d_backward(delta, x, w, 2, 1)[0][0, 0, 1, 4] "
                 "= −2: filter 1's partial map for channel 0 at (1, 4). Filter 0 adds 3 there, so "
                 "the whole ∂E/∂a^(l−1) is 1.",
        answer=float(_seed001_dx(1)),
        wrong=float(_seed001_dx()),
    ),
    Exercise(
        key="ch06.q4",
        question="A batch holds seed 001's image **twice**. Sample 0's own sensitivity map "
                 "($\\partial E_0/\\partial \\mathrm{net}$) is seed 001's δ, sample 1's is **−2 "
                 "times** it, and the batch's loss is the **mean** $E = (E_0 + E_1)/2$. What is "
                 "$\\partial E/\\partial b$ (two numbers)?",
        test=_test_q4,
        hint="the bias of filter q is in every position of every sample's map q; a mean over "
             "the batch divides what the samples add (§4 and §7)",
        solution="[-4.5, -3.5]. Sample 0 alone gives (Σ δ_0, Σ δ_1) = (9, 7), sample 1 gives "
                 "(−18, −14); they add to (−9, −7) and the mean over N = 2 halves that.",
        answer=[-4.5, -3.5],
        wrong=[-9.0, -7.0],
    ),
    Exercise(
        key="ch06.q5",
        question="Suppose every filter of a layer used the same kernel for all its input channels, "
                 "$W_{q,0} = W_{q,1} = \\dots = W_{q,C-1}$ (one kernel per output map). Are the $C$ "
                 "maps of $\\partial E/\\partial a^{(l-1)}$ then all equal, for any input and any "
                 "$\\delta^{(l)}$? Answer `True` or `False`; try it with `cb.conv2d_backward` "
                 "first.",
        test=_test_q5,
        hint="channel c's map is a sum over the filters of δ_q with channel c's kernels: which of "
             "its ingredients depend on c? (§1 and §2)",
        solution="True. ∂E/∂a_c = Σ_q δ^(l)_q ⋆_full rot180(W[q, c]) uses only δ^(l) and channel c "
                 "of the kernels — not the input a^(l−1). If W[q, c] is the same for every c, "
                 "every term, and so every map, is the same. (∂E/∂W[q, c] = a_c ⋆ δ_q still "
                 "differs between channels, because it does use the input.)",
        answer=True,
        wrong=False,
    ),
]


# --- ch06.implement: the whole convolution layer, backward --------------------------------

from .. import conv2d as _conv2d, conv2d_backward as _conv2d_backward      # noqa: E402
from .. import numerical_gradient                                           # noqa: E402
from ._implement import Case, Implementation, Mistake, describe             # noqa: E402
from ._routes import conv_route                                             # noqa: E402
from ._solutions import my_conv2d_backward, source                          # noqa: E402

# (N, C, F, H, W, KH, KW, S, P): the first cases are small and easy, the rest add one
# difficulty each — stride, padding, remainders, non-square maps and kernels, channels,
# filters and a batch; then random ones.
_CONV_SETTINGS = [
    (1, 1, 1, 5, 5, 3, 3, 1, 0), (1, 1, 1, 6, 5, 2, 3, 1, 0), (1, 1, 1, 5, 5, 3, 3, 2, 0),
    (1, 1, 1, 6, 6, 3, 3, 2, 0), (1, 1, 1, 5, 4, 3, 2, 1, 1), (1, 2, 1, 5, 5, 3, 3, 1, 0),
    (1, 1, 2, 5, 5, 2, 2, 1, 0), (2, 1, 1, 4, 5, 2, 2, 1, 0), (1, 3, 2, 7, 7, 3, 3, 2, 1),
    (2, 2, 3, 7, 6, 3, 2, 3, 1), (2, 3, 2, 8, 7, 3, 3, 3, 2),
]


def _conv_cases(rng):
    settings = list(_CONV_SETTINGS)
    while len(settings) < 24:
        KH, KW = (int(k) for k in rng.integers(1, 4, size=2))
        P = int(rng.integers(0, 3))
        H, W = (int(v) for v in rng.integers(max(KH, KW, 3), 9, size=2))
        settings.append((int(rng.integers(1, 3)), int(rng.integers(1, 4)), int(rng.integers(1, 4)),
                         H, W, KH, KW, int(rng.integers(1, 4)), P))
    cases = []
    for N, C, F, H, W, KH, KW, S, P in settings:
        x = rng.normal(size=(N, C, H, W))
        w = rng.normal(size=(F, C, KH, KW))
        dout = rng.normal(size=_conv2d(x, w, stride=S, padding=P).shape)
        cases.append(Case(describe(dout=dout, x=x, w=w, stride=S, padding=P),
                          (dout, x, w, S, P)))
    return cases


def _conv_reference(dout, x, w, stride, padding):
    return _conv2d_backward(dout, x, w, stride, padding)


def _conv_numerical(dout, x, w, stride, padding):
    """dx, dW, db by central differences of ⟨δ, conv2d(x, w, b)⟩."""
    b0 = np.zeros(w.shape[0])
    net = lambda x, w, b: _conv2d(x, w, b, stride=stride, padding=padding)
    return (numerical_gradient(lambda v: net(v, w, b0), x, dout),
            numerical_gradient(lambda v: net(x, v, b0), w, dout),
            numerical_gradient(lambda v: net(x, w, v), b0, dout))


def _route(**switches):
    return lambda dout, x, w, stride, padding: conv_route(dout, x, w, stride, padding, **switches)


CONV_MISTAKES = (
    Mistake("no_rot180",
            "δ is correlated with W itself, but the full convolution needs the kernel turned: "
            "pad δ with K − 1 zeros and correlate with rot180(W) (chapter 4, §5).",
            _route(flip=False)),
    Mistake("expanded_too_small",
            "the stride-S δ was expanded to (O − 1)S + 1 instead of L − K + 2P + 1: when S does "
            "not divide L − K + 2P the last rows and columns are lost (chapter 5, §3).",
            _route(expand="smallest")),
    Mistake("no_expansion",
            "δ was not expanded: with stride S > 1 the skipped positions first get zeros back, "
            "δ[u, v] going to (u·S, v·S) (chapter 5, §1).",
            _route(expand="none")),
    Mistake("pad_P",
            "δ is padded by P instead of K − 1 (and not cropped) — right only when "
            "P = (K − 1)/2 and S = 1: pad K − 1, correlate with rot180(W), then crop P "
            "(chapter 5, §4).",
            _route(ring="P", crop=False)),
    Mistake("no_crop",
            "the padding border was not cropped: the full correlation gives ∂E/∂ of the padded "
            "input, and the P outer rings are padding, not inputs (chapter 5, §2).",
            _route(crop=False)),
    Mistake("dw_one_sample",
            "dW holds one sample's gradient: a kernel is shared by every sample of the batch, "
            "so their dW add up (+=, not =) (chapter 6, §7).",
            _route(dw_batch="last")),
    Mistake("dw_batch_mean",
            "dW is averaged over the batch: the mean of the loss is already in δ, so dW adds "
            "the samples' contributions (chapter 6, §7).",
            _route(dw_batch="mean")),
    Mistake("db_per_sample",
            "db is summed over the positions but not over the batch: ∂E/∂b_q = Σ δ_q over all "
            "samples and positions, shape (F,) (chapter 6, §4).",
            _route(db_axes=(2, 3))),
    Mistake("db_over_filters",
            "db is summed over the wrong axes: one bias per filter q, so sum δ over the batch and "
            "the positions (axes 0, 2, 3), keeping the filter axis (chapter 6, §4).",
            _route(db_axes=(0, 1, 2))),
)

IMPLEMENTATIONS = [
    Implementation(
        key="ch06.implement",
        name="my_conv2d_backward",
        signature="my_conv2d_backward(dout, x, w, stride, padding)",
        returns=("dx", "dw", "db"),
        shapes={"dx": "the shape of x", "dw": "the shape of w", "db": "one entry per filter"},
        cases=_conv_cases,
        reference=_conv_reference,
        mistakes=CONV_MISTAKES,
        question="Write the backward pass of a whole convolution layer: dout = δ = ∂E/∂net "
                 "(N, F, O_h, O_w), x (N, C, H, W), w (F, C, KH, KW), int stride S and padding P; "
                 "return (dx, dw, db) = (∂E/∂a^(l−1), ∂E/∂W, ∂E/∂b).",
        hint="for every sample, filter and channel: expand δ to L − K + 2P + 1, pad K − 1, "
             "correlate with rot180(W[q, c]) and add into dx[r, c], then crop P; dW[q, c] adds "
             "x_pad[r, c] ⋆ (expanded δ) over the batch; db sums δ over everything but the "
             "filter (chapters 4–6)",
        solution=source(my_conv2d_backward),
        numerical=_conv_numerical,
        seed=6,
    ),
]
