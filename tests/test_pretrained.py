"""The shipped models: pretrained/m5.keras and m6.keras, the last epoch of the first seed of
each one's confirmation benchmark."""

import json
import tempfile
import unittest
from pathlib import Path

import numpy as np

from tests.helpers import REPO, full_tier, mnist, run_python

SCORE_ELSEWHERE = """
# The package hidden, whether or not it is installed (pip install -e .): the model must load
# from Keras' built-in layers alone.
import importlib.abc, sys
class Hidden(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "keras_mnist7" or name.startswith("keras_mnist7."):
            raise ModuleNotFoundError(f"No module named {name!r} (hidden by the test)")
sys.meta_path.insert(0, Hidden())
import keras, numpy as np
model = keras.saving.load_model(sys.argv[1])
images, labels = np.load(sys.argv[2]), np.load(sys.argv[3])
predictions = model.predict(images, batch_size=1000, verbose=0).argmax(axis=1)
print(100.0 * np.mean(predictions == labels))
"""


@full_tier("the test set in a fresh process")
class PretrainedTest(unittest.TestCase):
    # name: (the confirmation seed it comes from, the most params its stage may have, the
    # least it scores). m5: under 8,000 params, the bar. m6: at most 5,000, and the bar too (its
    # seed 110 scored 99.40% after its last epoch).
    SHIPPED = {"m5": (120, 7999, 99.40), "m6": (110, 5000, 99.40)}

    def score_elsewhere(self, model):
        _, (x_test, y_test) = mnist()
        with tempfile.TemporaryDirectory() as elsewhere:
            np.save(Path(elsewhere, "x.npy"), x_test)
            np.save(Path(elsewhere, "y.npy"), y_test)
            result = run_python(["-c", SCORE_ELSEWHERE, str(model), "x.npy", "y.npy"],
                                cwd=elsewhere)
        self.assertEqual(result.returncode, 0, result.stderr[-2000:])
        return float(result.stdout.strip().splitlines()[-1])

    def test_each_scores_on_raw_uint8_in_a_process_without_the_package(self):
        for name, (seed, budget, least) in self.SHIPPED.items():
            with self.subTest(model=name):
                accuracy = self.score_elsewhere(REPO / "pretrained" / f"{name}.keras")
                self.assertGreaterEqual(accuracy, least)
                # The file is the run's last epoch: it scores what its metrics.json recorded.
                metrics = json.loads((REPO / "pretrained" / f"{name}.metrics.json").read_text())
                self.assertEqual((metrics["stage"], metrics["seed"]), (name, seed))
                self.assertLessEqual(metrics["params"]["total"], budget)
                self.assertAlmostEqual(accuracy, metrics["summary"]["final_test_acc"], places=2)


if __name__ == "__main__":
    unittest.main()
