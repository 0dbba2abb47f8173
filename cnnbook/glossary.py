"""The course glossary: English term, Chinese term, symbol, meaning, chapter.

The sources of the course are Chinese; the course is in English. Each chapter gives
the Chinese term in brackets beside the English one the first time the term appears
in that chapter, always the same pair — "sensitivity map (敏感度图)", "stride (步长)" —
and the notation of the sources (δ, net, a, W, rot180). This module is the single
list of those pairs. ``notebooks/00_start_here.ipynb`` shows it as a table, and
``tests/test_glossary.py`` checks every chapter against it.

Where the sources disagree, the glossary picks one term and says so in the meaning:
the seeds write 均值池化 for mean pooling (not 平均池化), 加权输入 for the weighted
input net, 旋转180度 for rot180, and both 光栅化 (seed 003) and 展平 (seed 004) for
flatten; the course uses 光栅化. A few terms have no Chinese the seeds use: their
Chinese field is empty (im2col, softmax) or keeps the seeds' mixed form (valid模式).

>>> from cnnbook.glossary import GLOSSARY, glossary_table
>>> [t.chinese for t in GLOSSARY if t.english == "sensitivity map"]
['敏感度图']
>>> glossary_table().splitlines()[0]
'| English | 中文 | symbol | meaning | chapter |'
"""
from __future__ import annotations

import re
from typing import NamedTuple

__all__ = [
    "Term", "GLOSSARY", "CHAPTER_NOTEBOOKS", "glossary_table",
    "Symbol", "NOTATION", "SOURCE_LETTERS", "notation_table",
]

#: The chapter notebooks (in notebooks/), by chapter number.
CHAPTER_NOTEBOOKS = {
    1: "01_from_mlp_to_cnn.ipynb",
    2: "02_fc_backprop.ipynb",
    3: "03_convolution_forward.ipynb",
    4: "04_conv_backward.ipynb",
    5: "05_stride_expansion.ipynb",
    6: "06_depth_and_filters.ipynb",
    7: "07_pooling_backward.ipynb",
    8: "08_im2col.ipynb",
    9: "09_layers_and_network.ipynb",
    10: "10_handwritten_digits.ipynb",
    11: "11_errata.ipynb",
    12: "12_transposed_convolution.ipynb",
}


class Term(NamedTuple):
    """One glossary entry.

    ``english`` is the term as the table shows it; ``forms`` are the English words
    that count as the term in a chapter's text (default: ``english`` split at " / ",
    without any part in brackets). ``chinese`` is empty when the seeds have no
    Chinese term. ``chapter`` is where the course introduces the term.
    """

    english: str
    chinese: str
    symbol: str
    meaning: str
    chapter: int
    forms: tuple = ()

    @property
    def words(self):
        """The English forms that stand for this term in prose (lower case)."""
        if self.forms:
            return tuple(f.lower() for f in self.forms)
        bare = re.sub(r"\s*\([^)]*\)", "", self.english)
        return tuple(part.strip().lower() for part in bare.split(" / "))


