import json
import shutil
import tempfile
import unittest
from pathlib import Path

from keras_mnist7.study.report import frontier

HELD_OUT = "the last 5,000 training images, held out (--holdout; the test set is not used)"


def write_result(folder, stage, params, test_accs, evaluated_on="the test set"):
    folder.mkdir(parents=True)
    runs = [{"seed": seed, "test_acc": acc} for seed, acc in enumerate(test_accs)]
    (folder / "seeds.json").write_text(json.dumps({
        "stage": stage, "params": {"total": params}, "runs": runs, "evaluated_on": evaluated_on,
        "command": f"python main.py --stage={stage}"}))


class FrontierTest(unittest.TestCase):
    def setUp(self):
        self.results = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.results)
        # seed 1 dips to 99.38 in its last 4 epochs: 1 of 2 seeds hold
        write_result(self.results / "m5", "m5", 7906,
                     [[98.0, 99.5, 99.4, 99.5, 99.5], [98.0, 99.5, 99.38, 99.5, 99.6]])
        write_result(self.results / "m5" / "torch", "m5", 7906, [[90.0, 91.0, 92.0, 93.0]])
        write_result(self.results / "holdout" / "small" / "m5", "m5", 4800,
                     [[98.0, 99.45, 99.5, 99.41, 99.6]], HELD_OUT)
        write_result(self.results / "m1", "m1", 1622, [[90.0, 91.0]])  # stopped: 2 epochs

    def test_points_are_every_finished_keras_benchmark_smallest_first(self):
        points = frontier.collect(self.results)
        self.assertEqual([p["name"] for p in points], ["holdout/small/m5", "m5"])

    def test_a_point_holds_its_worst_seed_and_where_it_was_scored(self):
        small, m5 = frontier.collect(self.results)
        self.assertEqual((m5["kind"], m5["evaluated_on"], m5["params"]), ("stage", "test", 7906))
        self.assertEqual(m5["last4_lowest"], [99.4, 99.38])
        self.assertEqual((m5["worst_last4"], m5["seeds_holding"]), (99.38, 1))
        self.assertEqual((small["kind"], small["evaluated_on"], small["worst_last4"]),
                         ("candidate", "held-out", 99.41))

    def test_write_gives_the_json_and_the_figure(self):
        figure = self.results / "frontier.png"
        frontier.write(self.results, figure)
        data = json.loads((self.results / "frontier.json").read_text())
        self.assertEqual(len(data["points"]), 2)
        self.assertEqual(data["bar"], 99.4)
        self.assertEqual(figure.read_bytes()[:8], b"\x89PNG\r\n\x1a\n")


if __name__ == "__main__":
    unittest.main()
