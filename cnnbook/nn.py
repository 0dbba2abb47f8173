"""``cnnbook.nn``: the layers of a CNN with PyTorch's names and contracts, in numpy.

A door into ``torch.nn``: each class here mirrors the ``torch.nn`` (or ``torch.optim``)
class of the same name, with the same constructor arguments, parameter names and
shapes, so a network written with ``cnnbook.nn`` reads like one written with torch —
and loads its weights::

    net.load_state_dict({k: v.numpy() for k, v in torch_net.state_dict().items()})

What torch's autograd does behind the scenes is written out here, because deriving it
is the point of the course: every module has a ``backward``.

The contract::

    out  = module(x)              forward; caches what backward needs (its input)
    dx   = module.backward(dout)  dout = ∂E/∂out in, dx = ∂E/∂x out; each parameter's
                                  ∂E/∂p is ADDED into its .grad (torch accumulates too)
    E    = criterion(logits, t)   CrossEntropyLoss: a float
    dE   = criterion.backward()   ∂E/∂logits, the δ at the output layer (net of the last layer)

For a layer whose output is net^(l) (Conv2d, Linear), ``dout`` is δ^(l) = ∂E/∂net^(l) and
``dx`` is ∂E/∂a^(l−1); the activation module below it multiplies by f′(net^(l−1)), which
makes δ^(l−1) = ∂E/∂a^(l−1) ⊙ f′(net^(l−1)).

Parameters are ``Parameter`` objects with ``.data`` (the values) and ``.grad`` (∂E/∂data,
zeros at first), numpy arrays of the same shape. ``parameters()``, ``named_parameters()``
(names like ``"0.weight"``, ``"3.bias"``), ``zero_grad()``, ``state_dict()`` and
``load_state_dict()`` work as in torch. Because gradients accumulate, a training step is
``zero_grad → forward → backward → step``.

Optimisers ``SGD`` and ``Adam`` take ``model.parameters()`` and follow torch's update
rules (weight decay included) exactly. Weights are drawn from an explicit
``np.random.Generator`` (``rng=``), never from numpy's global state. Differences from
torch, all deliberate: weights start He-normal (``init="he_normal"``; torch's default is
a uniform "kaiming_uniform(a=√5)") with biases at 0; one parameter group per optimiser
(``opt.lr`` is torch's ``opt.param_groups[0]["lr"]``); no autograd, no devices, float64.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from .functional import (
    dense, dense_backward, flatten, flatten_backward, relu, relu_backward,
    sigmoid, sigmoid_backward, softmax_cross_entropy, softmax_cross_entropy_backward,
    tanh, tanh_backward,
)
from .conv import conv2d, conv2d_backward
from .gradcheck import numerical_gradient
from .pool import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward
from .shapes import _check_int, _check_kernel, _check_padding, _check_stride, as_array, check_pool

__all__ = [
    "Parameter", "Module", "Conv2d", "Linear", "MaxPool2d", "AvgPool2d", "ReLU", "Sigmoid",
    "Tanh", "Flatten", "Sequential", "CrossEntropyLoss", "SGD", "Adam",
    "fan_in_fan_out", "he_normal", "xavier_uniform", "gradient_check",
]


# --- initialisation (torch.nn.init) ------------------------------------------------------

def _check_rng(rng):
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"rng must be a numpy Generator such as np.random.default_rng(0), got {rng!r}"
        )
    return rng


def fan_in_fan_out(shape):
    """``(fan_in, fan_out)`` of a weight array, as torch counts them.

    Linear ``(out_features, in_features)``: ``(in_features, out_features)``.
    Convolution ``(F, C, KH, KW)``: ``(C·KH·KW, F·KH·KW)`` — each output sums over C·KH·KW inputs.
    """
    shape = tuple(int(d) for d in shape)
    if len(shape) < 2 or min(shape) < 1:
        raise ValueError(f"a weight shape needs at least 2 positive dimensions, got {shape}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def he_normal(shape, rng):
    """He (Kaiming) normal init, torch's ``kaiming_normal_``: ``w ~ N(0, 2 / fan_in)``.

    ReLU zeroes half of its inputs on average, so doubling the variance keeps the size
    of the activations the same from layer to layer.
    """
    fan_in, _ = fan_in_fan_out(shape)
    return _check_rng(rng).normal(0.0, math.sqrt(2.0 / fan_in), size=tuple(shape))


def xavier_uniform(shape, rng, gain=1.0):
    """Xavier (Glorot) uniform init, torch's ``xavier_uniform_``: ``w ~ U(−a, a)``,
    ``a = gain·√(6 / (fan_in + fan_out))``.

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
    elif not callable(init):
        raise ValueError(f"init must be one of {sorted(_INITS)} or a function (shape, rng), got {init!r}")
    w = as_array(init(shape, rng), "initial weight")
    if w.shape != tuple(shape):
        raise ValueError(f"init returned shape {w.shape}, expected {tuple(shape)}")
    return w


