"""cnnbook — backpropagation through convolutional networks, derived and checked.

The functional API follows ``torch.nn.functional``: NCHW float64 arrays, weights
(F, C, KH, KW), cross-correlation, floor output sizes. Every ``f`` has an
``f_backward``; every fast function has a readable twin in ``cnnbook.reference``.
"""
from .conv import conv2d, conv2d_backward, conv_transpose2d, conv_transpose2d_backward
from .functional import (
    dense, dense_backward, flatten, flatten_backward, log_softmax,
    relu, relu_backward, relu_derivative, sigmoid, sigmoid_backward, sigmoid_derivative,
    softmax, softmax_cross_entropy, softmax_cross_entropy_backward,
    tanh, tanh_backward, tanh_derivative,
)
from .gradcheck import (
    CheckFailed, max_error, numerical_gradient, rel_error, report, report_difference, rounded,
    small_integers,
)
from .im2col import col2im, im2col, participation_counts
from .pool import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward
from .primitives import (
    conv_matrix, convolve2d, correlate2d, crop2d, dilate2d, expand_sensitivity, pad2d, rot180,
)
from .reference import (
    avg_pool2d_backward_reference, avg_pool2d_reference, col2im_reference,
    conv2d_backward_reference, conv2d_reference, conv_transpose2d_backward_reference,
    conv_transpose2d_reference, im2col_reference,
    max_pool2d_backward_reference, max_pool2d_reference,
)
from .shapes import output_size, transposed_output_size
from . import examples

__version__ = "0.1.0"

__all__ = [
    "__version__", "output_size", "transposed_output_size",
    "conv2d", "conv2d_backward", "conv_transpose2d", "conv_transpose2d_backward", "max_pool2d", "max_pool2d_backward",
    "avg_pool2d", "avg_pool2d_backward",
    "conv2d_reference", "conv2d_backward_reference",
    "conv_transpose2d_reference", "conv_transpose2d_backward_reference",
    "max_pool2d_reference", "max_pool2d_backward_reference",
    "avg_pool2d_reference", "avg_pool2d_backward_reference",
    "pad2d", "crop2d", "rot180", "correlate2d", "convolve2d", "expand_sensitivity", "dilate2d", "conv_matrix",
    "im2col", "col2im", "participation_counts", "im2col_reference", "col2im_reference",
    "relu", "relu_derivative", "relu_backward", "sigmoid", "sigmoid_derivative",
    "sigmoid_backward", "tanh", "tanh_derivative", "tanh_backward",
    "dense", "dense_backward", "flatten", "flatten_backward",
    "softmax", "log_softmax", "softmax_cross_entropy", "softmax_cross_entropy_backward",
    "numerical_gradient", "rel_error", "max_error", "report", "report_difference",
    "small_integers", "rounded", "CheckFailed",
]
