import unittest

from keras_mnist7.architecture import POOL, Architecture, Conv


class ArchitectureTest(unittest.TestCase):
    def test_last_conv_must_give_one_map_per_class(self):
        with self.assertRaisesRegex(ValueError, "last conv .* 10 filters"):
            Architecture(plan=(Conv(8), POOL, Conv(12)))
        with self.assertRaisesRegex(ValueError, "last conv"):
            Architecture(plan=(POOL,))

    def test_defaults_describe_the_seed_conv(self):
        conv = Conv(8)
        self.assertEqual((conv.kernel_size, conv.padding, conv.activation), (3, "same", True))
        architecture = Architecture(plan=(Conv(10),))
        self.assertTrue(architecture.use_bias and architecture.batch_norm)


if __name__ == "__main__":
    unittest.main()
