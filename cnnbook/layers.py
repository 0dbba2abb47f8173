"""Layers: thin objects over the functional API, a ``Sequential`` model, optimisers, init.

Each layer is one forward/backward pair of ``cnnbook`` (CS231n's functions) with a
memory (Deep Learning from Scratch's layers)::

    out = layer.forward(x)        computes the output and caches what backward needs
    dx  = layer.backward(dout)    dout = ∂E/∂out in, dx = ∂E/∂x out; fills layer.grads

Parameters and their gradients live in two dicts keyed by PyTorch's names,
``layer.params["weight"]`` / ``layer.grads["weight"]`` (and ``"bias"``), with the
same shapes. ``backward`` *overwrites* ``grads`` (it does not add to them), so there
is no ``zero_grad``: one ``forward``, one ``backward``, one ``optimizer.step()``.
Gradients are written into the same arrays every time and the optimisers change the
parameters in place, so a reference to ``params["weight"]`` stays valid.

``Sequential(*layers)`` chains layers; ``parameters()`` yields ``(name, param, grad)``
with names like ``"0.weight"``. The loss is a separate object,
``SoftmaxCrossEntropy``: ``forward(logits, targets)`` returns a number and
``backward()`` returns ∂E/∂logits.

Nothing here uses numpy's global random state: initialisers take an explicit
``np.random.Generator`` (``rng``), so a network built from a seed is always the same.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from . import (
    avg_pool2d, avg_pool2d_backward, conv2d, conv2d_backward, dense, dense_backward,
    flatten, flatten_backward, max_pool2d, max_pool2d_backward, relu, relu_backward,
    sigmoid, sigmoid_backward, softmax_cross_entropy, softmax_cross_entropy_backward,
    tanh, tanh_backward,
)
from .shapes import _check_int, _check_kernel, _check_padding, _check_stride, _show, as_array, check_pool

__all__ = [
    "Layer", "Conv2D", "MaxPool2D", "AvgPool2D", "ReLU", "Sigmoid", "Tanh", "Flatten", "Dense",
    "Sequential", "SoftmaxCrossEntropy", "SGD", "Adam",
    "fan_in_fan_out", "he_normal", "xavier_uniform",
]


# --- initialisation ------------------------------------------------------------------

def _check_rng(rng):
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"rng must be a numpy Generator such as np.random.default_rng(0), got {rng!r}"
        )
    return rng


def fan_in_fan_out(shape):
    """``(fan_in, fan_out)`` of a weight array, as PyTorch counts them.

    Dense ``(D_out, D_in)``: ``(D_in, D_out)``. Convolution ``(F, C, KH, KW)``:
    ``(C·KH·KW, F·KH·KW)`` — each output sums over C·KH·KW inputs.
    """
    shape = tuple(int(d) for d in shape)
    if len(shape) < 2 or min(shape) < 1:
        raise ValueError(f"a weight shape needs at least 2 positive dimensions, got {shape}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def he_normal(shape, rng):
    """He (Kaiming) normal init: ``w ~ N(0, 2 / fan_in)``, for layers followed by ReLU.

    ReLU zeroes half of its inputs on average, so doubling the variance keeps the
    size of the activations the same from layer to layer.
    """
    fan_in, _ = fan_in_fan_out(shape)
    return _check_rng(rng).normal(0.0, math.sqrt(2.0 / fan_in), size=tuple(shape))


def xavier_uniform(shape, rng, gain=1.0):
    """Xavier (Glorot) uniform init: ``w ~ U(−a, a)``, ``a = gain·√(6 / (fan_in + fan_out))``.

    Variance ``2 / (fan_in + fan_out)``: a compromise between keeping the forward
    activations and the backward δ the same size, for tanh and sigmoid layers.
    """
    fan_in, fan_out = fan_in_fan_out(shape)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return _check_rng(rng).uniform(-a, a, size=tuple(shape))


_INITS = {"he_normal": he_normal, "xavier_uniform": xavier_uniform}


def _init_weight(init, shape, rng):
    """Weights of ``shape`` from ``init``: a name in ``_INITS`` or a function ``(shape, rng)``."""
    _check_rng(rng)
    if isinstance(init, str):
        if init not in _INITS:
            raise ValueError(f"init must be one of {sorted(_INITS)} or a function (shape, rng), got {init!r}")
        init = _INITS[init]
    w = as_array(init(shape, rng), "initial weight")
    if w.shape != tuple(shape):
        raise ValueError(f"init returned shape {w.shape}, expected {tuple(shape)}")
    return np.array(w, dtype=np.float64)  # a fresh array the layer owns


# --- the layer protocol ----------------------------------------------------------------

class Layer:
    """Base class: empty ``params`` / ``grads`` dicts, ``parameters()``, ``__call__``.

    Subclasses implement ``forward(x)`` and ``backward(dout)``.
    """

    def __init__(self):
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self._cache = None

    def forward(self, x):
        raise NotImplementedError

    def backward(self, dout):
        raise NotImplementedError

    def __call__(self, x):
        return self.forward(x)

    def parameters(self):
        """Yield ``(name, param, grad)`` for each parameter, e.g. ``("weight", w, dw)``."""
        for name, p in self.params.items():
            yield name, p, self.grads[name]

    def _cached(self):
        if self._cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        return self._cache

    def _set_grad(self, name, g):
        self.grads[name][...] = g  # in place: the array object stays the same

    def _make_weight_and_bias(self, shape, bias, init, rng):
        """``params["weight"]`` of ``shape`` from ``init``, ``params["bias"]`` zeros of
        ``shape[0]`` when ``bias``; gradients to match, zero."""
        self.params["weight"] = _init_weight(init, shape, rng)
        self.grads["weight"] = np.zeros(shape)
        if bias:
            self.params["bias"] = np.zeros(shape[0])
            self.grads["bias"] = np.zeros(shape[0])

    def _set_weight_and_bias_grads(self, dw, db):
        self._set_grad("weight", dw)
        if "bias" in self.params:
            self._set_grad("bias", db)

    def __repr__(self):
        return f"{type(self).__name__}()"


def _positive(value, name):
    return _check_int(value, name, 1)


# --- layers with parameters ------------------------------------------------------------

class Conv2D(Layer):
    """2-D convolution layer (PyTorch's ``Conv2d``): ``conv2d`` / ``conv2d_backward``.

    ``params["weight"]`` (out_channels, in_channels, KH, KW), ``params["bias"]``
    (out_channels,) — zeros at first; the weights come from ``init(shape, rng)``
    (``"he_normal"`` by default, or ``"xavier_uniform"``).

    Forward ``net[n, f] = Σ_c x_pad[n, c] ⋆ W[f, c] (every S-th position) + b[f]``.
    Backward, for ``dout`` = δ = ∂E/∂net::

        ∂E/∂W[f, c, m, q] = Σ_n Σ_i Σ_j δ[n, f, i, j] · x_pad[n, c, i·Sh + m, j·Sw + q]
        ∂E/∂b[f]          = Σ_n Σ_i Σ_j δ[n, f, i, j]
        ∂E/∂x             = full correlation of the stride-expanded δ with rot180(W),
                            padding border cropped
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 bias=True, *, rng, init="he_normal"):
        super().__init__()
        self.in_channels = _positive(in_channels, "in_channels")
        self.out_channels = _positive(out_channels, "out_channels")
        self.kernel_size = _check_kernel(kernel_size)
        self.stride = _check_stride(stride)
        self.padding = _check_padding(padding)
        shape = (self.out_channels, self.in_channels) + self.kernel_size
        self._make_weight_and_bias(shape, bias, init, rng)

    def forward(self, x):
        x = as_array(x, "x", 4, "(N, C, H, W)")
        out = conv2d(x, self.params["weight"], self.params.get("bias"), self.stride, self.padding)
        self._cache = x
        return out

    def backward(self, dout):
        x = self._cached()
        dx, dw, db = conv2d_backward(dout, x, self.params["weight"], self.stride, self.padding)
        self._set_weight_and_bias_grads(dw, db)
        return dx

    def __repr__(self):
        extra = "" if "bias" in self.params else ", bias=False"
        return (f"Conv2D({self.in_channels}, {self.out_channels}, kernel_size={_show(self.kernel_size)}, "
                f"stride={_show(self.stride)}, padding={_show(self.padding)}{extra})")


