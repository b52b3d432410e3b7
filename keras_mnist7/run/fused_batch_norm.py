"""BatchNormalization on TensorFlow's fused kernel while training: a TensorFlow-only fast path.

Keras 3's TensorFlow backend computes a training BatchNormalization as moments plus
batch_normalization, a dozen element-wise ops; TensorFlow's FusedBatchNormV3 (which oneDNN
accelerates on CPUs) does it in one op, and its gradient in one more. `use_fused_kernel` swaps
the kernel into each eligible layer of a built model, on that layer object only: the layer
stays Keras' built-in BatchNormalization (its config, variables and saved file are unchanged),
inference keeps Keras' own path, and the moving statistics follow Keras' rule exactly (the
layer's momentum, the biased batch variance).
"""

import types

import keras
import tensorflow as tf

# FusedBatchNormV3 refuses a smaller epsilon and raises it to this (TensorFlow's own floor).
MIN_EPSILON = 1.001e-5


def eligible(layer):
    """Channels-last BatchNormalization over 4-D inputs, without renorm or synchronization:
    what the fused kernel computes."""
    return (isinstance(layer, keras.layers.BatchNormalization) and len(layer.input.shape) == 4
            and layer.axis in (3, -1) and not layer.renorm and not layer.synchronized
            and layer.dtype_policy.compute_dtype == "float32")


def _fused_call(self, inputs, training=None, mask=None):
    if not (training and self.trainable) or mask is not None:
        return type(self).call(self, inputs, training=training, mask=mask)
    channels = inputs.shape[-1]
    scale = self.gamma.value if self.scale else tf.ones((channels,), inputs.dtype)
    offset = self.beta.value if self.center else tf.zeros((channels,), inputs.dtype)
    outputs, mean, unbiased_variance = tf.compat.v1.nn.fused_batch_norm(
        inputs, scale, offset, epsilon=max(self.epsilon, MIN_EPSILON), data_format="NHWC",
        is_training=True)
    # The kernel returns the variance with Bessel's correction; Keras' moving variance
    # averages the biased one, which the kernel normalized with.
    count = tf.cast(tf.size(inputs) // channels, inputs.dtype)
    variance = unbiased_variance * (count - 1.0) / count
    self.moving_mean.assign(self.moving_mean * self.momentum + mean * (1.0 - self.momentum))
    self.moving_variance.assign(
        self.moving_variance * self.momentum + variance * (1.0 - self.momentum))
    return outputs


def use_fused_kernel(model):
    """Puts the fused kernel into every eligible BatchNormalization layer of `model` (built,
    TensorFlow backend); returns how many layers took it."""
    layers = [layer for layer in model.layers if eligible(layer)]
    for layer in layers:
        layer.call = types.MethodType(_fused_call, layer)
    return len(layers)
