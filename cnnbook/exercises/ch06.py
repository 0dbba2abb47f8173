"""Chapter 6 — depth D and N filters: the whole convolution layer, backwards."""
from __future__ import annotations

import numpy as np

from .. import conv2d_backward
from ..examples import seed001_stride2
from ._core import Exercise, close, same_array, same_shape

# The layer of exercises 1 and 2: D = 16 input channels, N = 32 filters of 3×3.
_D, _N, _K = 16, 32, 3


def _layer_counts():
    """(maps of δ^(l-1), partial maps per map, kernel gradients), read off cnnbook's shapes."""
    w = np.zeros((_N, _D, _K, _K))
    dx, dw, _ = conv2d_backward(np.zeros((1, _N, 1, 1)), np.zeros((1, _D, _K, _K)), w)
    return dx.shape[1], w.shape[0], dw.shape[0] * dw.shape[1]


def _test_q1(answer):
    maps, _, _ = _layer_counts()
    if close(answer, maps, rtol=0):
        return True
    if close(answer, _N, rtol=0):
        return "That is N, the number of filters (and of the maps δ^l that arrive)"
    return False


def _test_q2(answer):
    _, partial, kernels = _layer_counts()
    if same_shape(answer, (partial, kernels)):
        return True
    try:
        first, second = (int(v) for v in answer)
    except (TypeError, ValueError):
        return "Answer with a pair of two integers, (partial_maps, kernel_gradients)"
    if first == _D:
        return "The first number counts filters, not channels: each filter adds one partial map"
    if second in (_N, _D):
        return "∂E/∂W holds a kernel for every (filter, channel) pair, not one per filter or channel"
    return False


def _seed001_dx(keep=None):
    """∂E/∂x of seed 001's test; with ``keep`` = f only filter f's error term is sent back."""
    ex = seed001_stride2()
    delta = ex["delta"].copy()
    if keep is not None:
        delta[:, [f for f in range(delta.shape[1]) if f != keep]] = 0.0
    return conv2d_backward(delta, ex["x"], ex["w"], ex["stride"], ex["padding"])[0][0, 2, 3, 1]


def _test_q3(answer):
    if close(answer, _seed001_dx(keep=1)):
        return True
    if close(answer, _seed001_dx()):
        return "That is the whole ∂E/∂x there, both filters together"
    if close(answer, _seed001_dx(keep=0)):
        return "That is filter 0's share, not filter 1's"
    return False


def _seed001_db(batch, divide):
    ex = seed001_stride2()
    delta = np.concatenate([ex["delta"]] * batch) / (batch if divide else 1)
    x = np.concatenate([ex["x"]] * batch)
    return conv2d_backward(delta, x, ex["w"], ex["stride"], ex["padding"])[2]


def _test_q4(answer):
    if same_array(np.ravel(answer), _seed001_db(2, divide=True)):
        return True
    if same_array(np.ravel(answer), _seed001_db(2, divide=False)):
        return "That is the sum over the batch; the loss is the mean"
    if same_array(np.ravel(answer), _seed001_db(1, divide=True) / 2):
        return "Divided once too often: the two copies add first, then the mean halves the sum"
    return False


def _shared_kernel_maps_equal():
    """Try it: a layer whose filters use one kernel for all channels, random x and δ."""
    g = np.random.default_rng(5)
    shared = np.repeat(g.normal(size=(4, 1, 3, 3)), 3, axis=1)       # W[f, d] the same for every d
    dx = conv2d_backward(g.normal(size=(2, 4, 4, 4)), g.normal(size=(2, 3, 6, 6)), shared)[0]
    return bool(np.allclose(dx[:, 0], dx[:, 1]) and np.allclose(dx[:, 0], dx[:, 2]))


def _test_q5(answer):
    if not isinstance(answer, (bool, np.bool_)):
        return "Answer True or False"
    return bool(answer) == _shared_kernel_maps_equal()


