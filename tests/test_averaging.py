"""Averaged weights with BatchNorm statistics of their own: what the statistics are, what
evaluation and checkpoints see, what training goes on from, reload and resume."""

import shutil
import tempfile
import unittest
from pathlib import Path
from unittest import mock

import keras
import numpy as np

from keras_mnist7.run import training
from keras_mnist7.run.averaging import (
    AveragedWeightsOwnStatistics,
    StatisticsProbe,
    batch_norm_layers,
    statistics,
)
from keras_mnist7.spec.run_spec import RunSpec
from keras_mnist7.spec.stages import get_stage
from tests.helpers import full_tier, mnist_subset, run_python
from tests.test_training import RELOAD_ELSEWHERE


def small_network():
    """Two BatchNormalization layers, the second after a dropout: its input depends on the
    first one's statistics and, in training, on dropout."""
    inputs = keras.Input((6, 6, 1))
    x = keras.layers.Conv2D(4, 3, use_bias=False)(inputs)
    x = keras.layers.BatchNormalization(momentum=0.9)(x)
    x = keras.layers.Dropout(0.3)(keras.layers.ReLU()(x))
    x = keras.layers.Conv2D(3, 3, use_bias=False)(x)
    x = keras.layers.BatchNormalization(momentum=0.9)(x)
    outputs = keras.layers.Dense(10, activation="softmax")(keras.layers.GlobalAveragePooling2D()(x))
    return keras.Model(inputs, outputs)


def bn_inputs(model, layer, images):
    """`layer`'s input over `images` in inference mode, channels last, as float64."""
    values = keras.Model(model.inputs, layer.input).predict(images, verbose=0)
    return values.reshape(-1, values.shape[-1]).astype("float64")


class StatisticsProbeTest(unittest.TestCase):
    def test_each_layer_gets_the_moments_of_its_input_in_inference_mode(self):
        keras.utils.set_random_seed(0)
        model = small_network()
        images = np.random.rand(700, 6, 6, 1).astype("float32") * 255
        before = statistics(model)
        StatisticsProbe(model, images, batch_size=256).recompute()  # batches of 234, 233, 233
        for layer in batch_norm_layers(model):
            values = bn_inputs(model, layer, images)
            np.testing.assert_allclose(layer.moving_mean.numpy(), values.mean(axis=0),
                                       rtol=1e-5, atol=1e-4)
            np.testing.assert_allclose(layer.moving_variance.numpy(), values.var(axis=0),
                                       rtol=1e-4)
        self.assertFalse(np.allclose(statistics(model)[1], before[1]))


class AveragedWeightsOwnStatisticsTest(unittest.TestCase):
    """Evaluation and the callbacks before it see the average with its own statistics;
    training, and the callbacks after it (the backup), the raw weights with theirs."""

    def test_evaluation_sees_the_average_with_its_statistics_and_training_goes_on_raw(self):
        keras.utils.set_random_seed(1)
        model = small_network()
        model.compile(keras.optimizers.SGD(0.1, momentum=0.9, use_ema=True, ema_momentum=0.8),
                      "sparse_categorical_crossentropy", metrics=["accuracy"])
        x = np.random.rand(256, 6, 6, 1).astype("float32") * 255
        y = np.random.randint(0, 10, 256)
        own_images = x[:128]
        averaged = AveragedWeightsOwnStatistics(own_images, (x, y))
        seen = {"epoch_end": [], "after": [], "begin": []}

        class Before(keras.callbacks.Callback):  # a checkpoint's place: before the swap back
            def on_train_batch_end(self, batch, logs=None):
                seen["raw"] = model.get_weights()  # with the BN statistics

            def on_epoch_end(self, epoch, logs=None):
                seen["epoch_end"].append((logs["val_loss"], model.get_weights(),
                                          model.evaluate(x, y, verbose=0)[0]))
                raw = keras.models.clone_model(model)
                raw.set_weights(seen["raw"])
                raw.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
                seen.setdefault("raw_scores", []).append(
                    ((logs["val_raw_loss"], logs["val_raw_accuracy"]), raw.evaluate(x, y, verbose=0)))

        class After(keras.callbacks.Callback):  # the backup's place: after it
            def on_epoch_end(self, epoch, logs=None):
                seen["after"].append((model.get_weights(), seen["raw"]))

            def on_train_batch_begin(self, batch, logs=None):
                if batch == 0:
                    seen["begin"].append(model.get_weights())

        model.fit(x, y, batch_size=32, epochs=2, verbose=0, validation_data=(x, y),
                  callbacks=[averaged, Before(), averaged.restorer(), After()])
        optimizer_average = [v.numpy() for v in model.optimizer._model_variables_moving_average]
        for (val_loss, weights, evaluated), (after, raw) in zip(
                seen["epoch_end"], seen["after"]):
            self.assertAlmostEqual(val_loss, evaluated, places=5)  # what was evaluated is kept
            for layer in batch_norm_layers(model):
                # The statistics the evaluation used are the average's own over own_images.
                index = model.layers.index(layer)
                averaged = keras.models.clone_model(model)
                averaged.set_weights(weights)
                values = bn_inputs(averaged, averaged.layers[index], own_images)
                moving_mean = averaged.layers[index].moving_mean.numpy()
                np.testing.assert_allclose(moving_mean, values.mean(axis=0), atol=1e-4)
            for got, want in zip(after, raw):  # the raw weights and statistics, exactly
                np.testing.assert_array_equal(got, want)
            self.assertFalse(np.allclose(weights[0], raw[0]))
        for got, want in zip(seen["begin"][1], seen["after"][0][1]):  # epoch 2 starts raw
            np.testing.assert_array_equal(got, want)
        for logged, evaluated in seen["raw_scores"]:  # the raw weights scored beside it
            np.testing.assert_allclose(logged, evaluated, rtol=1e-5)
        # At the end the optimizer still holds the average: the backup can resume it.
        np.testing.assert_array_equal(optimizer_average[0], seen["epoch_end"][-1][1][0])