# --- parameters and modules --------------------------------------------------------------

class Parameter:
    """A trainable array (torch's ``nn.Parameter``): ``.data`` holds the values, ``.grad``
    the accumulated ∂E/∂data (zeros at first, same shape).

    Both arrays stay the same objects for the parameter's life: ``backward`` adds into
    ``grad``, ``zero_grad`` and the optimisers write in place, ``load_state_dict`` copies
    into ``data``.
    """

    __slots__ = ("data", "grad")

    def __init__(self, data):
        self.data = np.array(as_array(data, "parameter data"), dtype=np.float64)  # a copy it owns
        self.grad = np.zeros_like(self.data)

    @property
    def shape(self):
        return self.data.shape

    @property
    def size(self):
        return self.data.size

    def __repr__(self):
        return f"Parameter(shape={self.data.shape})"


class Module:
    """Base class (torch's ``nn.Module``): parameters and sub-modules, by name.

    Assigning a ``Parameter`` or a ``Module`` to an attribute registers it under that
    name, in order — as in torch — so ``named_parameters()`` yields ``"weight"``,
    ``"bias"`` for a layer and ``"<index>.weight"`` … inside a ``Sequential``.
    Subclasses implement ``forward`` and ``backward``.
    """

    def __init__(self):
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_cache", None)

    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}.__init__ must call super().__init__() first")
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    # the contract
    def forward(self, *args):
        raise NotImplementedError(f"{type(self).__name__} has no forward")

    def backward(self, dout):
        raise NotImplementedError(f"{type(self).__name__} has no backward")

    def __call__(self, *args):
        return self.forward(*args)

    def _cached(self):
        if self._cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        return self._cache

    # parameters
    def named_parameters(self, prefix=""):
        """Yield ``(name, Parameter)``: this module's own first, then each sub-module's,
        named ``"<sub-module name>.<parameter name>"`` (torch's order and names)."""
        for name, p in self._parameters.items():
            yield prefix + name, p
        for name, m in self._modules.items():
            yield from m.named_parameters(prefix + name + ".")

    def parameters(self):
        """Yield every ``Parameter`` (pass this to an optimiser)."""
        for _, p in self.named_parameters():
            yield p

    def zero_grad(self):
        """Set every parameter's ``.grad`` to 0, in place (torch sets it to None; the
        effect on the next ``backward`` is the same)."""
        for p in self.parameters():
            p.grad[...] = 0.0

    def state_dict(self):
        """``{name: copy of data}`` for every parameter, torch's keys and shapes."""
        return {name: p.data.copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state_dict):
        """Copy ``state_dict``'s arrays into the parameters (in place); like torch's
        ``strict=True``, every key must match and every shape agree.

        Values may be numpy arrays, nested lists or CPU tensors (anything ``np.asarray``
        reads), e.g. ``{k: v.numpy() for k, v in torch_net.state_dict().items()}``.
        """
        if not hasattr(state_dict, "items"):
            raise ValueError(f"load_state_dict needs a dict of name → array, got {type(state_dict).__name__}")
        own = dict(self.named_parameters())
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        if missing or unexpected:
            parts = []
            if missing:
                parts.append(f"missing keys {missing}")
            if unexpected:
                parts.append(f"unexpected keys {unexpected}")
            raise ValueError(f"state_dict does not fit {type(self).__name__}: " + "; ".join(parts))
        arrays = {}
        for name, p in own.items():
            value = as_array(state_dict[name], f"state_dict[{name!r}]")
            if value.shape != p.data.shape:
                raise ValueError(
                    f"size mismatch for {name}: the state_dict has shape {value.shape}, "
                    f"the parameter has shape {p.data.shape}"
                )
            arrays[name] = value
        for name, value in arrays.items():  # all checked first: nothing half-loaded
            own[name].data[...] = value

    def extra_repr(self):
        return ""

    def __repr__(self):
        return f"{type(self).__name__}({self.extra_repr()})"


