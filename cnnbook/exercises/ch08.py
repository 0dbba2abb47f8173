"""Chapter 8 — convolution as a matrix product: im2col and col2im."""
from __future__ import annotations

import numpy as np

from .. import col2im, conv_matrix, im2col, numerical_gradient, participation_counts
from ._core import Exercise, same_array, same_shape, whole

# Exercise 4's image: the notebook defines the same array as `G4`.
G4 = np.arange(1.0, 17.0).reshape(1, 1, 4, 4)


def _test_q1(answer):
    batch, channels, size, kernel, padding = 8, 3, 32, 5, 2
    rows, columns = im2col(np.zeros((batch, channels, size, size)), (kernel, kernel), 1, padding).shape
    if same_shape(answer, (rows, columns)):
        return True
    if same_shape(answer, (columns, rows)):
        return "Rows and columns are swapped: one row per (channel, kernel row, kernel column)"
    if same_shape(answer, (rows, columns // batch)):
        return "That is one image's X_col; the batch's images sit side by side as more columns"
    if same_shape(answer, (16 * rows, columns)):
        return "The filters are not in X_col: they are the rows of K, which multiplies it"
    if same_shape(answer, (rows, batch * 28 * 28)):
        return "That leaves out the padding: the output is (L − K + 2P)/S + 1 on each side"
    return False


# Exercise 2: an 8×8 input, a 5×5 kernel, stride 2, padding 2, pixel x[1, 5] — chosen so that
# forgetting the padding, counting from 1 and using padded coordinates all give other counts.
_Q2 = dict(L=8, K=5, S=2, P=2, i=1, j=5)


def _test_q2(answer):
    L, K, S, P, i, j = (_Q2[k] for k in ("L", "K", "S", "P", "i", "j"))
    value = whole(answer)
    if value is None:
        return "A number of copies is a whole number"
    counts = participation_counts((L, L), K, S, P)
    if value == counts[i, j]:
        return True
    if value == K * K:
        return "K² would hold for a pixel inside at stride 1; stride 2 skips every other window"
    if value == participation_counts((L, L), K, S, 0)[i, j]:
        return "That leaves out the padding: with P = 2 the windows start 2 rows and columns " \
               "before the image"
    if value == counts[i - 1, j - 1]:
        return "That is the count of x[0, 4]: the pixel is 0-based"
    if value == counts[i + P, j + P]:
        return "That looks up the padded coordinates in the unpadded image; the padded " \
               "coordinates are only for finding the windows"
    return False


def _test_q3(answer):
    value = whole(answer)
    if value is None:
        return "A number of pixels is a whole number"
    counts = participation_counts((4, 4), (2, 2))
    if value == np.sum(counts > 1):
        return True
    if value == np.sum(counts == 1):
        return "That counts the pixels that would come out right"
    if value == counts.size:
        return "The pixels in a single window have one copy only, and = of one copy is right"
    return False


def _test_q4(answer):
    c0 = np.zeros((4, 9))
    expected = numerical_gradient(lambda c: np.sum(col2im(c, G4.shape, (2, 2)) * G4), c0)
    if np.shape(answer) == expected.shape[::-1]:
        return "That is the transpose: ∂E/∂C has C's shape, one row per kernel entry"
    if np.shape(answer) != expected.shape:
        return f"∂E/∂C has the shape of C, (C·KH·KW, N·OH·OW) = {expected.shape}"
    if same_array(answer, expected, atol=1e-6):
        return True
    counts = participation_counts((4, 4), (2, 2))[None, None]
    if same_array(answer, im2col(G4 / counts, (2, 2)), atol=1e-6):
        return "That divides by the participation counts; E is linear in C and every entry of " \
               "C meets one pixel of G once"
    return False


def _test_q5(answer):
    value = whole(answer)
    if value is None:
        return "A number of entries is a whole number"
    expected = np.count_nonzero(conv_matrix(np.ones((3, 3)), (6, 6), 1, 1))
    if value == expected:
        return True
    if value == im2col(np.zeros((1, 1, 6, 6)), 3, 1, 1).size:
        return ("That counts every (window, kernel entry) pair, those on the padding ring too — "
                "the number of entries of X_col")
    if value == 6 * 6 * 6 * 6:
        return "That is the size of M; most of its entries are zero"
    if value == 4 * 4 * 9:
        return "That is the matrix without padding (16 windows); with padding 1 there are 36"
    return False


EXERCISES = [
    Exercise(
        key="ch08.q1",
        question="A layer receives a batch of $N = 8$ RGB images of 32×32 ($C = 3$) and has 16 filters "
                 "of 5×5, stride 1, padding 2. What is the shape of $X_{\\text{col}}$? Give a tuple "
                 "`(rows, columns)`.",
        test=_test_q1,
        hint="one row per entry of a window over all channels, one column per window of every "
             "image; the filters are not in X_col (§3)",
        solution="(75, 8192). Rows: C·KH·KW = 3·5·5 = 75. Output size (32 − 5 + 4)/1 + 1 = 32, so "
                 "columns: N·OH·OW = 8·32·32 = 8192. (K is 16×75, and K·X_col is 16×8192.)",
        answer=(75, 8192),
        wrong=(8192, 75),
    ),
    Exercise(
        key="ch08.q2",
        question="An 8×8 input, a 5×5 kernel, stride 2, padding 2. How many times is the pixel "
                 "`x[1, 5]` (0-based) copied into $X_{\\text{col}}$?",
        test=_test_q2,
        hint="one copy per window that covers the pixel; find the windows in padded coordinates, "
             "rows and columns separately (§5, participation counts)",
        solution="4. Padded, the pixel is at (3, 7). Windows start at 0, 2, 4, 6 and cover 5 rows: "
                 "row 3 is in the windows starting at 0 and 2, column 7 in those starting at 4 "
                 "and 6. 2 · 2 = 4 windows, so 4 copies "
                 "(cb.participation_counts((8, 8), 5, 2, 2)[1, 5]).",
        answer=4,
        wrong=25,
    ),
    Exercise(
        key="ch08.q3",
        question="In the worked example (4×4 input, 2×2 kernel, stride 1), suppose col2im *assigned* "
                 "each entry to its pixel (`=`) instead of adding it (`+=`). For a general δ and "
                 "kernel, how many of the 16 pixels of $\\partial E/\\partial x$ would come out wrong?",
        test=_test_q3,
        hint="assigning keeps only the last copy's contribution: which pixels have more than one "
             "copy? (§4 and §5)",
        solution="12. The counts are [[1,2,2,1],[2,4,4,2],[2,4,4,2],[1,2,2,1]]: only the four corners "
                 "are in a single window. The other 12 pixels are in 2 or 4 windows, and assigning "
                 "would keep one copy's gradient and drop the others.",
        answer=12,
        wrong=4,
    ),
    Exercise(
        key="ch08.q4",
        question="(The adjoint, the other way round.) Let $E = \\langle \\text{col2im}(C), G\\rangle = "
                 "\\sum$ `col2im(C, ...) * G` for the 4×4 grid's setting (2×2 kernel, stride 1) and the "
                 "image `G4` below. Compute $\\partial E/\\partial C$, a 4×9 matrix, with one `cnnbook` "
                 "call. (Hint: which map is the adjoint of col2im?)",
        test=_test_q4,
        hint="E is linear in C, so ∂E/∂C is the matrix D with E = ⟨C, D⟩; move col2im to the "
             "other side of the inner product — which map is its adjoint? (§5)",
        solution="cb.im2col(G4, (2, 2)), i.e. [[1,2,3,5,6,7,9,10,11], [2,3,4,6,7,8,10,11,12], "
                 "[5,6,7,9,10,11,13,14,15], [6,7,8,10,11,12,14,15,16]]. E is linear in C, "
                 "E = ⟨col2im(C), G⟩ = ⟨C, im2col(G)⟩, so its gradient is im2col(G): each entry of C "
                 "is multiplied by the pixel of G it is added to.",
        answer=im2col(G4, (2, 2)),
        wrong=im2col(G4, (2, 2)).T,
    ),
    Exercise(
        key="ch08.q5",
        question="Seed 004's matrix $M$ for a 6×6 input and a 3×3 kernel with stride 1 and "
                 "**padding 1**. How many non-zero entries does it have (take a kernel without zeros)? "
                 "Compare with the number of entries of $X_{\\text{col}}$ for the same layer.",
        test=_test_q5,
        hint="a non-zero of M is a (window, pixel inside the image) pair; padding cells have no "
             "column in M (§6)",
        solution="256. Row (i, j) of M holds one kernel entry for every pixel of window (i, j) that "
                 "lies inside the image: summed over the 36 windows that is Σ participation_counts = "
                 "4·4 (corners) + 16·6 (edges) + 16·9 (inside) = 256. X_col has 9·36 = 324 entries: the "
                 "68 more are the padding zeros it stores.",
        answer=256,
        wrong=324,
    ),
]


# --- ch08.implement: col2im, the adjoint of im2col ----------------------------------------

from .. import output_size as _output_size                                  # noqa: E402
from ._implement import Case, Implementation, Mistake, describe             # noqa: E402
from ._solutions import my_col2im, source                                   # noqa: E402

# (N, C, H, W, KH, KW, S, P): the chapter's 4×4 grid first, then overlaps, stride, padding,
# remainders, channels and a batch; then random ones.
_COL_SETTINGS = [(1, 1, 4, 4, 2, 2, 1, 0), (1, 1, 5, 5, 3, 3, 1, 0), (1, 1, 5, 4, 2, 3, 1, 0),
                 (1, 2, 4, 4, 2, 2, 1, 0), (2, 1, 4, 5, 2, 2, 1, 0), (1, 1, 6, 6, 2, 2, 2, 0),
                 (1, 1, 5, 5, 3, 3, 2, 1), (1, 1, 7, 6, 3, 2, 2, 0), (2, 3, 6, 5, 3, 3, 1, 1),
                 (2, 2, 7, 7, 3, 2, 3, 2)]


def _col_cases(rng):
    settings = list(_COL_SETTINGS)
    while len(settings) < 24:
        KH, KW = (int(k) for k in rng.integers(1, 4, size=2))
        H, W = (int(v) for v in rng.integers(max(KH, KW, 3), 8, size=2))
        settings.append((int(rng.integers(1, 3)), int(rng.integers(1, 4)), H, W, KH, KW,
                         int(rng.integers(1, 4)), int(rng.integers(0, 3))))
    cases = []
    for N, C, H, W, KH, KW, S, P in settings:
        OH, OW = _output_size(H, KH, S, P), _output_size(W, KW, S, P)
        cols = rng.normal(size=(C * KH * KW, N * OH * OW))
        cases.append(Case(describe(cols=cols, x_shape=(N, C, H, W), kernel_size=(KH, KW),
                                   stride=S, padding=P), (cols, (N, C, H, W), (KH, KW), S, P)))
    return cases


def _col_reference(cols, x_shape, kernel_size, stride, padding):
    return col2im(cols, x_shape, kernel_size, stride, padding)


def _col_route(cols, x_shape, kernel_size, stride, padding, *, add=True, crop=True,
               layout="cmn", divide=False):
    N, C, H, W = x_shape
    KH, KW = kernel_size
    OH, OW = _output_size(H, KH, stride, padding), _output_size(W, KW, stride, padding)
    if layout == "cmn":
        blocks = cols.reshape(C, KH, KW, N, OH, OW)
    else:                                          # rows read as (m, n, c)
        blocks = cols.reshape(KH, KW, C, N, OH, OW).transpose(2, 0, 1, 3, 4, 5)
    dx = np.zeros((N, C, H + 2 * padding, W + 2 * padding))
    for i in range(OH):
        for j in range(OW):
            window = blocks[:, :, :, :, i, j].transpose(3, 0, 1, 2)
            rows = slice(i * stride, i * stride + KH)
            cols_ = slice(j * stride, j * stride + KW)
            if add:
                dx[:, :, rows, cols_] += window
            else:
                dx[:, :, rows, cols_] = window
    if divide:
        counts = participation_counts((H, W), kernel_size, stride, padding)
        dx[:, :, padding:padding + H, padding:padding + W] /= np.maximum(counts, 1)
    return dx[:, :, padding:padding + H, padding:padding + W].copy() if crop else dx


def _col_numerical(cols, x_shape, kernel_size, stride, padding):
    """col2im(cols) is the gradient of x ↦ ⟨im2col(x), cols⟩ (that is what adjoint means)."""
    return (numerical_gradient(lambda v: np.array(np.sum(im2col(v, kernel_size, stride, padding)
                                                         * cols)), np.zeros(x_shape)),)


def _col(**switches):
    return lambda cols, x_shape, kernel_size, stride, padding: _col_route(
        cols, x_shape, kernel_size, stride, padding, **switches)


COL2IM_MISTAKES = (
    Mistake("divide_by_counts",
            "each pixel is divided by its participation count — that inverts im2col on its "
            "image, but the backward pass needs the adjoint, which adds the copies "
            "(chapter 8, §5).",
            _col(divide=True)),
    Mistake("assign_not_add",
            "the entries are assigned (=) instead of added (+=): a pixel copied into several "
            "columns keeps only the last copy's gradient (chapter 8, §4 and §5).",
            _col(add=False)),
    Mistake("no_crop",
            "the padding border was not cropped: the result must have x's shape, and the P "
            "outer rings are padding, not pixels (chapter 8, §4).",
            _col(crop=False)),
    Mistake("row_order",
            "the rows of X_col were read in (m, n, c) order; im2col orders them (c, m, n) — "
            "channel first, then kernel row and column (chapter 8, §3).",
            _col(layout="mnc")),
)

IMPLEMENTATIONS = [
    Implementation(
        key="ch08.implement",
        name="my_col2im",
        signature="my_col2im(cols, x_shape, kernel_size, stride, padding)",
        returns=("dx",),
        shapes={"dx": "x_shape"},
        cases=_col_cases,
        reference=_col_reference,
        mistakes=COL2IM_MISTAKES,
        question="Write col2im, the adjoint of cb.im2col with the same arguments and layout: cols "
                 "(C·KH·KW, N·OH·OW), rows ordered (c, m, n) and columns (r, u, v); x_shape = "
                 "(N, C, H, W); kernel_size = (KH, KW); int stride S and padding P. Return the "
                 "(N, C, H, W) array in which every entry of cols has been added to the pixel it "
                 "was copied from.",
        hint="reshape cols to (C, KH, KW, N, OH, OW), add window (u, v) into the padded map at "
             "rows u·S … u·S + KH − 1 (+=, windows overlap), then crop P (chapter 8, §3–§5)",
        solution=source(my_col2im),
        numerical=_col_numerical,
        seed=8,
    ),
]
