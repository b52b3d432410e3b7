"""Test-set evaluation: accuracy, loss, per digit, confusion and mistakes, on known answers."""

import json
import tempfile
import unittest
from pathlib import Path

import numpy as np

from keras_mnist7.run.evaluation import describe, evaluate, write_evaluation


class FixedAnswers:
    """Stands in for a model: the probabilities are given, whatever the images."""

    def __init__(self, probabilities):
        self.probabilities = np.asarray(probabilities, np.float32)

    def predict(self, images, batch_size=None, verbose=0):
        return self.probabilities


class EvaluateTest(unittest.TestCase):
    labels = np.array([0, 1, 2, 2])
    # right, right, 2 taken for 7 at 0.9, 2 taken for 1 at 0.6
    probabilities = np.full((4, 10), 0.0)
    probabilities[[0, 1], [0, 1]] = 1.0
    probabilities[2, [2, 7]] = 0.1, 0.9
    probabilities[3, [2, 1]] = 0.4, 0.6

    def test_numbers_on_known_answers(self):
        result = evaluate(FixedAnswers(self.probabilities), np.zeros((4, 28, 28)), self.labels)
        self.assertEqual(result["accuracy_pct"], 50.0)
        self.assertAlmostEqual(result["loss"], -np.mean(np.log([1, 1, 0.1, 0.4])), places=4)
        self.assertEqual(result["per_class_accuracy_pct"][:3], [100.0, 100.0, 0.0])
        self.assertEqual(result["confusion"][2][7], 1)
        self.assertEqual(result["confusion"][2][1], 1)
        self.assertEqual(sum(map(sum, result["confusion"])), 4)
        self.assertEqual([(m["index"], m["predicted"], m["confidence"]) for m in result["mistakes"]],
                         [(2, 7, 0.9), (3, 1, 0.6)])  # most confident first
        self.assertIn("test accuracy 50.00% (2 mistakes in 4 images)", describe(result))
        self.assertIn("held-out accuracy 50.00%", describe(result, "held-out"))

    def test_figures_and_json_are_written(self):
        with tempfile.TemporaryDirectory() as tmp:
            write_evaluation(FixedAnswers(self.probabilities), np.zeros((4, 28, 28), np.uint8),
                             self.labels, tmp, "fixed")
            for name in ("confusion.png", "mistakes.png"):
                self.assertTrue(Path(tmp, name).read_bytes().startswith(b"\x89PNG"), name)
            self.assertEqual(json.loads(Path(tmp, "evaluation.json").read_text())["model"],
                             "fixed")


if __name__ == "__main__":
    unittest.main()
