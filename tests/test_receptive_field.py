import unittest

import keras
from keras import layers

from keras_mnist7 import build_model
from keras_mnist7.model.receptive_field import format_table, receptive_field, receptive_field_table


class ReceptiveFieldTest(unittest.TestCase):
    def test_seed_stages(self):
        # m1 sees 10 px (the seed's write-up claimed 20); m2-m4 see 38 px, more than the image.
        self.assertEqual(receptive_field(build_model("m1")), 10)
        for stage in ("m2", "m3", "m4"):
            self.assertEqual(receptive_field(build_model(stage)), 38)

    def test_table_rows_track_rf_jump_and_size(self):
        rows = receptive_field_table(build_model("m1"))
        self.assertEqual([(r["layer"], r["rf"], r["jump"], r["size"]) for r in rows], [
            ("conv1", 3, 1, 28), ("conv2", 5, 1, 28), ("pool1", 6, 2, 14), ("conv3", 6, 2, 14),
            ("conv4", 10, 2, 12), ("conv5", 10, 2, 12), ("gap", 10, 2, 1)])
        self.assertIn("conv4", format_table(rows))

    def test_strides_and_dilation(self):
        inputs = keras.Input((32, 32, 1))
        x = layers.Conv2D(2, 3, strides=2, padding="same", name="s")(inputs)
        x = layers.Conv2D(2, 3, dilation_rate=2, padding="same", name="d")(x)
        rows = receptive_field_table(keras.Model(inputs, x))
        self.assertEqual([(r["rf"], r["jump"]) for r in rows], [(3, 2), (3 + 4 * 2, 2)])

    def test_a_separable_conv_widens_the_field_like_its_kernel(self):
        inputs = keras.Input((28, 28, 1))
        x = layers.SeparableConv2D(2, 5, name="s")(inputs)
        self.assertEqual(receptive_field(keras.Model(inputs, x)), 5)


if __name__ == "__main__":
    unittest.main()
