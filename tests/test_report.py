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


class SeedsTableTest(unittest.TestCase):
    RESULT = {"stage": "m9", "epochs": 5, "device": "CPU (test)",
              "params": {"trainable": 7000, "total": 7500},
              "runs": [{"seed": 0, "test_acc": [98.0, 99.41, 99.45, 99.40, 99.50],
                        "epoch_seconds": [10, 11, 30, 12, 9]},
                       {"seed": 1, "test_acc": [98.5, 99.0, 99.39, 99.6, 99.7],
                        "epoch_seconds": [10, 10, 10, 10, 10]}]}

    def test_per_seed_rows_and_aggregate(self):
        table = report.seeds_table(self.RESULT)
        self.assertIn("| 0 | 99.50 (5) | 99.41, 99.45, 99.40, 99.50 | 99.40 | 2 | 11.0 |", table)
        self.assertIn("| 1 | 99.70 (5) | 99.00, 99.39, 99.60, 99.70 | 99.00 | 4 | 10.0 |", table)
        self.assertIn("Final test accuracy over 2 seeds: 99.60 +- 0.14 %", table)
        self.assertIn(">= 99.40%: 1 of 2.", table)

    def test_a_run_that_never_reaches_the_bar(self):
        stats = report.seed_stats({"test_acc": [97.0, 98.0, 99.0, 99.1]})
        self.assertEqual((stats["first_at_bar"], stats["holds_bar"]), (None, False))
