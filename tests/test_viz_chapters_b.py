"""The drawing helpers of chapters 5–8 (the block at the end of cnnbook/viz.py)."""
import numpy as np
import pytest
from matplotlib import colormaps

from cnnbook import expand_sensitivity, viz


@pytest.mark.parametrize("size, stride", [(5, 2), (4, 2), (7, 3), (3, 1)])
def test_skipped_mask_is_where_expand_sensitivity_inserts_zeros(size, stride):
    out = (size - 1) // stride + 1
    delta = np.arange(1.0, out * out + 1).reshape(out, out)      # no zeros of its own
    expanded = expand_sensitivity(delta, stride, size)
    np.testing.assert_array_equal(viz.skipped_mask(size, stride), expanded == 0)


def test_skipped_mask_stride_one_skips_nothing_and_bad_input_is_named():
    assert not viz.skipped_mask(4, 1).any()
    with pytest.raises(ValueError, match="stride 0"):
        viz.skipped_mask(4, 0)


def test_shared_delta_faces_put_maps_on_one_scale():
    small, large = np.array([[1.0, -1.0]]), np.array([[4.0, -4.0]])
    cmap = colormaps[viz.DELTA_CMAP]
    faces_small = viz.shared_delta_faces(small, 4.0)
    faces_large = viz.shared_delta_faces(large, 4.0)
    assert faces_large[0][0] == cmap(1.0) and faces_large[0][1] == cmap(0.0)
    assert faces_small[0][0] == cmap(0.625)            # 1 on −4 … 4 is 5/8 of the way
    assert faces_small[0][0] != faces_large[0][0]


def test_shared_delta_faces_leave_the_ring_to_draw_matrix():
    faces = viz.shared_delta_faces(np.ones((4, 4)), 1.0, ring=1)
    assert faces[0][0] is None and faces[3][2] is None and faces[1][1] is not None
    fig = viz.draw_matrix(np.ones((4, 4)), "delta", padding=1, faces=faces)
    assert fig.axes[0].patches[0].get_facecolor()[:3] == pytest.approx(
        (0xD9 / 255,) * 3)                              # the grey padding colour


def test_shared_delta_faces_refuses_a_zero_scale():
    with pytest.raises(ValueError, match="vmax must be positive, got 0"):
        viz.shared_delta_faces(np.zeros((2, 2)), 0)


def test_blank_cells_hides_exactly_the_mask():
    text = viz.blank_cells([[1.0, 0.0], [2.5, 0.0]], [[False, True], [False, True]])
    assert text.tolist() == [["1", ""], ["2.5", ""]]
    with pytest.raises(ValueError, match="differ in shape"):
        viz.blank_cells(np.ones((2, 2)), np.ones((3, 3), dtype=bool))


def test_filled_faces_tints_the_ones_only():
    faces = viz.filled_faces([[1, 0], [0, 1]], "kernel")
    assert faces[0][1] == faces[1][0] == "white"
    assert faces[0][0] == faces[1][1] == viz.tint("kernel", 0.7)


def test_the_helpers_are_exported():
    for name in ("skipped_mask", "shared_delta_faces", "blank_cells", "filled_faces"):
        assert name in viz.__all__
