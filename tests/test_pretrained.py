"""The shipped model: pretrained/m5.keras, the last epoch of seed 110 of the m5 benchmark (its confirmation)."""

import json
import tempfile
import unittest
from pathlib import Path

import numpy as np

from tests.helpers import REPO, mnist, run_python

SCORE_ELSEWHERE = """
import importlib.util, sys
import keras, numpy as np
assert importlib.util.find_spec("keras_mnist7") is None, "keras_mnist7 must not be importable"
model = keras.saving.load_model(sys.argv[1])
images, labels = np.load(sys.argv[2]), np.load(sys.argv[3])
predictions = model.predict(images, batch_size=1000, verbose=0).argmax(axis=1)
print(100.0 * np.mean(predictions == labels))
"""


class PretrainedM5Test(unittest.TestCase):
    def test_scores_the_bar_on_raw_uint8_in_a_process_without_the_package(self):
        model = REPO / "pretrained" / "m5.keras"
        _, (x_test, y_test) = mnist()
        with tempfile.TemporaryDirectory() as elsewhere:
            np.save(Path(elsewhere, "x.npy"), x_test)
            np.save(Path(elsewhere, "y.npy"), y_test)
            result = run_python(["-c", SCORE_ELSEWHERE, str(model), "x.npy", "y.npy"],
                                cwd=elsewhere)
        self.assertEqual(result.returncode, 0, result.stderr[-2000:])
        accuracy = float(result.stdout.strip().splitlines()[-1])
        self.assertGreaterEqual(accuracy, 99.40)
        # The file is the run's last epoch: it scores what its metrics.json recorded.
        metrics = json.loads((REPO / "pretrained" / "m5.metrics.json").read_text())
        self.assertEqual((metrics["stage"], metrics["seed"]), ("m5", 110))
        self.assertLess(metrics["params"]["total"], 8000)
        self.assertAlmostEqual(accuracy, metrics["summary"]["final_test_acc"], places=2)


if __name__ == "__main__":
    unittest.main()
