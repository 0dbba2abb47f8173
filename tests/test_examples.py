"""The seeds' examples have the shapes and facts the chapters rely on."""
import numpy as np

from cnnbook import examples


def test_lenet5_c3_table_has_the_papers_60_connections():
    t = examples.lenet5_c3_table()
    assert t.shape == (6, 16) and set(np.unique(t)) == {0, 1}
    assert t.sum() == 60
    assert list(t.sum(axis=0)) == [3] * 6 + [4] * 9 + [6]
    # trainable parameters of C3 with 5×5 kernels: Σ_j (inputs_j · 25 + 1)
    assert int((t.sum(axis=0) * 25 + 1).sum()) == 1516
    assert list(np.flatnonzero(t[:, 0])) == [0, 1, 2]
    assert list(np.flatnonzero(t[:, 14])) == [0, 2, 3, 5]


def test_examples_are_fresh_arrays_of_the_documented_shapes():
    a, b = examples.seed002_network(), examples.seed002_network()
    shapes = {k: v.shape for k, v in a.items()}
    assert shapes == {"x": (1, 3), "w1": (4, 3), "b1": (4,), "w2": (2, 4), "b2": (2,), "y": (1, 2)}
    a["w1"][0, 0] = 99.0
    assert b["w1"][0, 0] == 0.1
