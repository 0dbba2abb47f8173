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
