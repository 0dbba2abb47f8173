"""The digit explorer of chapter 10: a test digit, what the network says, and ∂E/∂x.

``digit_state`` runs a trained model on one test image: the logits, the softmax
probabilities, the predicted class, and the input's sensitivity map ∂E/∂x for
``E = −log p(target)`` — the target being the true label, or any class the reader
picks ("what would make this look more like a 3?"). The gradient comes from
``cnnbook.training.input_gradient`` (forward, the loss's δ, ``model.backward``), the
probabilities from ``cnnbook.softmax``: nothing is recomputed here.
"""
from __future__ import annotations

import numbers

import numpy as np

from .. import softmax, softmax_cross_entropy, viz
from ..shapes import _check_int
from ..training import input_gradient
from .base import Explorer

__all__ = ["digit_state", "DigitExplorer", "TRUE_LABEL"]

#: The target choice meaning "the image's own label".
TRUE_LABEL = "true label"


def _test_set(data):
    try:
        x, y = data.x_test, data.y_test
    except AttributeError:
        raise ValueError(f"data must be a cnnbook.data.Dataset (x_test, y_test), got {type(data).__name__}") from None
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim != 4 or y.ndim != 1 or len(x) != len(y) or len(x) == 0:
        raise ValueError(f"data must hold test images (N, C, H, W) and N labels, got shapes {x.shape} and {y.shape}")
    return x, y


def _percent(p):
    """A probability for the reader: ``99.8 %``, ``0.03 %``, ``< 0.01 %``."""
    pct = 100.0 * float(p)
    if pct >= 99.95 and p < 1.0:
        return "> 99.9 %"
    if pct >= 1.0:
        return f"{pct:.1f} %"
    if pct >= 0.01:
        return f"{pct:.2f} %"
    return "< 0.01 %"


def _class(target, classes):
    """The target class: None / ``TRUE_LABEL`` → None (the true label), else an int 0 … K−1."""
    if target is None or (isinstance(target, str) and target == TRUE_LABEL):
        return None
    if isinstance(target, (bool, np.bool_)) or not isinstance(target, numbers.Integral):
        raise ValueError(f"target must be {TRUE_LABEL!r}, None or a class 0 … {classes - 1}, got {target!r}")
    if not 0 <= int(target) < classes:
        raise ValueError(f"target class {int(target)} is out of range: the network has {classes} classes (0 … {classes - 1})")
    return int(target)


def digit_state(model, data, index, target=None):
    """Everything the digit picture shows, for test image ``index`` of ``data``.

    ``model`` is a trained network (``Sequential``) giving M logits; ``data`` a
    ``cnnbook.data.Dataset`` (its test part is used); ``target`` None or
    ``"true label"`` for the image's own label, or a class 0 … M−1. Pure apart from
    the layers' caches, which any forward pass overwrites (the parameters and their
    ``.grad`` are left as they were: ``training.input_gradient`` restores the gradients). The returned dict holds:

    * ``index``, ``count`` (the number of test images), ``image`` (H×W, the first channel),
      ``label`` (the true class);
    * ``logits`` (K,), ``probabilities`` (K,) = softmax(logits), ``predicted`` (argmax),
      ``correct`` (predicted == label), ``runner_up`` (the second most likely class);
    * ``target`` (the class of E), ``target_is_label`` (True when it is the true label),
      ``loss`` E = −log p(target);
    * ``gradient`` (H×W): ∂E/∂x, exactly ``input_gradient(model, x, [target])``;
      ``largest`` = (row, col) of the largest |∂E/∂x| and ``max_abs`` its size;
    * ``message``: the prediction, and how to read the sensitivity map for this target.

    A bad ``index`` (not 0 … count−1) or ``target`` raises ValueError; the explorer's
    controls cannot reach either.
    """
    x, y = _test_set(data)
    count = len(x)
    index = _check_int(index, "index", 0)
    if index >= count:
        raise ValueError(f"index {index} is out of range: the test set has {count} images (0 … {count - 1})")
    image = x[index:index + 1].astype(np.float64)
    label = int(y[index])
    logits = np.asarray(model.forward(image), dtype=np.float64)[0]
    classes = logits.shape[0]
    chosen = _class(target, classes)
    tgt = label if chosen is None else chosen
    probs = softmax(logits[None])[0]
    order = np.argsort(-probs, kind="stable")
    predicted, runner_up = int(order[0]), int(order[1]) if classes > 1 else int(order[0])
    loss = softmax_cross_entropy(logits[None], np.array([tgt]))
    gradient = input_gradient(model, image, np.array([tgt]))[0, 0]
    largest = tuple(int(v) for v in np.unravel_index(np.argmax(np.abs(gradient)), gradient.shape))
    state = {
        "index": index, "count": count, "image": image[0, 0], "label": label,
        "logits": logits, "probabilities": probs, "predicted": predicted,
        "correct": predicted == label, "runner_up": runner_up,
        "target": tgt, "target_is_label": tgt == label, "loss": loss,
        "gradient": gradient, "largest": largest, "max_abs": float(np.abs(gradient).max()),
    }
    state["message"] = _message(state)
    return state