class Dense(Layer):
    """Fully connected layer (PyTorch's ``Linear``): ``out = x · Wᵀ + b`` on (N, in_features).

    ``params["weight"]`` (out_features, in_features), ``params["bias"]`` (out_features,).
    Backward, for ``dout`` = δ (N, out_features)::

        ∂E/∂x = δ · W          ∂E/∂W = δᵀ · x = Σ_n δ_n x_nᵀ          ∂E/∂b = Σ_n δ_n
    """

    def __init__(self, in_features, out_features, bias=True, *, rng, init="he_normal"):
        super().__init__()
        self.in_features = _positive(in_features, "in_features")
        self.out_features = _positive(out_features, "out_features")
        shape = (self.out_features, self.in_features)
        self._make_weight_and_bias(shape, bias, init, rng)

    def forward(self, x):
        x = as_array(x, "x", 2, "(N, in_features)")
        out = dense(x, self.params["weight"], self.params.get("bias"))
        self._cache = x
        return out

    def backward(self, dout):
        x = self._cached()
        dx, dw, db = dense_backward(dout, x, self.params["weight"])
        self._set_weight_and_bias_grads(dw, db)
        return dx

    def __repr__(self):
        extra = "" if "bias" in self.params else ", bias=False"
        return f"Dense({self.in_features}, {self.out_features}{extra})"


