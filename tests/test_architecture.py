import unittest

from keras_mnist7.spec.architecture import POOL, Architecture, Conv, format_plan, parse_plan
from keras_mnist7.spec.stages import STAGES, get_stage


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

    def test_a_plan_that_shrinks_the_image_to_nothing_is_refused(self):
        with self.assertRaisesRegex(ValueError, "shrinks the 28x28 image to nothing"):
            Architecture(plan=(Conv(8), *[POOL] * 5, Conv(10)))
        Architecture(plan=(Conv(8), *[POOL] * 4, Conv(10)))  # 1x1 is still an image

    def test_torch_initialisation_is_refused_for_separable_convs(self):
        with self.assertRaisesRegex(ValueError, "--init=torch covers plain convs only"):
            Architecture(plan=(Conv(8, separable=True), Conv(10)), init="torch")
        Architecture(plan=(Conv(8), Conv(10)), init="torch")


class PlanNotationTest(unittest.TestCase):
    def test_every_stage_plan_reads_back(self):
        for stage in STAGES:
            plan = get_stage(stage).architecture.plan
            self.assertEqual(parse_plan(format_plan(plan)), plan)
        self.assertEqual(format_plan(get_stage("m5").architecture.plan),
                         "10v,16v,P,8x1,16v,16v,16v,10x1l")

    def test_each_suffix(self):
        self.assertEqual(parse_plan("16, p ,8x1v,10x1l"),
                         (Conv(16), POOL, Conv(8, 1, "valid"), Conv(10, 1, activation=False)))
        plan = parse_plan("24sv,12x5s,10x1l")
        self.assertEqual(plan, (Conv(24, padding="valid", separable=True),
                                Conv(12, 5, separable=True), Conv(10, 1, activation=False)))
        self.assertEqual(format_plan(plan), "24sv,12x5s,10x1l")

    def test_unreadable_items_are_one_line_errors(self):
        for text in ("10q", "", "16,,10", "x3", "0,10", "10x0", "16vs", "16ss"):
            with self.subTest(text=text), self.assertRaisesRegex(ValueError, "--plan: cannot"):
                parse_plan(text)


if __name__ == "__main__":
    unittest.main()
