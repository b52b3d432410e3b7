"""The package on every Keras backend: TensorFlow, JAX and PyTorch train the same stage, their
.keras files reload under the others with the same answers, and the arrays input path runs
where TensorFlow is not installed at all (about a minute)."""

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import numpy as np

from tests.helpers import REPO, full_tier, mnist_subset, without

BACKENDS = ("tensorflow", "jax", "torch")
MISSING = [b for b in BACKENDS if importlib.util.find_spec(b) is None]

WITHOUT_TENSORFLOW = without("tensorflow")

PREDICT_EVERY_MODEL = """
import sys, keras, numpy as np
images = np.load(sys.argv[1])
for path in sys.argv[3:]:
    model = keras.saving.load_model(path)
    np.save(f"{sys.argv[2]}/{keras.config.backend()}-reads-{path.split('/')[-3]}.npy",
            model.predict(images, verbose=0).argmax(axis=1))
"""


def run(args, backend, cwd=REPO):
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=1200)


@unittest.skipIf(MISSING, f"backend packages not installed: {', '.join(MISSING)} "
                          "(pip install -r requirements-backends.txt; .ci/run installs them)")
@full_tier("trains on every Keras backend")
class BackendsTest(unittest.TestCase):
    TRAIN = ["--stage=m3", "--epochs=1", "--train_size=2048", "--lr=0.05", "--verbose=0",
             "--notensorboard"]

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.folder = Path(cls.tmp.name)
        cls.trained = {}
        for backend in BACKENDS:
            result = run(["main.py", *cls.TRAIN, "--input=arrays",
                          f"--output_dir={cls.folder / backend}"], backend)
            cls.trained[backend] = result

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_each_backend_trains_the_stage(self):
        for backend, result in self.trained.items():
            with self.subTest(backend=backend):
                self.assertEqual(result.returncode, 0, result.stderr[-2000:])
                metrics = json.loads((self.folder / backend / "m3" / "metrics.json").read_text())
                self.assertEqual(metrics["versions"]["backend"], backend)
                self.assertEqual((metrics["input"], len(metrics["history"])), ("arrays", 1))
                self.assertEqual(metrics["params"]["total"], 8075)  # the same network
                self.assertGreater(metrics["history"][0]["accuracy"], 0.2)  # chance: 0.1

    def test_a_model_saved_under_one_backend_reads_the_same_under_the_others(self):
        (_, _), (images, _) = mnist_subset(0, 500)
        np.save(self.folder / "images.npy", images)
        models = [str(self.folder / b / "m3" / "last.keras") for b in BACKENDS]
        for backend in BACKENDS:
            result = run(["-c", PREDICT_EVERY_MODEL, str(self.folder / "images.npy"),
                          str(self.folder), *models], backend)
            self.assertEqual(result.returncode, 0, result.stderr[-2000:])
        for trained_on in BACKENDS:
            answers = {b: np.load(self.folder / f"{b}-reads-{trained_on}.npy") for b in BACKENDS}
            with self.subTest(trained_on=trained_on):
                for backend in BACKENDS:
                    np.testing.assert_array_equal(answers[backend], answers[trained_on])


@unittest.skipIf(importlib.util.find_spec("jax") is None,
                 "jax not installed (pip install -r requirements-backends.txt)")
@full_tier("trains on JAX in a subprocess")
class WithoutTensorFlowTest(unittest.TestCase):
    def test_train_evaluate_and_predict_without_tensorflow(self):
        with tempfile.TemporaryDirectory() as tmp:
            trained = run(["-c", WITHOUT_TENSORFLOW, "main.py", "--stage=m3", "--epochs=1",
                           "--train_size=1024", "--verbose=0", f"--output_dir={tmp}"], "jax")
            self.assertEqual(trained.returncode, 0, trained.stderr[-2000:])
            metrics = json.loads(Path(tmp, "m3", "metrics.json").read_text())
            self.assertEqual((metrics["input"], metrics["versions"]["backend"]), ("arrays", "jax"))
            self.assertFalse(Path(tmp, "m3", "tensorboard").exists())
            # m3 rotates its training images: the rotation is the model's first layer.
            self.assertIn("rotation", Path(tmp, "m3", "summary.txt").read_text())
            model = str(Path(tmp, "m3", "best.keras"))
            evaluated = run(["-c", WITHOUT_TENSORFLOW, "main.py", "--mode=evaluate",
                             f"--model={model}"], "jax")
            self.assertEqual(evaluated.returncode, 0, evaluated.stderr[-2000:])
            self.assertRegex(evaluated.stdout, r"test accuracy \d+\.\d\d%")
            predicted = run(["-c", WITHOUT_TENSORFLOW, "main.py", "--mode=predict",
                             f"--model={model}", "--images=samples"], "jax")
            self.assertEqual(predicted.returncode, 0, predicted.stderr[-2000:])
            self.assertEqual(len(predicted.stdout.strip().splitlines()), 5)
            refused = run(["-c", WITHOUT_TENSORFLOW, "main.py", "--input=dataset",
                           f"--output_dir={tmp}/other"], "jax")
            self.assertEqual(refused.returncode, 2)
            self.assertIn("--input=dataset needs TensorFlow", refused.stderr)


if __name__ == "__main__":
    unittest.main()