# --- layers without parameters ---------------------------------------------------------

class _Pool(Layer):
    _forward = _backward = None

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        k = _check_kernel(kernel_size)
        # shapes.check_pool's checks and messages, on an input exactly one window large
        _, self.kernel_size, self.stride, self.padding, _ = check_pool(np.zeros((1, 1) + k), k, stride, padding)

    def forward(self, x):
        x = as_array(x, "x", 4, "(N, C, H, W)")
        out = type(self)._forward(x, self.kernel_size, self.stride, self.padding)
        self._cache = x
        return out

    def backward(self, dout):
        return type(self)._backward(dout, self._cached(), self.kernel_size, self.stride, self.padding)

    def __repr__(self):
        return (f"{type(self).__name__}(kernel_size={_show(self.kernel_size)}, "
                f"stride={_show(self.stride)}, padding={_show(self.padding)})")


class MaxPool2D(_Pool):
    """Max pooling (``max_pool2d``); ``stride`` defaults to ``kernel_size``.

    Backward: ``∂E/∂x[argmax of window (i, j)] += dout[i, j]``, 0 elsewhere (ties go
    to the first maximum in row-major order). The argmax is recomputed from the cached x.
    """
    _forward = staticmethod(max_pool2d)
    _backward = staticmethod(max_pool2d_backward)


class AvgPool2D(_Pool):
    """Average pooling (``avg_pool2d``, divisor KH·KW); ``stride`` defaults to ``kernel_size``.

    Backward: every cell of window (i, j) gets ``dout[i, j] / (KH·KW)``; overlaps add up.
    """
    _forward = staticmethod(avg_pool2d)
    _backward = staticmethod(avg_pool2d_backward)


class _Activation(Layer):
    _f = _fb = None

    def forward(self, x):
        x = as_array(x, "x")
        out = type(self)._f(x)
        self._cache = x
        return out

    def backward(self, dout):
        return type(self)._fb(dout, self._cached())


class ReLU(_Activation):
    """``out = max(0, x)``; backward ``∂E/∂x = dout ⊙ [x > 0]``."""
    _f = staticmethod(relu)
    _fb = staticmethod(relu_backward)


class Sigmoid(_Activation):
    """``out = σ(x) = 1 / (1 + e^(−x))``; backward ``∂E/∂x = dout ⊙ σ(x)(1 − σ(x))``."""
    _f = staticmethod(sigmoid)
    _fb = staticmethod(sigmoid_backward)


class Tanh(_Activation):
    """``out = tanh(x)``; backward ``∂E/∂x = dout ⊙ (1 − tanh(x)²)``."""
    _f = staticmethod(tanh)
    _fb = staticmethod(tanh_backward)


class Flatten(Layer):
    """(N, C, H, W) → (N, C·H·W), row-major (光栅化); backward reshapes δ back to (N, C, H, W)."""

    def forward(self, x):
        x = as_array(x, "x")
        out = flatten(x)
        self._cache = x.shape
        return out

    def backward(self, dout):
        return flatten_backward(dout, self._cached())


# --- the model -------------------------------------------------------------------------