@full_tier("trainings")
class AveragedRunTest(unittest.TestCase):
    """m5 on 1,024 images for 3 epochs, with the average's own statistics over 512 of them."""

    @classmethod
    def setUpClass(cls):
        cls.data = mnist_subset(1024, 500)
        cls.recipe = get_stage("m5").recipe_with(epochs=3, warmup_epochs=1, ema_momentum=0.99,
                                                 ema_bn_images=512)
        cls.run_dir = Path(tempfile.mkdtemp())
        cls.metrics = training.train(cls.spec(cls.run_dir), cls.data, 0)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.run_dir)

    @classmethod
    def spec(cls, folder):
        return RunSpec.of_stage("m5", folder, recipe=cls.recipe, tensorboard=False)

    def numbers(self, metrics):
        return [{k: v for k, v in row.items() if k != "epoch_seconds"}
                for row in metrics["history"]]

    def killed_and_resumed(self, recipe):
        """The history of a run killed after its second epoch's backup, then run again."""
        class Killed(Exception):
            pass

        class KillAfterSecondEpoch(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                if epoch == 1:
                    raise Killed

        run_callbacks = training.run_callbacks
        with_kill = lambda *args, **kwargs: [*run_callbacks(*args, **kwargs),
                                             KillAfterSecondEpoch()]
        with tempfile.TemporaryDirectory() as tmp:
            spec = RunSpec.of_stage("m5", tmp, recipe=recipe, tensorboard=False)
            with mock.patch.object(training, "run_callbacks", with_kill):
                with self.assertRaises(Killed):
                    training.train(spec, self.data, 0)
            return self.numbers(training.train(spec, self.data, 0))

    def test_a_killed_run_resumes_with_its_average_and_trains_on_exactly_as_without_it(self):
        resumed = self.killed_and_resumed(self.recipe)
        self.assertEqual(resumed[:2], self.numbers(self.metrics)[:2])
        # Training goes on from the raw weights and statistics, exactly: the raw run's numbers
        # (killed and resumed the same way) are the averaged run's, epoch by epoch.
        plain = self.killed_and_resumed(self.recipe.__class__(
            **{**self.recipe.__dict__, "ema_momentum": 0.0, "ema_bn_images": 0}))
        trained = lambda rows: [(row["loss"], row["accuracy"]) for row in rows]
        self.assertEqual(trained(resumed), trained(plain))
        self.assertNotEqual([row["val_loss"] for row in resumed],
                            [row["val_loss"] for row in plain])
        for averaged, raw in zip(resumed, plain):  # and scores the raw weights as that run did
            self.assertAlmostEqual(averaged["val_raw_accuracy"], raw["val_accuracy"], places=6)
            self.assertAlmostEqual(averaged["val_raw_loss"], raw["val_loss"], places=5)

    def test_the_saved_average_reloads_without_the_package_and_scores_as_recorded(self):
        (_, _), (x_test, y_test) = self.data
        with tempfile.TemporaryDirectory() as elsewhere:
            np.save(Path(elsewhere, "images.npy"), x_test)
            result = run_python(["-c", RELOAD_ELSEWHERE, str(self.run_dir / "last.keras"),
                                 "images.npy", "probs.npy"], cwd=elsewhere)
            self.assertEqual(result.returncode, 0, result.stderr[-2000:])
            probabilities = np.load(Path(elsewhere, "probs.npy"))
        accuracy = 100 * np.mean(probabilities.argmax(axis=1) == y_test)
        self.assertAlmostEqual(accuracy, 100 * self.metrics["history"][-1]["val_accuracy"],
                               places=2)

    def test_more_images_than_the_run_trains_on_are_refused_in_one_line(self):
        recipe = self.recipe.__class__(**{**self.recipe.__dict__, "ema_bn_images": 1025})
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp, "run")
            spec = RunSpec.of_stage("m5", folder, recipe=recipe, tensorboard=False)
            with self.assertRaisesRegex(ValueError, r"^--ema_bn_images must be at most the "
                                                    r"1,024 training images, got 1,025$"):
                training.train(spec, self.data, 0)
            self.assertFalse(folder.exists())


if __name__ == "__main__":
    unittest.main()