def _positive(value, name):
    return _check_int(value, name, 1)


def _pair_repr(p):
    return f"({p[0]}, {p[1]})"


# --- layers with parameters ---------------------------------------------------------------

class Conv2d(Module):
    """2-D convolution layer, ``torch.nn.Conv2d`` (``conv2d`` / ``conv2d_backward``).

    ``weight`` (out_channels, in_channels, KH, KW) from ``init(shape, rng)``
    (``"he_normal"`` by default, or ``"xavier_uniform"``, or a function); ``bias``
    (out_channels,), zeros at first, or None with ``bias=False``.

    Forward: ``net[r, q] = Σ_c a_pad[r, c] ⋆ W[q, c] (every S-th position) + b[q]``.
    Backward, for ``dout`` = δ = ∂E/∂net, adds into the ``.grad`` arrays::

        ∂E/∂W[q, c, m, n] = Σ_r Σ_u Σ_v δ[r, q, u, v] · a_pad[r, c, u·S + m, v·S + n]
        ∂E/∂b[q]          = Σ_r Σ_u Σ_v δ[r, q, u, v]

    and returns ∂E/∂a^(l−1): the full correlation of the stride-expanded δ with rot180(W),
    the padding border cropped.
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
        self.weight = Parameter(_init_weight(init, shape, rng))
        self.bias = Parameter(np.zeros(self.out_channels)) if bias else None

    def forward(self, x):
        x = as_array(x, "x", 4, "(N, C, H, W)")
        out = conv2d(x, self.weight.data, None if self.bias is None else self.bias.data,
                     self.stride, self.padding)
        self._cache = x
        return out

    def backward(self, dout):
        x = self._cached()
        dx, dw, db = conv2d_backward(dout, x, self.weight.data, self.stride, self.padding)
        self.weight.grad += dw
        if self.bias is not None:
            self.bias.grad += db
        return dx

    def extra_repr(self):
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={_pair_repr(self.kernel_size)}, "
                f"stride={_pair_repr(self.stride)}")
        if self.padding != (0, 0):  # torch's repr leaves out a zero padding too
            text += f", padding={_pair_repr(self.padding)}"
        return text + ("" if self.bias is not None else ", bias=False")


class Linear(Module):
    """Fully connected layer, ``torch.nn.Linear``: ``net = a · Wᵀ + b`` on (N, in_features).

    ``weight`` (out_features, in_features), ``bias`` (out_features,) or None.
    Backward, for ``dout`` = δ = ∂E/∂net (N, out_features), adds ``δᵀ · a`` (= Σ_r δ_r a_rᵀ)
    into ``weight.grad`` and ``Σ_r δ_r`` into ``bias.grad``; returns ``∂E/∂a = δ · W``.
    """

    def __init__(self, in_features, out_features, bias=True, *, rng, init="he_normal"):
        super().__init__()
        self.in_features = _positive(in_features, "in_features")
        self.out_features = _positive(out_features, "out_features")
        shape = (self.out_features, self.in_features)
        self.weight = Parameter(_init_weight(init, shape, rng))
        self.bias = Parameter(np.zeros(self.out_features)) if bias else None

    def forward(self, x):
        x = as_array(x, "x", 2, "(N, in_features)")
        out = dense(x, self.weight.data, None if self.bias is None else self.bias.data)
        self._cache = x
        return out

    def backward(self, dout):
        x = self._cached()
        dx, dw, db = dense_backward(dout, x, self.weight.data)
        self.weight.grad += dw
        if self.bias is not None:
            self.bias.grad += db
        return dx

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


# --- layers without parameters -------------------------------------------------------------

class _Pool(Module):
    _f = _fb = None

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        k = _check_kernel(kernel_size)
        # shapes.check_pool's checks and messages, on an input exactly one window large
        _, self.kernel_size, self.stride, self.padding, _ = check_pool(np.zeros((1, 1) + k), k, stride, padding)

    def forward(self, x):
        x = as_array(x, "x", 4, "(N, C, H, W)")
        out = type(self)._f(x, self.kernel_size, self.stride, self.padding)
        self._cache = x
        return out

    def backward(self, dout):
        return type(self)._fb(dout, self._cached(), self.kernel_size, self.stride, self.padding)

    def extra_repr(self):
        def show(p):
            return str(p[0]) if p[0] == p[1] else _pair_repr(p)
        return f"kernel_size={show(self.kernel_size)}, stride={show(self.stride)}, padding={show(self.padding)}"


class MaxPool2d(_Pool):
    """Max pooling, ``torch.nn.MaxPool2d`` (``max_pool2d``); ``stride`` defaults to ``kernel_size``.

    Backward: ``∂E/∂x[argmax of window (u, v)] += dout[u, v]``, 0 elsewhere (a tie goes to
    the first maximum in row-major order, as in torch). The argmax is found again from the
    cached input.
    """
    _f = staticmethod(max_pool2d)
    _fb = staticmethod(max_pool2d_backward)


class AvgPool2d(_Pool):
    """Average pooling, ``torch.nn.AvgPool2d`` (``avg_pool2d``, divisor K², padding counted);
    ``stride`` defaults to ``kernel_size``.

    Backward: every cell of window (u, v) gets ``dout[u, v] / K²``; overlaps add up.
    """
    _f = staticmethod(avg_pool2d)
    _fb = staticmethod(avg_pool2d_backward)


class _Activation(Module):
    _f = _fb = None

    def forward(self, x):
        x = as_array(x, "x")
        out = type(self)._f(x)
        self._cache = x
        return out

    def backward(self, dout):
        return type(self)._fb(dout, self._cached())


class ReLU(_Activation):
    """``torch.nn.ReLU``: ``a = max(0, net)``; backward ``dout ⊙ [net > 0]``."""
    _f = staticmethod(relu)
    _fb = staticmethod(relu_backward)


class Sigmoid(_Activation):
    """``torch.nn.Sigmoid``: ``a = σ(net) = 1 / (1 + e^(−net))``; backward ``dout ⊙ σ(net)(1 − σ(net))``."""
    _f = staticmethod(sigmoid)
    _fb = staticmethod(sigmoid_backward)


class Tanh(_Activation):
    """``torch.nn.Tanh``: ``a = tanh(net)``; backward ``dout ⊙ (1 − tanh(net)²)``."""
    _f = staticmethod(tanh)
    _fb = staticmethod(tanh_backward)


class Flatten(Module):
    """``torch.nn.Flatten()`` (start_dim=1): (N, C, H, W) → (N, C·H·W), row-major (光栅化);
    backward reshapes δ back to (N, C, H, W)."""

    def forward(self, x):
        x = as_array(x, "x")
        out = flatten(x)
        self._cache = x.shape
        return out

    def backward(self, dout):
        return flatten_backward(dout, self._cached())


# --- the container -------------------------------------------------------------------------

class Sequential(Module):
    """Modules applied one after the other, ``torch.nn.Sequential``.

    ``forward`` runs ``x ← module(x)`` for each module; ``backward`` runs
    ``dout ← module.backward(dout)`` in reverse order — the chain rule, one layer at a time.
    Module i is registered as ``"i"``, so parameters are named ``"0.weight"``, ``"3.bias"``…
    ``net[i]`` is a module, ``net[a:b]`` a ``Sequential`` of the same module objects.
    A ValueError raised inside says which module it came from.
    """

    def __init__(self, *modules):
        super().__init__()
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise ValueError(f"module {i} must be a cnnbook.nn Module, got {m!r}")
            setattr(self, str(i), m)

    def forward(self, x):
        for i, m in enumerate(self):
            try:
                x = m(x)
            except ValueError as err:
                raise ValueError(f"module {i} ({m!r}): {err}") from err
        return x

    def backward(self, dout):
        for i in reversed(range(len(self))):
            m = self[i]
            try:
                dout = m.backward(dout)
            except ValueError as err:
                raise ValueError(f"module {i} ({m!r}), backward: {err}") from err
        return dout

    def __getitem__(self, i):
        modules = list(self._modules.values())
        if isinstance(i, slice):
            return Sequential(*modules[i])
        return modules[i]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(list(self._modules.values()))

    def __repr__(self):
        inner = "".join(f"\n  ({name}): {m!r}" for name, m in self._modules.items())
        return f"Sequential({inner}\n)"


# --- the loss ----------------------------------------------------------------------------------

class CrossEntropyLoss(Module):
    """Softmax followed by cross-entropy, ``torch.nn.CrossEntropyLoss``.

    ``E = criterion(logits, targets)`` returns ``E = −(1/N) Σ_r log softmax(logits_r)[t_r]``
    (``reduction="mean"``; ``"sum"`` drops the 1/N), a float. ``targets``: class indices (N,)
    or class probabilities (N, M). ``backward(dout=1.0)`` returns
    ``dout · ∂E/∂logits = dout · (softmax(logits) − onehot(t)) / N``.
    """

    def __init__(self, reduction="mean"):
        super().__init__()
        if reduction not in ("mean", "sum"):
            raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
        self.reduction = reduction

    def forward(self, logits, targets):
        loss = softmax_cross_entropy(logits, targets, self.reduction)
        self._cache = (as_array(logits, "logits"), np.array(targets))
        return loss

    def backward(self, dout=1.0):
        """``dout · ∂E/∂logits``; ``dout`` = ∂(final objective)/∂E, 1 when E is the objective."""
        logits, targets = self._cached()
        return softmax_cross_entropy_backward(dout, logits, targets, self.reduction)

    def extra_repr(self):
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


# --- optimisers (torch.optim) ---------------------------------------------------------------

def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _hyper(value, name, low, high=math.inf, low_open=False, high_open=True):
    """A finite real hyper-parameter in [low, high) (or (low, …) with ``low_open``)."""
    if not _is_real(value) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    above = value > low if low_open else value >= low
    below = value < high if high_open else value <= high
    if not (above and below):
        left = "(" if low_open else "["
        right = ")" if high_open or high == math.inf else "]"
        top = "∞" if high == math.inf else f"{high:g}"
        raise ValueError(f"{name} must be in {left}{low:g}, {top}{right}, got {value!r}")
    return float(value)


def _check_params(params):
    if isinstance(params, Module):
        raise ValueError("an optimiser takes model.parameters(), not the model itself")
    if isinstance(params, Parameter):
        raise ValueError("an optimiser takes an iterable of Parameters (e.g. model.parameters()), "
                         "not a single Parameter; wrap it in a list")
    try:
        params = list(params)
    except TypeError:
        raise ValueError(f"an optimiser takes an iterable of Parameters, got {params!r}") from None
    if not params:
        raise ValueError("optimiser got an empty parameter list")
    for i, p in enumerate(params):
        if not isinstance(p, Parameter):
            raise ValueError(f"optimiser parameter {i} is not a cnnbook.nn Parameter, got {type(p).__name__}")
    return params


class _Optimizer:
    def __init__(self, params, lr):
        self.params = _check_params(params)
        self.lr = lr

    @property
    def lr(self):
        return self._lr

    @lr.setter
    def lr(self, value):
        self._lr = _hyper(value, "lr", 0.0, low_open=True)

    def zero_grad(self):
        """Set the ``.grad`` of every parameter of this optimiser to 0."""
        for p in self.params:
            p.grad[...] = 0.0


class SGD(_Optimizer):
    """Stochastic gradient descent, ``torch.optim.SGD(params, lr, momentum, weight_decay)``.

    Each ``step()`` does, for each parameter p with gradient ``p.grad``, in place::

        g ← p.grad + λ·p                   (λ = weight_decay: L2 penalty λ/2·‖p‖²)
        v ← g at the first step, then μ·v + g     (μ = momentum; skipped when μ = 0)
        p ← p − lr·v                       (lr·g without momentum)

    — torch's rule with dampening 0 and no Nesterov.
    """

    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0):
        super().__init__(params, lr)
        self.momentum = _hyper(momentum, "momentum", 0.0, 1.0)
        self.weight_decay = _hyper(weight_decay, "weight_decay", 0.0)
        self.velocity = [None] * len(self.params)

    def step(self):
        for i, p in enumerate(self.params):
            g = p.grad
            if self.weight_decay:
                g = g + self.weight_decay * p.data
            if self.momentum:
                if self.velocity[i] is None:
                    self.velocity[i] = np.array(g, dtype=np.float64)
                else:
                    self.velocity[i] *= self.momentum
                    self.velocity[i] += g
                g = self.velocity[i]
            p.data -= self.lr * g

    def __repr__(self):
        return f"SGD(lr={self.lr:g}, momentum={self.momentum:g}, weight_decay={self.weight_decay:g})"


class Adam(_Optimizer):
    """Adam (Kingma & Ba), ``torch.optim.Adam(params, lr, betas, eps, weight_decay)``.

    At step t = 1, 2, …, for each parameter p::

        g ← p.grad + λ·p                   (λ = weight_decay, added to the gradient as torch does)
        m ← β1·m + (1 − β1)·g              v ← β2·v + (1 − β2)·g²        (m, v start at 0)
        p ← p − lr · (m / (1 − β1^t)) / (√(v / (1 − β2^t)) + eps)

    On the first step m / (1 − β1) = g and √(v / (1 − β2)) = |g|: every entry moves by ≈ lr.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr)
        if isinstance(betas, (str, bytes)) or not hasattr(betas, "__len__") or len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (_hyper(betas[0], "beta1", 0.0, 1.0), _hyper(betas[1], "beta2", 0.0, 1.0))
        self.eps = _hyper(eps, "eps", 0.0, low_open=True)
        self.weight_decay = _hyper(weight_decay, "weight_decay", 0.0)
        self.t = 0
        self.m = [np.zeros_like(p.data) for p in self.params]
        self.v = [np.zeros_like(p.data) for p in self.params]

    def step(self):
        self.t += 1
        b1, b2 = self.betas
        c1, c2 = 1.0 - b1 ** self.t, 1.0 - b2 ** self.t
        for p, m, v in zip(self.params, self.m, self.v):
            g = p.grad
            if self.weight_decay:
                g = g + self.weight_decay * p.data
            m *= b1
            m += (1.0 - b1) * g
            v *= b2
            v += (1.0 - b2) * g * g
            p.data -= (self.lr / c1) * m / (np.sqrt(v) / math.sqrt(c2) + self.eps)

    def __repr__(self):
        return (f"Adam(lr={self.lr:g}, betas=({self.betas[0]:g}, {self.betas[1]:g}), eps={self.eps:g}, "
                f"weight_decay={self.weight_decay:g})")


