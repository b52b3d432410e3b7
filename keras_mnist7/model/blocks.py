"""Layer blocks the stage builders compose.

Built-in Keras layers only, each named explicitly, so that a saved model reloads in any process
and `model.summary()` reads row for row like the seed's torchsummary tables.
"""

import keras
from keras import layers

INPUT_SHAPE = (28, 28, 1)
MNIST_MEAN = 0.1307
MNIST_STD = 0.3081

# PyTorch's BatchNorm2d defaults, in Keras terms (Keras momentum = 1 - PyTorch momentum).
BN_MOMENTUM = 0.9
BN_EPSILON = 1e-5


def pixel_input(augmentation=()):
    """Raw 0-255 pixels in; (x / 255 - mean) / std done by a weight-free layer.

    Normalizing inside the model means a reloaded model needs no preprocessing code: feed it
    uint8 [N, 28, 28] or [N, 28, 28, 1] (Keras adds the channel axis) and get probabilities.
    `augmentation`: Keras' random layers to run on the raw pixels first, while training only.
    """
    pixels = keras.Input(INPUT_SHAPE, name="pixels")
    x = pixels
    for layer in augmentation:
        x = layer(x)
    normalized = layers.Rescaling(scale=1.0 / (255.0 * MNIST_STD), offset=-MNIST_MEAN / MNIST_STD,
                                  name="normalize")(x)
    return pixels, normalized


def conv_initializers(init, fan_in):
    """Conv2D's kernel and bias initializers. "keras": Keras' defaults. "torch": PyTorch's
    Conv2d defaults -- kaiming_uniform_(a=sqrt(5)) for the kernel, which is uniform in
    +-1/sqrt(fan_in) (VarianceScaling's uniform limit sqrt(3 * scale / fan_in) with scale 1/3),
    and the bias uniform in the same bounds."""
    if init == "keras":
        return {}
    bound = 1.0 / fan_in**0.5
    return {"kernel_initializer": keras.initializers.VarianceScaling(
                scale=1.0 / 3.0, mode="fan_in", distribution="uniform"),
            "bias_initializer": keras.initializers.RandomUniform(-bound, bound)}


def conv_block(x, filters, index, *, kernel_size=3, padding="same", use_bias=True,
               batch_norm=True, activation=True, bn_momentum=BN_MOMENTUM, bn_before_relu=False,
               init="keras", separable=False, nonlinearity="relu"):
    """conv -> ReLU -> BatchNorm, the seed's order, or conv -> BatchNorm -> ReLU with
    `bn_before_relu`; one layer per table row. `init`: see conv_initializers (Keras' defaults
    for a separable conv: depthwise then pointwise, one layer). `nonlinearity`: another of
    Keras' built-in activations in place of ReLU (a layer named after it)."""
    if separable:
        x = layers.SeparableConv2D(filters, kernel_size, padding=padding, use_bias=use_bias,
                                   name=f"conv{index}")(x)
    else:
        fan_in = kernel_size * kernel_size * x.shape[-1]
        x = layers.Conv2D(filters, kernel_size, padding=padding, use_bias=use_bias,
                          name=f"conv{index}", **conv_initializers(init, fan_in))(x)
    nonlinear = None
    if activation:
        nonlinear = (layers.ReLU(name=f"relu{index}") if nonlinearity == "relu" else
                     layers.Activation(nonlinearity, name=f"{nonlinearity}{index}"))
    bn = (layers.BatchNormalization(momentum=bn_momentum, epsilon=BN_EPSILON, name=f"bn{index}")
          if batch_norm else None)
    for layer in (bn, nonlinear) if bn_before_relu else (nonlinear, bn):
        if layer is not None:
            x = layer(x)
    return x


def downsample(x, index, dropout=None):
    """2x2 max-pool halves the resolution; dropout (if the stage has it) follows, as in the seed."""
    x = layers.MaxPooling2D(2, name=f"pool{index}")(x)
    if dropout is not None:
        x = layers.Dropout(dropout, name=f"dropout{index}")(x)
    return x


def gap_softmax_head(x):
    """Global average pooling of the 10 class maps, then softmax: no dense layer, no flatten."""
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    return layers.Softmax(name="probabilities")(x)
