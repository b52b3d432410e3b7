"""scripts/gpu.sh's dry run on the CPU: the GPU script works before a GPU is lent, with JAX and
without TensorFlow (shadowed here by a package that refuses to import)."""

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

from tests.helpers import REPO, full_tier


@full_tier("six short JAX trainings")
@unittest.skipIf(importlib.util.find_spec("jax") is None,
                 "needs JAX (pip install -r requirements-backends.txt)")
class GpuScriptDryRunTest(unittest.TestCase):
    def test_every_run_writes_its_record_without_tensorflow(self):
        with tempfile.TemporaryDirectory() as tmp:
            hidden = Path(tmp, "hidden", "tensorflow")
            hidden.mkdir(parents=True)
            (hidden / "__init__.py").write_text("raise ImportError('TensorFlow is hidden')\n")
            out = Path(tmp, "gpu")  # --results_dir=tmp
            env = {**os.environ, "PYTHON": sys.executable, "PYTHONPATH": str(hidden.parent),
                   "TF_CPP_MIN_LOG_LEVEL": "2"}
            result = subprocess.run(["bash", "scripts/gpu.sh", tmp, "--epochs=3",
                                     "--train_size=512"], cwd=REPO,
                                    env=env, capture_output=True, text=True, timeout=900)
            self.assertEqual(result.returncode, 0, result.stderr[-3000:])
            device = json.loads((out / "device.json").read_text())
            self.assertEqual((device["backend"], device["dry_run"]), ("jax", True))
            names = sorted(path.name for path in out.iterdir())
            self.assertEqual(names, ["device.json", "m4-device.json", "m4-spe1.json",
                                     "m4-spe32.json", "m5-device.json", "m5-spe1.json",
                                     "m5-spe32.json"])
            runs = {name: json.loads((out / name).read_text()) for name in names[1:]}
            for name, run in runs.items():
                self.assertEqual(len(run["test_acc"]), 3, name)
                self.assertGreater(run["images_per_second"], 0)
            # Fewer trips through Python, the same numbers.
            self.assertEqual(runs["m5-spe1.json"]["test_acc"], runs["m5-spe32.json"]["test_acc"])
        self.assertIn("[gpu] m5, fit, steps_per_execution 32", result.stdout)
        self.assertIn("[gpu] m5, the data on the device", result.stdout)


if __name__ == "__main__":
    unittest.main()