GLOSSARY = (
    # chapter 1: from the MLP to the CNN
    Term("convolutional neural network (CNN)", "卷积神经网络", "",
         "a network of convolution (local, shared weights) and pooling layers, then fully "
         "connected layers", 1, ("convolutional neural network", "convolutional network", "CNN")),
    Term("fully connected layer", "全连接层", "net = W a + b",
         "every output is a weighted sum of every input plus a bias; W has one row per output",
         1, ("fully connected layer", "fully connected")),
    Term("receptive field", "感受野", "",
         "the patch of the input that one output value depends on (local: a small patch, "
         "局部感受野)", 1),
    Term("weight sharing", "权值共享", "",
         "every position of an output map uses the same kernel, so the parameter count does "
         "not grow with the image", 1),
    Term("weight", "权重", "W, w",
         "a trainable coefficient of a weighted sum; in a convolution, an entry of a kernel", 1),
    Term("bias", "偏置", "b",
         "a trainable constant added to the weighted sum: one per unit, or one per filter", 1),
    Term("feature map", "特征图", "a",
         "one map of a layer's output (one per filter); the next layer's input channel", 1),
    Term("pooling", "池化", "",
         "replaces each window of a feature map by one number, its maximum or mean; no "
         "parameters", 1),
    Term("max pooling", "最大池化", "max",
         "keeps the largest value of each window; backward routes δ to that argmax", 1,
         ("max pooling", "max pool")),
    Term("mean pooling", "均值池化", "mean",
         "keeps the mean of each window; backward spreads δ/K² over it (the seeds' term, "
         "not 平均池化)", 1, ("mean pooling", "mean pool", "average pooling")),
    Term("downsampling / subsampling", "下采样", "down(·)",
         "shrinking a map, as pooling and LeNet-5's S layers do", 1,
         ("downsampling", "downsample", "subsampling")),
    # chapter 2: backpropagation through a fully connected network
    Term("chain rule", "链式法则", "",
         "a derivative through a composition is the sum, over every path, of the products of "
         "the local derivatives", 2),
    Term("backpropagation / backward pass", "反向传播", "",
         "the chain rule applied layer by layer, from the loss back to the input", 2,
         ("backpropagation", "back-propagation", "backward pass")),
    Term("weighted input", "加权输入", "net",
         "a unit's weighted sum before the activation function, net = W a + b (seed 004's "
         "term)", 2, ("weighted input", "net input")),
    Term("activation function", "激活函数", "f",
         "the element-wise non-linearity (sigmoid, tanh, ReLU); its derivative f′(net) enters "
         "every δ", 3),
    Term("activation (value)", "激活值", "a",
         "a unit's output after the activation function, a = f(net): the next layer's input",
         2, ("activation value",)),
    Term("loss function", "损失函数", "E",
         "the number training makes small, e.g. ½‖y − t‖² or the cross-entropy; the seeds "
         "also say 误差 (seed 002 writes L; the course writes E)", 2, ("loss function", "loss")),
    Term("gradient", "梯度", "∇E, ∂E/∂W",
         "the partial derivatives of the loss with respect to a variable, in that variable's "
         "shape", 2),
    Term("error term", "误差项", "δ",
         "δ = ∂E/∂net, the gradient of the loss with respect to a unit's weighted input, "
         "f′(net) included", 2),
    Term("residual", "残差", "δ",
         "seed 003's name for the error term δ = ∂E/∂net (not the residual y − t of a fit, "
         "nor a ResNet's skip connection)", 2),
    Term("Jacobian", "雅可比矩阵", "J",
         "the matrix of all ∂y_i/∂x_j of a vector function; backward multiplies by its "
         "transpose", 2, ("Jacobian",)),
    Term("gradient descent", "梯度下降", "θ ← θ − η ∇E",
         "a small step against the gradient, repeated", 2),
    Term("learning rate", "学习率", "η",
         "the step size of gradient descent", 2),
    Term("batch", "批量", "N",
         "the samples one update uses together (all of them, or a mini-batch of a few)", 2,
         ("batch", "mini-batch")),
    Term("epoch", "轮次", "",
         "one pass over all the training samples", 2),
    # chapter 3: the convolution layer, forward
    Term("kernel / filter", "卷积核", "W",
         "the small weight array slid over the input; a filter holds one kernel per input "
         "channel", 3),
    Term("channel", "通道", "C",
         "one of the stacked maps of an input or output (3 for a colour image)", 3),
    Term("depth", "深度", "C",
         "the number of input channels, and so of kernels in each filter (the seeds write D)",
         3),
    Term("stride", "步长", "S",
         "how many pixels the window moves from one output to the next", 3),
    Term("padding", "补零", "P",
         "rings of zeros around the input; the padding cells' gradient is cropped away", 3),
    Term("convolution", "卷积", "∗",
         "slide the kernel turned by 180° and sum the products: x ∗ W = x ⋆ rot180(W)", 3),
    Term("cross-correlation", "互相关", "⋆",
         "slide the kernel as it is and sum the products; what conv2d (and PyTorch) computes",
         3),
    Term("valid mode", "valid模式", "⋆_v",
         "only positions where the kernel lies inside the map: L − K + 1 outputs (seed 003 "
         "keeps the English word)", 3),
    Term("full mode / wide convolution", "full 模式卷积 / 宽卷积", "⋆_full",
         "every position where the kernel overlaps the map, zeros outside: L + K − 1 outputs; "
         "never 全卷积, which now means a fully convolutional network (FCN). Seed 003's full "
         "operation flips the kernel: a true convolution ∗", 3,
         ("full mode", "full-mode correlation", "full correlation", "wide convolution")),
    Term("rot180", "旋转180度", "rot180(W)",
         "the kernel turned by 180°, rows and columns reversed: w[K−1−m, K−1−n]", 3),
    # chapter 4 onwards: backward
    Term("sensitivity map", "敏感度图", "δ^(l)",
         "the map of error terms δ of one output map (seed 004: 敏感度, sensitivity)", 4),
    Term("upsampling", "上采样", "up(δ)",
         "pooling's backward: each δ goes back to its window (the argmax, or δ/K² to every "
         "cell)", 7, ("upsampling", "upsample")),
    Term("im2col / col2im", "", "X_col",
         "im2col copies every window into a column, making a convolution one matrix product; "
         "col2im adds the columns back", 8, ("im2col", "col2im")),
    Term("flatten", "光栅化", "",
         "lay a sample's maps out as one vector, map by map, row by row (seed 003; seed 004 "
         "says 展平)", 9, ("flatten", "flattening", "rasterisation", "rasterization")),
    Term("softmax", "", "p = softmax(z)",
         "turns the logits into probabilities, exp(z_k) / Σ_j exp(z_j) (the seeds keep the "
         "English word)", 9),
    Term("cross-entropy", "交叉熵", "E = −Σ t log p",
         "the loss for predicted probabilities; after a softmax its gradient is p − t", 9),
    # chapter 12: transposed and dilated convolution
    Term("transposed convolution", "转置卷积", "W_fcᵀ",
         "the map x ↦ W_fcᵀx, W_fc a convolution's matrix (conv_matrix): each input cell "
         "scatters x·W onto the output; the backward pass of a convolution, and the upsampling "
         "layer ConvTranspose2d. Often misnamed deconvolution (反卷积), which means undoing a "
         "convolution (W_fc⁻¹, deblurring), not transposing it", 12, ("transposed convolution", "convolution transpose")),
    Term("dilated convolution", "空洞卷积", "R",
         "a convolution whose kernel taps lie R cells apart, R − 1 holes between them (also "
         "called 扩张卷积, atrous convolution): a window of R(K − 1) + 1 cells with K² weights", 12,
         ("dilated convolution", "atrous convolution")),
    Term("output_padding", "", "",
         "the rows and columns a transposed convolution adds at the bottom and right to pick "
         "one of the input sizes a strided convolution maps to the same output: chapter 5's "
         "remainder (L − K + 2P) mod S", 12, ("output_padding", "output padding")),
)


