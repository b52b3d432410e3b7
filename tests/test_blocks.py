import unittest

import keras
import numpy as np

from keras_mnist7.model import blocks


class PixelInputTest(unittest.TestCase):
    def test_raw_pixels_are_normalized_inside_the_model_without_weights(self):
        pixels, normalized = blocks.pixel_input()
        model = keras.Model(pixels, normalized)
        self.assertEqual(model.count_params(), 0)
        raw = np.zeros((1, 28, 28, 1), np.uint8)
        raw[0, 0, :3, 0] = [0, 255, 51]
        out = model.predict(raw, verbose=0)[0, 0, :3, 0]
        expected = (np.array([0, 255, 51]) / 255.0 - 0.1307) / 0.3081
        np.testing.assert_allclose(out, expected, rtol=1e-5)


class ConvBlockTest(unittest.TestCase):
    def test_seed_order_conv_relu_batchnorm(self):
        inputs = keras.Input((8, 8, 1))
        model = keras.Model(inputs, blocks.conv_block(inputs, 4, 7))
        self.assertEqual([type(l).__name__ for l in model.layers[1:]],
                         ["Conv2D", "ReLU", "BatchNormalization"])
        self.assertEqual([l.name for l in model.layers[1:]], ["conv7", "relu7", "bn7"])

    def test_bn_before_relu_gives_each_relu_a_learned_shift(self):
        inputs = keras.Input((8, 8, 1))
        model = keras.Model(inputs, blocks.conv_block(inputs, 4, 2, use_bias=False,
                                                      bn_before_relu=True))
        self.assertEqual([l.name for l in model.layers[1:]], ["conv2", "bn2", "relu2"])
        # Same parameters in either order: only where BN sits changes.
        seed_order = keras.Model(inputs, blocks.conv_block(inputs, 4, 3, use_bias=False))
        self.assertEqual(model.count_params(), seed_order.count_params())
        # BN's beta moves the ReLU's threshold: a negative beta silences a constant input.
        model.get_layer("bn2").beta.assign(-np.ones(4, "float32"))
        model.get_layer("conv2").kernel.assign(np.zeros((3, 3, 1, 4), "float32"))
        self.assertEqual(float(np.max(model.predict(np.ones((1, 8, 8, 1)), verbose=0))), 0.0)

    def test_downsample_halves_and_drops(self):
        inputs = keras.Input((14, 14, 3))
        output = blocks.downsample(inputs, 1, dropout=0.05)
        self.assertEqual(output.shape, (None, 7, 7, 3))
        model = keras.Model(inputs, output)
        self.assertEqual(model.layers[-1].rate, 0.05)

    def test_head_averages_class_maps_into_probabilities(self):
        inputs = keras.Input((7, 7, 10))
        model = keras.Model(inputs, blocks.gap_softmax_head(inputs))
        probabilities = model.predict(np.random.rand(3, 7, 7, 10).astype("float32"), verbose=0)
        self.assertEqual(probabilities.shape, (3, 10))
        np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


if __name__ == "__main__":
    unittest.main()
