import unittest

from keras import layers

from keras_mnist7.model.builders import build_model, build_network, param_counts
from keras_mnist7.spec.architecture import POOL, Architecture, Conv


class BuildNetworkTest(unittest.TestCase):
    def test_plan_becomes_named_layers_in_order(self):
        model = build_network(Architecture(plan=(Conv(4), POOL, Conv(10, kernel_size=1))),
                              name="tiny", dropout=0.1)
        self.assertEqual([l.name for l in model.layers], [
            "pixels", "normalize", "conv1", "relu1", "bn1", "pool1", "dropout1",
            "conv2", "relu2", "bn2", "gap", "probabilities"])
        self.assertEqual(model.name, "tiny")
        self.assertEqual(model.output.shape, (None, 10))

    def test_no_dropout_layers_without_a_rate_and_bias_and_bn_switches(self):
        model = build_network(Architecture(plan=(Conv(4), POOL, Conv(10)), use_bias=False,
                                           batch_norm=False), name="plain")
        kinds = {type(l) for l in model.layers}
        self.assertNotIn(layers.Dropout, kinds)
        self.assertNotIn(layers.BatchNormalization, kinds)
        self.assertEqual(param_counts(model)["total"], 9 * 4 + 9 * 4 * 10)

    def test_a_linear_last_conv_has_no_relu_and_no_bn(self):
        model = build_network(Architecture(plan=(Conv(4), Conv(10, activation=False))), name="x")
        names = [l.name for l in model.layers]
        self.assertIn("relu1", names)
        self.assertNotIn("relu2", names)
        self.assertNotIn("bn2", names)

    def test_param_counts_split_batchnorm_statistics(self):
        model = build_network(Architecture(plan=(Conv(10),)), name="bn")
        # conv 9*10+10 weights, BN gamma+beta trainable, moving mean+variance not.
        self.assertEqual(param_counts(model),
                         {"trainable": 100 + 20, "non_trainable": 20, "total": 140})

    def test_a_separable_conv_is_one_layer_of_depthwise_and_pointwise_weights(self):
        model = build_network(Architecture(plan=(Conv(4), Conv(10, separable=True)),
                                           use_bias=False), name="separable")
        self.assertIsInstance(model.get_layer("conv2"), layers.SeparableConv2D)
        # conv1 9*4 + BN 4*4; conv2 depthwise 9*4 + pointwise 4*10 + BN 4*10.
        self.assertEqual(param_counts(model)["total"], 36 + 16 + 36 + 40 + 40)

    def test_build_model_dropout_override(self):
        model = build_model("m2", dropout=0.2)
        rates = [l.rate for l in model.layers if isinstance(l, layers.Dropout)]
        self.assertEqual(rates, [0.2, 0.2])
        with self.assertRaises(TypeError):
            build_model("m2", lr=0.1)
        with self.assertRaisesRegex(ValueError, "stage m1 has no dropout"):
            build_model("m1", dropout=0.1)


if __name__ == "__main__":
    unittest.main()