EXERCISES = [
    Exercise(
        key="ch06.q1",
        question="A layer reads $D = 16$ channels and has $N = 32$ filters of 3×3. How many maps does "
                 "the sensitivity map $\\delta^{(l-1)}$ it sends back have?",
        test=_test_q1,
        hint="δ^(l-1) is ∂E/∂(the layer's input), so it has the input's shape: one map per input channel",
        solution="16. δ^(l-1) = ∂E/∂a^(l-1) has the shape of the layer's input, (N, D, H, W): one map "
                 "per input channel d, built from channel d of every filter. The 32 filters decide "
                 "how many maps δ^l arrives with, not how many leave.",
        answer=16,
        wrong=32,
    ),
    Exercise(
        key="ch06.q2",
        question="For the same layer: how many partial maps are added to make each of those maps, and "
                 "how many 3×3 kernel gradients does $\\partial E/\\partial W$ hold? Answer as a pair "
                 "`(partial_maps, kernel_gradients)`.",
        test=_test_q2,
        hint="Map d of δ^(l-1) adds one partial map per filter f (δ_f full-correlated with "
             "rot180(W[f, d])); W, and so ∂E/∂W, has one 3×3 kernel per (filter, channel) pair",
        solution="(32, 512). δ^(l-1)_d = Σ_f δ^l_f ⋆_full rot180(W[f, d]): one partial map for each of "
                 "the N = 32 filters. ∂E/∂W has the shape of W, (N, D, 3, 3) = (32, 16, 3, 3): "
                 "N·D = 32·16 = 512 kernel gradients ∂E/∂W[f, d] = a_d ⋆ δ_f.",
        answer=(32, 512),
        wrong=(16, 32),
    ),
    Exercise(
        key="ch06.q3",
        question="In seed 001's test (section 5), what does **filter 1 alone** contribute to "
                 "$\\partial E/\\partial x$ at channel 2, row 3, column 1 (0-based)? Work it out from the "
                 "partial maps, or from `cb.conv2d_backward` with filter 0's error set to zero.",
        test=_test_q3,
        hint="Keep only δ_1, expand it (stride 2), full-correlate it with rot180(W[1, 2]) and crop the "
             "padding pixel — or call cb.conv2d_backward with delta[:, 0] set to 0 and read "
             "dx[0, 2, 3, 1]",
        solution="−2. With delta[:, 0] = 0, cb.conv2d_backward(delta, x, w, 2, 1)[0][0, 2, 3, 1] = −2: "
                 "filter 1's partial map for channel 2 at (3, 1). Filter 0 adds −1 there, so the whole "
                 "∂E/∂x is −3 — the backward pass is linear in δ, and the partial maps add.",
        answer=-2.0,
        wrong=-3.0,
    ),
    Exercise(
        key="ch06.q4",
        question="Seed 001's image appears **twice** in a batch, with the same $\\delta^l$ for both "
                 "copies, and the loss is the **mean** over the batch. What is "
                 "$\\partial E/\\partial b$ (two numbers)?",
        test=_test_q4,
        hint="∂E/∂b_f = Σ δ_f over all positions and all samples of the batch; a mean loss divides "
             "every sample's δ by the batch size",
        solution="[9, 7]. For one copy ∂E/∂b = (Σ δ_0, Σ δ_1) = (9, 7). Two copies add to (18, 14), and "
                 "the mean over a batch of 2 halves that: (9, 7) again — a mean loss does not grow with "
                 "repeated samples.",
        answer=[9.0, 7.0],
        wrong=[18.0, 14.0],
    ),
    Exercise(
        key="ch06.q5",
        question="Suppose every filter of a layer used the same kernel for all its input channels, "
                 "$W_{f,0} = W_{f,1} = \\dots = W_{f,D-1}$ (one kernel per output map). Are the $D$ maps "
                 "of $\\partial E/\\partial a^{(l-1)}$ then all equal, for any input and any "
                 "$\\delta^l$? Answer `True` or `False`; try it with `cb.conv2d_backward` first.",
        test=_test_q5,
        hint="Channel d's map is Σ_f δ_f ⋆_full rot180(W[f, d]): which of its ingredients depend on d? "
             "(The input values do not appear in it at all.)",
        solution="True. ∂E/∂a_d = Σ_f δ^l_f ⋆_full rot180(W[f, d]) uses only δ^l and channel d of the "
                 "kernels — not the input a^(l-1). If W[f, d] is the same for every d, every term, and "
                 "so every map, is the same. (∂E/∂W[f, d] = a_d ⋆ δ_f still differs between channels, "
                 "because it does use the input.)",
        answer=True,
        wrong=False,
    ),
]


# --- ch06.implement: the whole convolution layer, backward --------------------------------

from .. import conv2d as _conv2d, conv2d_backward as _conv2d_backward      # noqa: E402
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
        seed=6,
    ),
]
