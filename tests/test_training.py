"""A real, short training run on a small MNIST subset: every artifact, and a reload elsewhere."""

import csv
import dataclasses
import json
import shutil
import tempfile
import unittest
from pathlib import Path

import keras
import numpy as np

from keras_mnist7.run.training import (
    compiled_model,
    default_steps_per_execution,
    fit_inputs,
    learning_rate_for,
    optimizer_for,
    train,
)
from keras_mnist7.spec.run_spec import RunSpec
from keras_mnist7.spec.stages import get_stage
from tests.helpers import full_tier, mnist_subset, run_python

ARTIFACTS = ("history.csv", "curves.png", "best.keras", "last.keras", "summary.txt", "metrics.json",
             "confusion.png", "mistakes.png", "evaluation.json")

RELOAD_ELSEWHERE = """
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
images = np.load(sys.argv[2])
assert images.dtype == np.uint8 and images.ndim == 3
np.save(sys.argv[3], model.predict(images, verbose=0))
assert "keras_mnist7" not in sys.modules
"""


@full_tier("trainings")
class SmokeRunTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.run_dir = Path(tempfile.mkdtemp())
        cls.data = mnist_subset(2048, 1000)
        recipe = get_stage("m4").recipe_with(epochs=2, step_size=1, gamma=0.5)
        cls.metrics = train(RunSpec.of_stage("m4", cls.run_dir, recipe=recipe), cls.data, 0)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.run_dir)

    def test_every_artifact_is_written(self):
        for name in ARTIFACTS:
            self.assertGreater((self.run_dir / name).stat().st_size, 0, name)
        self.assertTrue((self.run_dir / "curves.png").read_bytes().startswith(b"\x89PNG"))
        self.assertIn("Receptive field: 38 px", (self.run_dir / "summary.txt").read_text())

    def test_tensorboard_logs_every_epochs_scalars_and_the_graph(self):
        import tensorflow as tf

        tags = {}
        for events in sorted((self.run_dir / "tensorboard").glob("*/events.out.tfevents*")):
            for event in tf.compat.v1.train.summary_iterator(str(events)):
                for value in event.summary.value:
                    tags.setdefault(events.parent.name, set()).add(value.tag)
        # "keras": the model's layer graph, which TensorBoard's Graphs tab draws.
        self.assertLessEqual({"epoch_loss", "epoch_accuracy", "epoch_learning_rate",
                              "epoch_epoch_seconds", "keras"}, tags["train"])
        self.assertLessEqual({"epoch_loss", "epoch_accuracy"}, tags["validation"])

    def test_history_csv_has_one_row_per_epoch_with_lr_and_time(self):
        with open(self.run_dir / "history.csv") as f:
            rows = list(csv.DictReader(f))
        self.assertEqual(len(rows), 2)
        for column in ("learning_rate", "loss", "accuracy", "val_loss", "val_accuracy",
                       "epoch_seconds"):
            self.assertIn(column, rows[0])
        self.assertEqual([round(float(r["learning_rate"]), 6) for r in rows], [0.05, 0.025])

    def test_metrics_json_describes_the_run(self):
        metrics = json.loads((self.run_dir / "metrics.json").read_text())
        self.assertEqual(metrics, json.loads(json.dumps(self.metrics)))
        self.assertEqual((metrics["stage"], metrics["seed"], metrics["train_size"]), ("m4", 0, 2048))
        self.assertEqual(metrics["params"], {"trainable": 7905, "non_trainable": 170, "total": 8075})
        self.assertEqual(metrics["recipe"]["lr"], 0.05)
        self.assertIn("CPU", metrics["device"])
        self.assertEqual(metrics["versions"]["backend"], "tensorflow")
        self.assertEqual(len(metrics["history"]), 2)
        accuracies = [round(100 * row["val_accuracy"], 2) for row in metrics["history"]]
        self.assertEqual(metrics["summary"]["last4_test_acc"], accuracies)
        self.assertEqual(metrics["summary"]["best_test_acc"]["pct"], max(accuracies))

    def test_best_model_reloads_in_a_process_that_never_imports_the_package(self):
        (_, _), (x_test, y_test) = self.data
        best = self.run_dir / "best.keras"
        with tempfile.TemporaryDirectory() as elsewhere:
            np.save(Path(elsewhere, "images.npy"), x_test)
            result = run_python(["-c", RELOAD_ELSEWHERE, str(best), "images.npy", "probs.npy"],
                                cwd=elsewhere)
            self.assertEqual(result.returncode, 0, result.stderr[-2000:])
            probabilities = np.load(Path(elsewhere, "probs.npy"))
        here = keras.saving.load_model(best).predict(x_test, verbose=0)
        np.testing.assert_allclose(probabilities, here, atol=1e-6)
        np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
        # It is the best epoch's model: its accuracy is the best test accuracy recorded.
        accuracy = 100 * np.mean(probabilities.argmax(axis=1) == y_test)
        self.assertAlmostEqual(accuracy, self.metrics["summary"]["best_test_acc"]["pct"], places=2)


