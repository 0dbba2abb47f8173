"""The drawing helpers of chapters 9 and 10 (cnnbook.viz): they draw what they are given,
on the colour scales their docstrings promise, and refuse input they cannot draw."""
import numpy as np
import pytest

from cnnbook import viz
from cnnbook.training import History

PNG = b"\x89PNG\r\n\x1a\n"


def _images(fig):
    return [im for ax in fig.axes for im in ax.get_images()]


def test_input_gradients_share_one_symmetric_scale_and_a_colourbar(rng):
    images = [rng.random((8, 8)) for _ in range(3)]
    grads = [rng.normal(scale=s, size=(8, 8)) for s in (1e-4, 0.5, 3.0)]   # faint and strong maps
    fig = viz.input_gradients(images, grads, ["a", "b", "c"], title="t")
    maps = [im for im in _images(fig) if im.get_cmap().name == viz.DELTA_CMAP]
    assert len(maps) == 3
    limits = {(im.norm.vmin, im.norm.vmax) for im in maps}
    assert len(limits) == 1                                   # one scale for every panel
    (lo, hi), = limits
    assert lo == -hi == -max(np.abs(g).max() for g in grads)  # symmetric around 0
    assert len(fig.axes) == 2 * 3 + 1                          # the panels and one colourbar
    assert viz.figure_png(fig).startswith(PNG)
    with pytest.raises(ValueError, match="as many gradients as images"):
        viz.input_gradients(images, grads[:2])


def test_kernel_grid_one_scale_for_all_kernels(rng):
    w = rng.normal(size=(5, 1, 3, 3))
    fig = viz.kernel_grid(w, ncols=4)
    norms = {(im.norm.vmin, im.norm.vmax) for im in _images(fig)}
    assert norms == {(-np.abs(w).max(), np.abs(w).max())} and len(_images(fig)) == 5
    with pytest.raises(ValueError, match=r"shape \(F, C, KH, KW\)"):
        viz.kernel_grid(w[:, 0])


def test_learning_curves_draw_training_and_validation():
    h = History(loss=[1.0, 0.5], train_accuracy=[0.5, 0.8], val_loss=[0.9, 0.6], val_accuracy=[0.6, 0.7])
    fig = viz.learning_curves(h)
    loss_ax, acc_ax = fig.axes
    assert [list(line.get_ydata()) for line in loss_ax.get_lines()] == [[1.0, 0.5], [0.9, 0.6]]
    assert [list(line.get_ydata()) for line in acc_ax.get_lines()] == [[0.5, 0.8], [0.6, 0.7]]
    no_val = viz.learning_curves(History(loss=[1.0], train_accuracy=[0.5]))
    assert len(no_val.axes[0].get_lines()) == 1


def test_confusion_digits_feature_maps_walk_seeds_and_shapes(rng):
    c = np.diag([3, 4, 5])
    c[0, 1] = 1
    assert viz.figure_png(viz.confusion(c, title="c")).startswith(PNG)
    with pytest.raises(ValueError, match="square"):
        viz.confusion(np.ones((2, 3)))
    fig = viz.digit_grid([rng.random((8, 8)) for _ in range(7)], [str(k) for k in range(7)], ncols=3)
    assert len(_images(fig)) == 7 and len(fig.axes) == 9       # two empty places switched off
    with pytest.raises(ValueError, match="at least one image"):
        viz.digit_grid([])
    maps = rng.random((8, 4, 4))
    fig = viz.feature_maps(rng.random((8, 8)), [("a", maps), ("b", maps * 2)], count=4)
    assert len(_images(fig)) == 2 * 4 + 1
    before = rng.random((8, 8))
    fig = viz.pixel_walk(before, before + 0.1)
    assert np.allclose(_images(fig)[1].get_array(), 0.1)
    fig = viz.seed_accuracies([0.98, 0.99, 0.985], [0, 1, 2])
    assert list(fig.axes[0].get_lines()[-1].get_ydata()) == [0.98, 0.99, 0.985]
    fig = viz.network_shapes([(1, 8, 8), (2, 4, 4), (32,)], ["conv", "flatten"], [(0, 1, "block")])
    assert viz.figure_png(fig).startswith(PNG)
    with pytest.raises(ValueError, match="3 stages need 2 arrow labels, got 1"):
        viz.network_shapes([(1, 8, 8), (2, 4, 4), (32,)], ["conv"])
