"""The routes the explorers highlight, checked against cnnbook's own backward passes.

A δ that is one at (u, v) and zero elsewhere, sent back through conv2d_backward, is
nonzero exactly on the input cells the route of δ_uv names, with the weight the
route names; through max_pool2d_backward it lands on the route's argmax cell.
"""
import itertools

import numpy as np
import pytest

import cnnbook as cb
from cnnbook.widgets import (
    DepthExplorer, FootprintExplorer, PoolingExplorer, StrideExplorer, footprint_state,
    pooling_state, stride_state,
)
from cnnbook.widgets.routes import conv_routes, pool_routes, sum_text

SETTINGS = [(L, K, S, P) for L, K, S, P in itertools.product((3, 4, 5), (1, 2, 3), (1, 2, 3), (0, 1))
            if K <= L + 2 * P]


@pytest.mark.parametrize("L, K, S, P", SETTINGS)
def test_conv_routes_match_conv2d_backward_on_one_hot_delta(L, K, S, P):
    routes = conv_routes(L, K, S, P)
    rng = np.random.default_rng(L * 100 + K * 10 + S + P)
    w = rng.choice([-2.0, -1.0, 1.0, 2.0], size=(1, 1, K, K))
    x = np.zeros((1, 1, L, L))
    O = cb.output_size(L, K, S, P)
    assert set(routes["delta"]) == {(u, v) for u in range(O) for v in range(O)}
    for (u, v), pairs in routes["delta"].items():
        one = np.zeros((1, 1, O, O))
        one[0, 0, u, v] = 1.0
        dx = cb.conv2d_backward(one, x, w, S, P)[0][0, 0]
        expected = np.zeros((L, L))
        for (i, j), (m, n) in pairs:
            expected[i, j] += w[0, 0, m, n]
        np.testing.assert_array_equal(dx, expected)
    delta = rng.choice([-3.0, -1.0, 2.0], size=(1, 1, O, O))
    dx = cb.conv2d_backward(delta, x, w, S, P)[0][0, 0]
    for (i, j), pairs in routes["input"].items():
        assert sum(delta[0, 0, u, v] * w[0, 0, m, n] for (u, v), (m, n) in pairs) == dx[i, j]


def test_sum_text_writes_the_numbers():
    delta, w = np.array([[2.0, -1.0]]), np.array([[3.0, 1.0]])
    text = sum_text("x[0,0]", [((0, 0), (0, 1)), ((0, 1), (0, 0))], delta, w)
    assert text == "∂E/∂x[0,0] = δ[0,0]·w[0,1] + δ[0,1]·w[0,0]\n   = (2)(1) + (−1)(3) = −1"
    assert sum_text("x[2,2]", [], delta, w) == "∂E/∂x[2,2] = 0: no window reads x[2,2]"


@pytest.mark.parametrize("mode", ["max", "mean"])
@pytest.mark.parametrize("n, k, s, p", [(4, 2, 2, 0), (5, 3, 2, 1), (6, 3, 1, 1), (5, 2, 3, 0)])
def test_pool_routes_match_the_backward_functions(mode, n, k, s, p):
    state = pooling_state(mode, n, k, s, p)
    routes = state["routes"]
    X = state["x"][None, None]
    O = state["output_size"]
    backward = cb.max_pool2d_backward if mode == "max" else cb.avg_pool2d_backward
    for (u, v), lands in routes["lands"].items():
        one = np.zeros((1, 1, O, O))
        one[0, 0, u, v] = 1.0
        hit = backward(one, X, k, s, p)[0, 0]
        assert sorted(map(tuple, np.argwhere(hit != 0))) == sorted(lands)
        assert set(lands) <= set(routes["window"][(u, v)])
    for (i, j), windows in routes["input"].items():
        assert state["counts"][i, j] == len(windows)
    assert pool_routes({})["input"] == {}


def _ids(view):
    return {item[11] for ax in view.view.scene["axes"] for item in ax["items"]
            if item[0] == "r" and item[11]}


@pytest.mark.parametrize("make", [
    lambda: FootprintExplorer(n=5, kernel=3, stride=2, padding=1),
    lambda: StrideExplorer(n=6, kernel=3, stride=2, padding=1),
    lambda: DepthExplorer(stride=2, padding=1),
    lambda: PoolingExplorer(mode="max", n=5, window=3, stride=2, padding=1),
    lambda: PoolingExplorer(mode="mean", n=4, window=2, stride=1, padding=1),
])
def test_every_routed_cell_is_drawn_with_its_id(make):
    view = make()
    routes, ids = view.view.routes, _ids(view)
    assert routes and set(routes) <= ids
    assert {g for r in routes.values() for g in r["on"]} <= ids


def test_footprint_route_of_an_input_cell_is_its_gradient_sum():
    view = FootprintExplorer(n=4, kernel=2, stride=1)
    state = view.state
    route = view.view.routes["x:1,1"]
    assert sorted(route["on"]) == sorted(["d:0,0", "d:0,1", "d:1,0", "d:1,1",
                                          "w:0,0", "w:0,1", "w:1,0", "w:1,1"])
    assert route["text"].endswith(f"= {int(state['dx'][1, 1])}".replace("-", "−"))
    assert footprint_state(4, 2)["routes"]["input"][(1, 1)] == state["routes"]["input"][(1, 1)]


def test_stride_route_of_a_delta_cell_follows_the_expansion():
    view = StrideExplorer(n=5, kernel=3, stride=2, padding=1)
    on = view.view.routes["d:1,1"]["on"]
    assert "e:2,2" in on and "pd:2,2" in on            # δ[1,1] sits at (1·S, 1·S)
    reached = {g for g in on if g.startswith("x:")}
    state = stride_state(5, 3, 2, 1)
    assert reached == {f"x:{i},{j}" for (i, j), _ in state["routes"]["delta"][(1, 1)]}


def test_depth_route_sums_over_filters():
    view = DepthExplorer(filters=3, stride=1, padding=0)
    text = view.view.routes["x:2,2"]["text"]
    total = view.state["total"][2, 2]
    assert text.splitlines()[0].endswith(f"= {total:g}".replace("-", "−"))
    assert all(f"p{f}:2,2" in view.view.routes["x:2,2"]["on"] for f in range(3))


def test_a_selection_that_no_longer_exists_is_dropped():
    view = FootprintExplorer(n=6, kernel=2)
    view.view.selected = "x:5,5"
    view.update(n=3)
    assert view.view.selected == ""