# --- checking a module's backward -----------------------------------------------------------

def gradient_check(module, x, loss=None, targets=None, dout=None, seed=0):
    """``backward`` against central differences: ``{"x": (exact, numeric), "<name>": (exact, numeric), …}``.

    Without ``loss``: ``E = Σ dout ⊙ module(x)`` with ``dout`` random (from ``seed``) unless
    given, so ∂E/∂(output) = dout and ``module.backward(dout)`` must return ∂E/∂x and add
    ∂E/∂p into each ``.grad``. With ``loss`` (e.g. ``CrossEntropyLoss()``) and ``targets``:
    ``E = loss(module(x), targets)``, backward from ``loss.backward()`` — the whole
    network's check. Each entry pairs the gradient ``backward`` gives (∂E/∂x, or what it
    adds to a parameter's ``.grad``) with ``numerical_gradient``'s estimate (2 forward
    passes per entry); compare them with ``rel_error`` or ``report(…, "gradient")``.
    The parameters and their ``.grad`` are left as they were.
    """
    if not isinstance(module, Module):
        raise ValueError(f"gradient_check needs a cnnbook.nn Module, got {module!r}")
    if (loss is None) != (targets is None):
        raise ValueError("gradient_check takes loss and targets together (or neither)")
    x = as_array(x, "x")
    if loss is None:
        out = module(x)
        dout = np.random.default_rng(seed).normal(size=out.shape) if dout is None else dout

        def objective(v):
            return module(v)
    else:
        def objective(v):
            return loss(module(v), targets)
    params = dict(module.named_parameters())
    kept = {name: p.grad.copy() for name, p in params.items()}
    try:
        numeric = {"x": numerical_gradient(objective, x, dout)}
        for name, p in params.items():
            def with_p(v, p=p):
                saved = p.data.copy()
                p.data[...] = v
                try:
                    return objective(x)
                finally:
                    p.data[...] = saved
            numeric[name] = numerical_gradient(with_p, p.data.copy(), dout)
        module.zero_grad()
        objective(x)
        dx = module.backward(dout if loss is None else loss.backward())
        exact = {"x": dx, **{name: p.grad.copy() for name, p in params.items()}}
    finally:
        for name, p in params.items():
            p.grad[...] = kept[name]
    return {name: (exact[name], numeric[name]) for name in numeric}