def _cell(text):
    return str(text).replace("|", "\\|") if text else "—"


def glossary_table(links=False):
    """The glossary as a Markdown table, in chapter order.

    With ``links=True`` the chapter column links to the chapter notebook (relative
    to ``notebooks/``, as in ``00_start_here.ipynb``).
    """
    lines = ["| English | 中文 | symbol | meaning | chapter |", "|---|---|---|---|---|"]
    for term in sorted(GLOSSARY, key=lambda t: t.chapter):
        chapter = str(term.chapter)
        if links:
            chapter = f"[{chapter}]({CHAPTER_NOTEBOOKS[term.chapter]})"
        lines.append(f"| {_cell(term.english)} | {_cell(term.chinese)} | {_cell(term.symbol)} "
                     f"| {_cell(term.meaning)} | {chapter} |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# The notation: one meaning per letter, across the whole course
# ---------------------------------------------------------------------------

class Symbol(NamedTuple):
    """One row of the course's notation table.

    ``symbol`` as prose writes it (Unicode); ``meaning``; ``code``: its name and shape
    in ``cnnbook``, as Markdown (empty if none); ``chapter``: where the course first uses it.
    """

    symbol: str
    meaning: str
    code: str
    chapter: int


NOTATION = (
    Symbol("l", "layer index, written as a superscript (l)", "", 2),
    Symbol("a^(l)", "activation (output) of layer l, a^(l) = f(net^(l)); a^(l−1) is layer l's "
           "input", "`x` (a layer's input)", 2),
    Symbol("net^(l)", "weighted input (加权输入): W ⋆ a^(l−1) + b (conv) or W a^(l−1) + b (fc)",
           "`out` of `conv2d` / `dense`", 2),
    Symbol("f, f′", "the activation function and its derivative",
           "`relu`, `relu_derivative`, …", 2),
    Symbol("W^(l), w_mn", "weights; w_mn is one kernel tap at row m, column n",
           "`w`, shape (F, C, KH, KW)", 1),
    Symbol("b", "bias", "`b`, shape (F,)", 1),
    Symbol("E", "the loss (error) — never L", "`loss`", 2),
    Symbol("y, t", "network output, target", "", 2),
    Symbol("δ^(l)", "sensitivity map (敏感度图) / error term (误差项): δ^(l) = ∂E/∂net^(l), "
           "always with the f′ factor inside", "`dout` arriving at the layer whose output "
           "is net^(l)", 2),
    Symbol("∂E/∂a^(l−1)", "the gradient that reaches the layer's input", "`dx`", 4),
    Symbol("δ^(l−1) = ∂E/∂a^(l−1) ⊙ f′(net^(l−1))", "how δ passes one layer down (stated in "
           "chapter 4, used everywhere)", "`dx * f′(net)`", 4),
    Symbol("L", "side of a square input map", "`H`, `W`", 3),
    Symbol("K", "kernel side (also a pooling window's side); K² its size",
           "`kernel_size`, `KH`, `KW`", 1),
    Symbol("S", "stride", "`stride`", 3),
    Symbol("P", "padding", "`padding`", 3),
    Symbol("O", "output side, O = ⌊(L − K + 2P)/S⌋ + 1", "`OH`, `OW`", 3),
    Symbol("C", "number of input channels (depth)", "`C`", 1),
    Symbol("F", "number of filters = output channels", "`F`", 1),
    Symbol("N", "batch size", "`N`", 2),
    Symbol("M", "number of classes / network outputs", "`logits`, shape (N, M)", 2),
    Symbol("i, j", "a position in the layer's input: x_ij, a^(l−1)_ij, δ^(l−1)_ij", "", 3),
    Symbol("u, v", "a position in the layer's output: net_uv, δ_uv", "", 3),
    Symbol("m, n", "a kernel tap: w_mn", "", 3),
    Symbol("c", "input-channel index", "", 6),
    Symbol("q", "filter (output-channel) index", "", 6),
    Symbol("r", "sample index within a batch", "", 6),
    Symbol("⋆", "cross-correlation (what conv2d computes)", "`correlate2d`", 3),
    Symbol("∗", "true convolution (kernel turned by 180°)", "`convolve2d`", 3),
    Symbol("rot180", "the kernel turned by 180°", "`rot180`", 3),
    Symbol("⊙", "element-wise product", "`*`", 2),
    # chapter 12: transposed and dilated convolution
    Symbol("W_fc", "a convolution written as one sparse matrix: net = W_fc x over flattened "
           "maps, each row the kernel W placed at one output position", "`conv_matrix`", 8),
    Symbol("W_mat, Π", "im2col's filters as rows (W_mat) and the copy matrix Π that builds the "
           "columns from the padded input", "`w.reshape(F, -1)`, `im2col`", 8),
    Symbol("R", "dilation: R − 1 zeros between a kernel's taps, a window of R(K − 1) + 1 cells "
           "(R = 1: an ordinary kernel)", "`dilation`", 12),
    Symbol("P_out", "output_padding of a transposed convolution: the rows added at the bottom "
           "and right, chapter 5's remainder (L − K + 2P) mod S", "`output_padding`", 12),
    Symbol("O_t", "output side of a transposed convolution, (L − 1)S − 2P + R(K − 1) + P_out + 1",
           "`transposed_output_size`", 12),
)

#: Where the sources write other letters; chapter 0 says it once, beside the table.
SOURCE_LETTERS = (
    "The sources use other letters in places: seeds 001 and 003 write F for the kernel side "
    "and D for the depth, seed 002 writes L for the loss, and some write k or s for a pooling "
    "window. The course writes K, C and E throughout, and F only for the number of filters."
)


def notation_table(links=False):
    """The notation as a Markdown table: symbol, meaning, in code, first chapter.

    With ``links=True`` the chapter column links to the chapter notebook (relative to
    ``notebooks/``, as in ``00_start_here.ipynb``).
    """
    lines = ["| symbol | meaning | in code | first chapter |", "|---|---|---|---|"]
    for s in NOTATION:
        chapter = str(s.chapter)
        if links:
            chapter = f"[{chapter}]({CHAPTER_NOTEBOOKS[s.chapter]})"
        lines.append(f"| {_cell(s.symbol)} | {_cell(s.meaning)} | {_cell(s.code)} | {chapter} |")
    return "\n".join(lines)