class Sequential(Layer):
    """Layers applied one after the other (PyTorch's ``nn.Sequential``).

    ``forward`` runs ``x ← layer.forward(x)`` for each layer; ``backward`` runs
    ``δ ← layer.backward(δ)`` in reverse order — the chain rule, one layer at a time.
    ``parameters()`` yields ``("<index>.<name>", param, grad)``, e.g. ``"0.weight"``.
    A ValueError raised by a layer says which layer it was.
    """

    def __init__(self, *layers):
        super().__init__()
        for i, layer in enumerate(layers):
            if not (callable(getattr(layer, "forward", None)) and callable(getattr(layer, "backward", None))):
                raise ValueError(f"layer {i} must have forward and backward methods, got {layer!r}")
        self.layers = list(layers)

    def forward(self, x):
        for i, layer in enumerate(self.layers):
            try:
                x = layer.forward(x)
            except ValueError as err:
                raise ValueError(f"layer {i} ({layer!r}): {err}") from err
        return x

    def backward(self, dout):
        for i in reversed(range(len(self.layers))):
            layer = self.layers[i]
            try:
                dout = layer.backward(dout)
            except ValueError as err:
                raise ValueError(f"layer {i} ({layer!r}), backward: {err}") from err
        return dout

    def parameters(self):
        for i, layer in enumerate(self.layers):
            for name, p, g in layer.parameters():
                yield f"{i}.{name}", p, g

    def __getitem__(self, i):
        return self.layers[i]

    def __len__(self):
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def __repr__(self):
        inner = "".join(f"\n  ({i}): {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential({inner}\n)"


# --- the loss --------------------------------------------------------------------------

class SoftmaxCrossEntropy:
    """Softmax followed by cross-entropy, as one layer (PyTorch's ``CrossEntropyLoss``).

    ``forward(logits, targets)`` returns ``E = −(1/N) Σ_n log softmax(logits_n)[t_n]``
    (``reduction="mean"``; ``"sum"`` drops the 1/N). ``targets``: class indices (N,)
    or probabilities (N, K). ``backward()`` returns ``∂E/∂logits = (softmax(logits) − t) / N``.
    """

    def __init__(self, reduction="mean"):
        if reduction not in ("mean", "sum"):
            raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
        self.reduction = reduction
        self._cache = None

    def forward(self, logits, targets):
        loss = softmax_cross_entropy(logits, targets, self.reduction)
        self._cache = (as_array(logits, "logits"), np.asarray(targets))
        return loss

    __call__ = forward

    def backward(self, dout=1.0):
        """``dout · ∂E/∂logits``; ``dout`` is ∂(final objective)/∂E, 1 when E is the objective."""
        if self._cache is None:
            raise RuntimeError("SoftmaxCrossEntropy.backward called before forward")
        logits, targets = self._cache
        return float(dout) * softmax_cross_entropy_backward(logits, targets, self.reduction)

    def __repr__(self):
        return f"SoftmaxCrossEntropy(reduction={self.reduction!r})"


# --- optimisers ------------------------------------------------------------------------

def _check_model(model):
    if not callable(getattr(model, "parameters", None)):
        raise ValueError(f"an optimiser needs a model or layer with parameters(), got {model!r}")
    return model


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _check_lr(lr):
    if not (_is_real(lr) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    return float(lr)


def _check_fraction(value, name):
    if not (_is_real(value) and 0 <= value < 1):
        raise ValueError(f"{name} must be in [0, 1), got {value!r}")
    return float(value)


class SGD:
    """Stochastic gradient descent with (heavy-ball) momentum, PyTorch's formulation.

    With g = ∂E/∂p from the last ``backward``, each ``step()`` does, in place::

        v ← μ·v + g            (v starts at 0; μ = momentum)
        p ← p − lr·v

    With ``momentum=0`` this is plain ``p ← p − lr·g``. There is no ``zero_grad``:
    ``backward`` overwrites the gradients. The velocity v is kept per parameter name.
    """

    def __init__(self, model, lr=0.01, momentum=0.0):
        self.model = _check_model(model)
        self.lr = _check_lr(lr)
        self.momentum = _check_fraction(momentum, "momentum")
        self.velocity: dict[str, np.ndarray] = {}

    def step(self):
        for name, p, g in self.model.parameters():
            if self.momentum:
                v = self.velocity.setdefault(name, np.zeros_like(p))
                v *= self.momentum
                v += g
                g = v
            p -= self.lr * g

    def __repr__(self):
        return f"SGD(lr={self.lr}, momentum={self.momentum})"


class Adam:
    """Adam (Kingma & Ba), PyTorch's formulation; moments kept per parameter name.

    At step t = 1, 2, …, with g = ∂E/∂p::

        m ← β1·m + (1 − β1)·g              v ← β2·v + (1 − β2)·g²
        m̂ = m / (1 − β1^t)                 v̂ = v / (1 − β2^t)       (bias correction)
        p ← p − lr · m̂ / (√v̂ + eps)

    No ``zero_grad`` is needed: ``backward`` overwrites the gradients.
    """

    def __init__(self, model, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.model = _check_model(model)
        self.lr = _check_lr(lr)
        try:
            b1, b2 = betas
        except (TypeError, ValueError):
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}") from None
        self.betas = (_check_fraction(b1, "beta1"), _check_fraction(b2, "beta2"))
        if not (_is_real(eps) and eps > 0):
            raise ValueError(f"eps must be a positive number, got {eps!r}")
        self.eps = float(eps)
        self.t = 0
        self.m: dict[str, np.ndarray] = {}
        self.v: dict[str, np.ndarray] = {}

    def step(self):
        self.t += 1
        b1, b2 = self.betas
        c1, c2 = 1.0 - b1 ** self.t, 1.0 - b2 ** self.t
        for name, p, g in self.model.parameters():
            m = self.m.setdefault(name, np.zeros_like(p))
            v = self.v.setdefault(name, np.zeros_like(p))
            m *= b1
            m += (1.0 - b1) * g
            v *= b2
            v += (1.0 - b2) * g * g
            p -= self.lr * (m / c1) / (np.sqrt(v / c2) + self.eps)

    def __repr__(self):
        return f"Adam(lr={self.lr}, betas={self.betas}, eps={self.eps})"