@full_tier("trainings")
class RepeatabilityTest(unittest.TestCase):
    def test_same_seed_same_history_on_cpu(self):
        data = mnist_subset(1024, 500)
        recipe = get_stage("m3").recipe_with(epochs=1)  # m3: rotation, dropout, shuffling
        runs = []
        for _ in range(2):
            with tempfile.TemporaryDirectory() as tmp:
                spec = RunSpec.of_stage("m3", tmp, recipe=recipe, seed=5, tensorboard=False)
                history = train(spec, data, verbose=0)["history"]
            runs.append([{k: v for k, v in row.items() if k != "epoch_seconds"} for row in history])
        self.assertEqual(runs[0], runs[1])


    def test_many_steps_per_execution_give_the_numbers_of_one(self):
        """Bit for bit, weights included, with an epoch that does not divide into calls:
        1,000 images at batch 16 are 63 steps, one call of 32 and one of 31. With clean
        epochs the epochs are one stream fit with steps_per_epoch, where Keras runs whole
        calls: the default takes a count that divides the epoch."""
        data = mnist_subset(1000, 500)
        # m5: the cosine schedule moves the lr every step, inside the executions.
        recipe = get_stage("m5").recipe_with(epochs=3, warmup_epochs=1, rotation_degrees=5.0)
        for clean_epochs in (0, 1):
            spec = RunSpec.of_stage("m5", "unused", seed=3, recipe=dataclasses.replace(
                recipe, clean_epochs=clean_epochs))
            histories, weights = [], []
            for steps in (1, None):
                model = compiled_model(spec, len(data[0][0]), steps_per_execution=steps)
                histories.append(model.fit(**fit_inputs(spec, data), epochs=3,
                                           verbose=0).history)
                self.assertEqual(int(model.optimizer.iterations), 3 * 63)
                weights.append(model.get_weights())
            self.assertEqual(histories[0], histories[1])
            for one, many in zip(*weights):
                np.testing.assert_array_equal(one, many)
            self.assertEqual(model.steps_per_execution, 21 if clean_epochs else 32)

    def test_the_saved_file_asks_for_one_step_per_execution(self):
        """Keras' PyTorch backend refuses a file that asks for more."""
        spec = RunSpec.of_stage("m5", "unused")
        model = compiled_model(spec, 1000)
        self.assertEqual(model.steps_per_execution, default_steps_per_execution())
        with tempfile.TemporaryDirectory() as tmp:
            model.save(Path(tmp, "m5.keras"))
            reloaded = keras.saving.load_model(Path(tmp, "m5.keras"))
        self.assertEqual(reloaded.steps_per_execution, 1)


@full_tier("trainings")
class StoppedRunTest(unittest.TestCase):
    def test_a_diverging_run_is_stopped_says_why_and_keeps_its_best_model(self):
        recipe = get_stage("m1").recipe_with(epochs=3, lr=1e6)
        with tempfile.TemporaryDirectory() as tmp:
            metrics = train(RunSpec.of_stage("m1", tmp, recipe=recipe), mnist_subset(512, 200), 0)
            self.assertTrue(keras.saving.load_model(Path(tmp, "best.keras")).built)
            on_disk = json.loads(Path(tmp, "metrics.json").read_text())
        self.assertLess(len(metrics["history"]), 3)
        self.assertRegex(on_disk["stopped"], "NaN or infinite in epoch 1 .TerminateOnNaN.")


@full_tier("trainings")
class OptimizerTest(unittest.TestCase):
    def test_cosine_schedule_warms_up_decays_then_cools_down(self):
        recipe = get_stage("m5").recipe_with(lr=0.1, epochs=12, warmup_epochs=2,
                                             cooldown_epochs=2, min_lr=0.002)
        schedule = learning_rate_for(recipe, steps_per_epoch=100)
        lr = lambda step: float(keras.ops.convert_to_numpy(schedule(step)))
        self.assertAlmostEqual(lr(0), 0.0)
        self.assertAlmostEqual(lr(100), 0.05, places=6)  # half-way up the warm-up
        self.assertAlmostEqual(lr(200), 0.1, places=6)  # peak
        self.assertAlmostEqual(lr(600), 0.051, places=6)  # half-way down to min_lr
        for step in (1000, 1100, 1199):  # the cool-down epochs
            self.assertAlmostEqual(lr(step), 0.002, places=6)

    def test_step_schedule_is_a_plain_lr_for_the_callback_to_set(self):
        optimizer = optimizer_for(get_stage("m4").recipe, steps_per_epoch=100)
        self.assertAlmostEqual(float(keras.ops.convert_to_numpy(optimizer.learning_rate)), 0.05)
        self.assertAlmostEqual(optimizer.momentum, 0.9)

    def test_weight_decay_is_keras_sgds_own(self):
        optimizer = optimizer_for(get_stage("m5").recipe, steps_per_epoch=100)
        self.assertEqual(optimizer.weight_decay, get_stage("m5").recipe.weight_decay)
        self.assertIsNone(optimizer_for(get_stage("m4").recipe, steps_per_epoch=100).weight_decay)

    def test_weight_averaging_is_keras_sgds_own_ema(self):
        recipe = get_stage("m5").recipe_with(ema_momentum=0.995)
        optimizer = optimizer_for(recipe, steps_per_epoch=100)
        self.assertEqual((optimizer.use_ema, optimizer.ema_momentum), (True, 0.995))
        self.assertFalse(optimizer_for(get_stage("m5").recipe, steps_per_epoch=100).use_ema)


if __name__ == "__main__":
    unittest.main()
