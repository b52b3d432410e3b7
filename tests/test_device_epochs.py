"""The data-on-the-device loop (JAX): it trains, its evaluation is Keras' own, and the model it
leaves behind is the one it evaluated. Runs in a JAX process of its own."""

import importlib.util
import json
import os
import subprocess
import sys
import unittest

from tests.helpers import REPO, full_tier

CODE = """
import json
import numpy as np
from keras_mnist7.run.device_epochs import train_on_device
from keras_mnist7.run.training import compiled_model
from keras_mnist7.spec.run_spec import RunSpec
from keras_mnist7.spec.stages import get_stage
from tests.helpers import mnist_subset

data = mnist_subset(2048, 500)
spec = RunSpec.of_stage("m5", "unused", input="arrays", tensorboard=False,
                        recipe=get_stage("m5").recipe_with(epochs=3))
runs = []
for _ in range(2):
    model = compiled_model(spec, 2048)
    rows = train_on_device(model, spec.recipe, data, spec.seed)
    (x_test, y_test) = data[1]
    loss, accuracy = model.evaluate(x_test[..., None], y_test, verbose=0)
    runs.append({"rows": rows, "keras_loss": loss, "keras_acc": round(100 * accuracy, 2)})
print("RESULT " + json.dumps(runs))
"""


@full_tier("two short JAX trainings")
@unittest.skipIf(importlib.util.find_spec("jax") is None,
                 "needs JAX (pip install -r requirements-backends.txt)")
class DeviceEpochsTest(unittest.TestCase):
    def test_it_trains_repeats_and_leaves_the_model_it_evaluated(self):
        result = subprocess.run([sys.executable, "-c", CODE], cwd=REPO, capture_output=True,
                                text=True, timeout=900, env={**os.environ, "KERAS_BACKEND": "jax",
                                                             "TF_CPP_MIN_LOG_LEVEL": "2"})
        self.assertEqual(result.returncode, 0, result.stderr[-3000:])
        line = next(l for l in result.stdout.splitlines() if l.startswith("RESULT "))
        first, second = json.loads(line[len("RESULT "):])
        last = first["rows"][-1]
        self.assertGreater(last["test_acc"], 50)  # chance is 10
        self.assertGreater(last["accuracy"], first["rows"][0]["accuracy"])
        # Keras' evaluate on the model afterwards: the same weights, the same answers.
        self.assertEqual(first["keras_acc"], last["test_acc"])
        self.assertAlmostEqual(first["keras_loss"], last["test_loss"], places=4)
        # The seed fixes the initial weights, the order and the dropout.
        self.assertEqual([r["test_acc"] for r in first["rows"]],
                         [r["test_acc"] for r in second["rows"]])


if __name__ == "__main__":
    unittest.main()
