"""Where a gradient goes: the routes the explorers highlight when the reader points at a cell.

Pure bookkeeping, read off :mod:`cnnbook.derivation` (convolution) and the pooling
state (whose argmax comes from ``max_pool2d_backward``); the tests check them against
``conv2d_backward`` and ``max_pool2d_backward`` on one-hot δ. Indices are 0-based;
``(i, j)`` an input cell, ``(u, v)`` an output / δ cell, ``(m, n)`` a kernel tap.
"""
from __future__ import annotations

from ..derivation import forward_terms, input_gradient_terms

__all__ = ["conv_routes", "pool_routes", "sum_text"]


def conv_routes(n, kernel, stride=1, padding=0):
    """The routes of one K×K kernel over an L×L input (L = ``n``), stride S, padding P.

    Returns ``{"delta": {(u, v): [((i, j), (m, n)), ...]},
    "input": {(i, j): [((u, v), (m, n)), ...]}}``: δ_uv reaches x_ij through w_mn
    (the window of net_uv puts tap (m, n) on x_ij; padding cells are left out), and
    ∂E/∂x_ij = Σ δ_uv·w_mn over the pairs of ``input[(i, j)]`` (an empty list: no
    window reads x_ij). Both come from :mod:`cnnbook.derivation`.
    """
    shape, ksize = (n, n), (kernel, kernel)
    delta = {rc: [(ij, uv) for uv, ij in pairs]
             for rc, pairs in forward_terms(shape, ksize, stride, padding).items()}
    return {"delta": delta, "input": input_gradient_terms(shape, ksize, stride, padding)}


def _num(v):
    v = float(v)
    text = str(int(v)) if v.is_integer() else f"{v:.3g}"
    return text.replace("-", "−")


def sum_text(name, pairs, delta, w, delta_name="δ", w_name="w"):
    """``∂E/∂x_ij = δ_uv·w_mn + … = (2)(−1) + … = −3``: one input cell's gradient, written out.

    ``pairs`` as in ``conv_routes(...)["input"][(i, j)]``; ``delta`` and ``w`` the arrays
    (indexed by (u, v) and (m, n)). Indices in the text are 0-based, as the cell ids.
    """
    if not pairs:
        return f"∂E/∂{name} = 0: no window reads {name}"
    symbols = " + ".join(f"{delta_name}[{u},{v}]·{w_name}[{m},{n}]" for (u, v), (m, n) in pairs)
    numbers = " + ".join(f"({_num(delta[u, v])})({_num(w[m, n])})" for (u, v), (m, n) in pairs)
    value = sum(float(delta[u, v]) * float(w[m, n]) for (u, v), (m, n) in pairs)
    return f"∂E/∂{name} = {symbols}\n   = {numbers} = {_num(value)}"


def pool_routes(state):
    """The routes of a pooling state (``cnnbook.widgets.pooling_state``).

    ``{"window": {(u, v): [(i, j), ...]}`` the input cells of window (u, v) (padding
    left out); ``"lands": {(u, v): [(i, j), ...]}`` where δ_uv lands — its argmax
    (max) or every cell of its window (mean); ``"input": {(i, j): [(u, v), ...]}``
    the windows that send δ into input cell (i, j)}``.
    """
    if not state.get("possible"):
        return {"window": {}, "lands": {}, "input": {}}
    n, k, p, O = state["n"], state["window"], state["padding"], state["output_size"]
    window, lands, into = {}, {}, {}
    for idx, (r0, c0) in enumerate(state["windows"]):
        u, v = divmod(idx, O)
        cells = [(r - p, c - p) for r in range(r0, r0 + k) for c in range(c0, c0 + k)
                 if 0 <= r - p < n and 0 <= c - p < n]
        window[(u, v)] = cells
        if state["mode"] == "max":
            lands[(u, v)] = [tuple(int(a) for a in state["argmax"][u, v])]
        else:
            lands[(u, v)] = list(cells)
        for cell in lands[(u, v)]:
            into.setdefault(cell, []).append((u, v))
    return {"window": window, "lands": lands, "input": into}
