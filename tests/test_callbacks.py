import csv
import json
import tempfile
import unittest
from pathlib import Path

import keras
import numpy as np

from keras_mnist7.run.callbacks import (
    AveragedWeights,
    EpochTimer,
    HistoryCsv,
    LearningRateLogger,
    LiveCurves,
    MetricsWriter,
    PublishCheckpoints,
    SealBackup,
)


def tiny_model():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(inputs))
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model, np.random.rand(64, 4).astype("float32"), np.random.randint(0, 10, 64)


class CallbacksTest(unittest.TestCase):
    def test_each_epoch_is_timed_plotted_and_written_as_it_ends(self):
        model, x, y = tiny_model()
        written = []

        with tempfile.TemporaryDirectory() as tmp:
            metrics_path, curves_path = Path(tmp, "metrics.json"), Path(tmp, "curves.png")

            class Spy(keras.callbacks.Callback):  # reads the files after each epoch's writers
                def on_epoch_end(self, epoch, logs=None):
                    written.append((json.loads(metrics_path.read_text()), curves_path.exists()))

            writer = MetricsWriter(metrics_path, {"stage": "tiny"})
            history = model.fit(x, y, validation_data=(x, y), epochs=3, verbose=0, callbacks=[
                EpochTimer(), LiveCurves(curves_path, "tiny"), writer, Spy()])

        self.assertEqual(len(history.history["epoch_seconds"]), 3)
        self.assertTrue(all(s > 0 for s in history.history["epoch_seconds"]))
        self.assertEqual([len(m["history"]) for m, _ in written], [1, 2, 3])
        self.assertTrue(all(exists for _, exists in written))
        final = written[-1][0]
        self.assertEqual(final["stage"], "tiny")
        self.assertEqual([row["epoch"] for row in final["history"]], [1, 2, 3])
        self.assertEqual(final["summary"]["epochs_run"], 3)
        self.assertEqual(writer.metrics, final)
        self.assertNotIn("stopped", final)

    def test_a_resumed_run_continues_the_rows_on_record_and_drops_those_past_the_backup(self):
        model, x, y = tiny_model()
        # On record: epochs 1-3, but the backup holds 2 (a kill between the files and it).
        previous = [{"epoch": e, "loss": 9.0, "accuracy": 0.1, "val_loss": 9.0,
                     "val_accuracy": 0.1, "epoch_seconds": 1.0} for e in (1, 2, 3)]
        with tempfile.TemporaryDirectory() as tmp:
            csv_path = Path(tmp, "history.csv")
            writer = MetricsWriter(Path(tmp, "metrics.json"), {}, previous)
            model.fit(x, y, validation_data=(x, y), initial_epoch=2, epochs=4, verbose=0,
                      callbacks=[EpochTimer(), HistoryCsv(csv_path, previous), writer])
            with open(csv_path) as f:
                rows = list(csv.DictReader(f))
        self.assertEqual([row["epoch"] for row in rows], ["1", "2", "3", "4"])
        self.assertEqual([row["loss"] for row in rows[:2]], ["9.0", "9.0"])
        self.assertNotEqual(rows[2]["loss"], "9.0")  # epoch 3 trained again
        self.assertEqual([row["epoch"] for row in writer.metrics["history"]], [1, 2, 3, 4])

    def test_a_run_ended_short_by_terminate_on_nan_says_why(self):
        model, x, y = tiny_model()
        model.compile(keras.optimizers.SGD(1e30), "sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        with tempfile.TemporaryDirectory() as tmp:
            writer = MetricsWriter(Path(tmp, "metrics.json"), {})
            model.fit(x * 1e10, y, validation_data=(x, y), epochs=5, batch_size=8, verbose=0,
                      callbacks=[EpochTimer(), keras.callbacks.TerminateOnNaN(), writer])
            on_disk = json.loads(Path(tmp, "metrics.json").read_text())
        self.assertLess(len(on_disk["history"]), 5)
        self.assertRegex(on_disk["stopped"], r"NaN or infinite in epoch \d \(TerminateOnNaN\)")

    def test_each_backup_keras_saves_is_sealed_and_the_older_one_dropped(self):
        model, x, y = tiny_model()
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp, "backup")
            seen = []

            class Spy(keras.callbacks.Callback):
                def on_epoch_end(self, epoch, logs=None):
                    seen.append(sorted(p.name for p in root.iterdir()))

            model.fit(x, y, epochs=2, verbose=0, callbacks=[
                keras.callbacks.BackupAndRestore(root / "keras"), SealBackup(root), Spy()])
            self.assertFalse(root.exists())  # removed once the run ended
        self.assertEqual(seen, [["epoch-0001", "keras"], ["epoch-0002", "keras"]])

    def test_checkpoints_are_published_by_rename_only_when_saved(self):
        with tempfile.TemporaryDirectory() as tmp:
            temp, final, untouched = (Path(tmp, name) for name in (".a.tmp.keras", "a.keras",
                                                                    "b.keras"))
            temp.write_text("new")
            untouched.write_text("old")
            PublishCheckpoints([(temp, final), (Path(tmp, ".b.tmp.keras"), untouched)]
                               ).on_epoch_end(0)
            self.assertEqual((final.read_text(), untouched.read_text()), ("new", "old"))
            self.assertFalse(temp.exists())

    def test_learning_rate_logger_reports_a_per_batch_schedule(self):
        inputs = keras.Input((2,))
        model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
        schedule = keras.optimizers.schedules.PolynomialDecay(1.0, decay_steps=4, end_learning_rate=0.0)
        model.compile(keras.optimizers.SGD(schedule), "mse")
        history = model.fit(np.zeros((8, 2)), np.zeros(8), batch_size=4, epochs=2, verbose=0,
                            callbacks=[LearningRateLogger()])
        self.assertEqual(history.history["learning_rate"], [0.5, 0.0])  # after 2 and 4 steps


