"""Keras models from architectures: one builder for every stage, composed of the block helpers."""

import keras

from keras_mnist7.model.blocks import conv_block, downsample, gap_softmax_head, pixel_input
from keras_mnist7.spec.architecture import POOL
from keras_mnist7.spec.stages import get_stage


def build_network(architecture, name, dropout=None, augmentation=()):
    """Functional model: normalize -> the plan's blocks -> GAP -> softmax.

    Convs and pools are numbered in order (conv1, relu1, bn1, pool1, dropout1, ...), so layer
    names say where a layer sits. `dropout` (None: no dropout layers) follows every pool.
    `augmentation`: random layers before the normalization (--input=arrays), idle at inference.
    """
    pixels, x = pixel_input(augmentation)
    convs = pools = 0
    for item in architecture.plan:
        if item == POOL:
            pools += 1
            x = downsample(x, pools, dropout)
            continue
        convs += 1
        x = conv_block(x, item.filters, convs, kernel_size=item.kernel_size, padding=item.padding,
                       use_bias=architecture.use_bias,
                       batch_norm=architecture.batch_norm and item.activation,
                       activation=item.activation, bn_momentum=architecture.bn_momentum,
                       bn_before_relu=architecture.bn_before_relu, init=architecture.init,
                       separable=item.separable, nonlinearity=architecture.activation)
    return keras.Model(pixels, gap_softmax_head(x), name=name)


def build_model(stage, **overrides):
    """The uncompiled Keras model of a stage. Overrides: `dropout`."""
    entry = get_stage(stage)
    unknown = sorted(set(overrides) - {"dropout"})
    if unknown:
        raise TypeError(f"build_model() takes no {', '.join(unknown)}")
    recipe = entry.recipe_with(**overrides)
    return build_network(entry.architecture, name=entry.name, dropout=recipe.dropout)


def param_counts(model):
    """Trainable / non-trainable / total, as Keras counts them (BN moving stats are non-trainable).

    PyTorch's torchsummary, which the seed quotes, counts only the trainable ones.
    """
    trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
    total = model.count_params()
    return {"trainable": trainable, "non_trainable": total - trainable, "total": total}