def _message(state):
    i, n, label, pred, p = (state["index"], state["count"], state["label"], state["predicted"],
                            state["probabilities"])
    t, loss = state["target"], state["loss"]
    first = f"Test digit {i} of {n} is a {label}. The network says {pred} ({_percent(p[pred])})"
    if state["correct"]:
        second = state["runner_up"]
        first += f": right; next most likely {second} ({_percent(p[second])})."
    else:
        first += f": wrong; the true label {label} gets {_percent(p[label])}."
    why = "its true label" if state["target_is_label"] else f"class {t}, not its label {label}"
    r, c = state["largest"]
    second = (f"∂E/∂x for E = −log p({t}) = {loss:.3g} ({why}): blue pixels (∂E/∂x < 0) are where "
              f"more ink would make it look more like a {t}, red ones where more ink would make "
              f"it look less like one. The largest |∂E/∂x| is {state['max_abs']:.2g}, at pixel "
              f"({r}, {c}).")
    if p[t] > 0.99:
        second += (f" The network is already sure of {t} (p = {_percent(p[t])}), so δ = p − one_hot "
                   f"is nearly 0 and the map is faint: pick another target to see more.")
    return first + " " + second


class DigitExplorer(Explorer):
    """Pick a test digit and a target class; see the prediction and ∂E/∂x.

    Chapter 10. ``DigitExplorer(model, data, index=0, target="true label")`` with a
    trained model and a ``Dataset``. Three panels: the digit, the bar chart of the ten
    probabilities (the true label and the target named under their bars), and the
    sensitivity map ∂E/∂x (blue: more ink here makes the target more likely; red: less
    likely), with the digit's outline drawn over it.
    """

    figsize = (9.6, 3.3)

    def __init__(self, model, data, index=0, target=TRUE_LABEL):
        x, _ = _test_set(data)
        self.model, self.data = model, data
        classes = int(np.asarray(model.forward(x[:1])).shape[1])
        self.controls = {
            "index": (0, len(x) - 1, "test digit"),
            "target": ((TRUE_LABEL, *range(classes)), "target class of E"),
        }
        if target is None:
            target = TRUE_LABEL
        super().__init__(index=index, target=target)
        self.target.style.button_width = "4.2em"

    def compute(self, index, target):
        return digit_state(self.model, self.data, index, target)

    def draw(self, fig, state):
        axes = fig.subplots(1, 3, width_ratios=[1.0, 1.5, 1.2])
        image, label, pred = state["image"], state["label"], state["predicted"]
        ax = axes[0]
        ax.imshow(image, cmap="gray_r", vmin=0.0, vmax=1.0, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"test digit {state['index']}: a {label}", fontsize=11)

        ax = axes[1]
        p = state["probabilities"]
        classes = np.arange(len(p))
        colours = [viz.role_colour("output") if k == pred else viz.tint("output", 0.45)
                   for k in classes]
        ax.bar(classes, p, color=colours, edgecolor=viz.role_colour("output"))
        t = state["target"]
        ax.bar([t], [p[t]], fill=False, edgecolor=viz.role_colour("delta"), linewidth=2)
        for k in classes:
            if p[k] >= 0.01:
                ax.text(k, p[k] + 0.02, f"{p[k]:.2f}", ha="center", va="bottom", fontsize=8)
        names = [str(k) for k in classes]
        names[label] += "\ntrue"
        if not state["target_is_label"]:
            names[t] += "\ntarget"
        ax.set_xticks(classes, names, fontsize=9)
        ax.set_ylim(0, 1.12)
        ax.set_yticks([0, 0.5, 1])
        ax.spines[["top", "right"]].set_visible(False)
        verdict = "right" if state["correct"] else "wrong"
        ax.set_title(f"softmax: predicted {pred} ({verdict})", fontsize=11)

        ax = axes[2]
        viz.heatmap(state["gradient"], "delta", ax=ax, annotate=False, colorbar=True,
                    title=f"∂E/∂x,  E = −log p({t})")
        ax.contour(image, levels=[0.5], colors="#444444", linewidths=0.8)