class AveragedWeightsTest(unittest.TestCase):
    """Evaluation and whatever saves after the swap see the average; training goes on raw."""

    def setUp(self):
        keras.utils.set_random_seed(0)
        inputs = keras.Input((4,))
        self.model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(inputs))
        self.model.compile(keras.optimizers.SGD(0.5, use_ema=True, ema_momentum=0.9),
                           "sparse_categorical_crossentropy")
        self.x, self.y = np.random.rand(64, 4).astype("float32"), np.random.randint(0, 10, 64)

    def weights(self):
        return [w.copy() for w in self.model.get_weights()]

    def test_evaluation_and_later_callbacks_see_the_average_and_training_resumes_raw(self):
        seen = {"raw_end": [], "epoch_end": [], "raw_begin": [], "val_loss": []}
        model = self.model

        class Probe(keras.callbacks.Callback):
            def on_train_batch_begin(self, batch, logs=None):
                if batch == 0:
                    seen["raw_begin"].append([w.copy() for w in model.get_weights()])

            def on_train_batch_end(self, batch, logs=None):
                seen["raw_end"] = [w.copy() for w in model.get_weights()]

            def on_epoch_end(self, epoch, logs=None):
                seen["epoch_end"].append([w.copy() for w in model.get_weights()])
                seen["val_loss"].append((logs["val_loss"], model.evaluate(
                    self.x, self.y, verbose=0)))
                seen.setdefault("raw_at_epoch_end", []).append(seen["raw_end"])

        probe = Probe()
        probe.x, probe.y = self.x, self.y
        self.model.fit(self.x, self.y, batch_size=8, epochs=2, verbose=0,
                       validation_data=(self.x, self.y), callbacks=[AveragedWeights(), probe])
        averaged, raw = seen["epoch_end"][0], seen["raw_at_epoch_end"][0]
        self.assertFalse(np.allclose(averaged[0], raw[0]))  # the model holds the average
        for val_loss, evaluated in seen["val_loss"]:
            self.assertAlmostEqual(val_loss, evaluated, places=5)  # evaluated on the average
        for got, want in zip(seen["raw_begin"][1], raw):  # epoch 2 trains on from the raw ones
            np.testing.assert_allclose(got, want, atol=1e-6)

    def test_a_resumed_run_swaps_the_raw_weights_back_before_training(self):
        self.model.optimizer.build(self.model.trainable_variables)
        average = self.weights()
        for variable, value in zip(self.model.optimizer._model_variables_moving_average,
                                   self.weights()):
            variable.assign(value + 1.0)  # the raw weights, as a backup keeps them
        callback = AveragedWeights(resumed=True)
        callback.set_model(self.model)
        callback.on_epoch_begin(0)
        for got, want in zip(self.weights(), average):
            np.testing.assert_allclose(got, want + 1.0, atol=1e-6)


if __name__ == "__main__":
    unittest.main()
