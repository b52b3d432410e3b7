import unittest

from keras_mnist7 import build_model, report


class ModelReportTest(unittest.TestCase):
    def test_shows_summary_both_param_counts_and_the_rf_table(self):
        text = report.model_report(build_model("m2"))
        self.assertIn("probabilities (Softmax)", text)
        self.assertIn("Params: trainable 7,905 / non-trainable 170 / total 8,075", text)
        self.assertIn("Receptive field: 38 px", text)
        self.assertIn("conv8", text)
        self.assertTrue(all(len(line) <= 80 for line in text.splitlines()))


class StageTableTest(unittest.TestCase):
    def test_one_row_per_stage_with_computed_params_and_rf(self):
        rows = report.stage_table().splitlines()
        self.assertEqual(len(rows), 2 + 4)
        self.assertTrue(rows[2].startswith("| m1 | 1,622 | 0 | 1,622 | 10 | "))
        self.assertIn("| m4 | 7,905 | 170 | 8,075 | 38 | SGD(m=0.9) lr 0.05, x0.1 every 6 epochs | "
                      "15 | 128 | 0.05 | +-8 deg |", rows[5])


if __name__ == "__main__":
    unittest.main()
