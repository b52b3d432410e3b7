import json
import shutil
import tempfile
import unittest
from pathlib import Path

from keras_mnist7.study.report import fidelity


def write_result(folder, test_accs, init):
    folder.mkdir(parents=True)
    runs = [{"seed": seed, "test_acc": acc} for seed, acc in enumerate(test_accs)]
    (folder / "seeds.json").write_text(json.dumps({"runs": runs,
                                                   "architecture": {"init": init}}))


class FidelityTest(unittest.TestCase):
    KERAS = [[98.0, 99.2, 99.3, 99.2, 99.3], [98.0, 99.3, 99.3, 99.3, 99.3],
             [98.0, 99.1, 99.2, 99.1, 99.2]]  # last 4 means 99.25, 99.30, 99.15; best .3 .3 .2
    TORCH = [[98.0, 99.4, 99.4, 99.4, 99.4], [98.0, 99.5, 99.4, 99.5, 99.4],
             [98.0, 99.4, 99.5, 99.4, 99.5]]  # last 4 means 99.40, 99.45, 99.45

    def setUp(self):
        self.results = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.results)
        write_result(self.results / "m4", self.KERAS, "keras")
        write_result(self.results / "m4" / "torch", self.TORCH, "torch")

    def test_the_comparison_row_gives_means_spreads_and_the_verdict(self):
        rows = fidelity.comparison_table(self.results, ["m2", "m4"])
        self.assertEqual(len(rows), 3)  # m2 has no runs: no row
        self.assertEqual(rows[2], "| m4 | 3 / 3 | 99.40 | 99.27 ± 0.06 | 99.47 ± 0.06 | "
                                  "99.23 ± 0.08 | 99.43 ± 0.03 | -0.20 (beyond the spread) |")

    def test_a_difference_inside_the_larger_std_is_within_the_spread(self):
        self.assertTrue(fidelity.within_spread([99.0, 99.4], [99.3, 99.3]))
        self.assertFalse(fidelity.within_spread([99.0, 99.1], [99.3, 99.3]))

    def test_the_claim_sentence_is_made_from_every_seed(self):
        runs = [{"test_acc": acc} for acc in self.KERAS]
        reference = [{"test_acc": acc} for acc in self.TORCH]
        text = fidelity.claim_sentence("m4", runs, reference)
        self.assertIn("averages 99.27 ± 0.06%, which falls short of it by 0.13 points, beyond "
                      "the seeds' spread (0 of 3 seeds reach it)", text)
        self.assertIn("the PyTorch reference's 3 seeds average 99.47 ± 0.06%", text)
        close = [{"test_acc": [99.3, 99.45]}, {"test_acc": [99.3, 99.35]}]
        self.assertIn("matches it within the seeds' spread", fidelity.claim_sentence("m4", close))
        self.assertIsNone(fidelity.claim_sentence("m5", runs))

    def test_a_row_with_one_seed_on_a_side_is_not_judged(self):
        write_result(self.results / "m2", self.KERAS[:1], "keras")
        write_result(self.results / "m2" / "torch", self.TORCH, "torch")
        row = fidelity.comparison_table(self.results, ["m2"])[2]
        self.assertTrue(row.endswith("| -0.18 (one seed on a side: not judged) |"), row)

    def test_one_seed_gets_no_verdict_on_spread(self):
        text = fidelity.claim_sentence("m4", [{"test_acc": [99.0, 99.1]}])
        self.assertIn("one seed here reaches 99.10%, which falls short of it by 0.30 points; one "
                      "seed has no spread to judge that by (0 of 1 seeds reach it)", text)

    def test_the_init_table_groups_every_framework_and_initialisation(self):
        write_result(self.results / "ablations" / "init-torch" / "m4", self.TORCH, "torch")
        rows = fidelity.init_table(self.results, ["m4"])
        self.assertEqual(rows[0], "| stage | Keras, Keras init | Keras, PyTorch init | "
                                  "PyTorch, Keras init | PyTorch, PyTorch init |")
        self.assertEqual(rows[2], "| m4 | 99.23 ± 0.08 (3) | 99.43 ± 0.03 (3) | – | "
                                  "99.43 ± 0.03 (3) |")

    def test_a_stage_that_defaults_to_torch_init_finds_its_keras_init_ablation(self):
        write_result(self.results / "m1", self.TORCH, "torch")
        write_result(self.results / "m1" / "torch", self.TORCH, "torch")
        write_result(self.results / "ablations" / "init-keras" / "m1", self.KERAS, "keras")
        rows = fidelity.init_table(self.results, ["m1"])
        self.assertEqual(rows[2], "| m1 | 99.23 ± 0.08 (3) | 99.43 ± 0.03 (3) | – | "
                                  "99.43 ± 0.03 (3) |")
        keras_own, _ = fidelity.reference_pair(self.results, "m1")
        self.assertEqual(keras_own["architecture"]["init"], "torch")
        self.assertEqual(fidelity.init_ablation_sentence(self.results, ["m1", "m4"]),
                         "The initialisation alone, last 4 epochs: m1 with Keras init instead "
                         "of PyTorch init reads 99.23 ± 0.08, -0.20 against the reference "
                         "(beyond the spread).")
        self.assertIsNone(fidelity.init_ablation_sentence(self.results, ["m4"]))


if __name__ == "__main__":
    unittest.main()
