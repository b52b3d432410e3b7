import json
import tempfile
import unittest
from pathlib import Path

import keras
import numpy as np

from keras_mnist7.callbacks import EpochTimer, LearningRateLogger, LiveCurves, MetricsWriter


class CallbacksTest(unittest.TestCase):
    def test_each_epoch_is_timed_plotted_and_written_as_it_ends(self):
        keras.utils.set_random_seed(0)
        inputs = keras.Input((4,))
        model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(inputs))
        model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
        x, y = np.random.rand(64, 4).astype("float32"), np.random.randint(0, 10, 64)
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


    def test_learning_rate_logger_reports_a_per_batch_schedule(self):
        inputs = keras.Input((2,))
        model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
        schedule = keras.optimizers.schedules.PolynomialDecay(1.0, decay_steps=4, end_learning_rate=0.0)
        model.compile(keras.optimizers.SGD(schedule), "mse")
        history = model.fit(np.zeros((8, 2)), np.zeros(8), batch_size=4, epochs=2, verbose=0,
                            callbacks=[LearningRateLogger()])
        self.assertEqual(history.history["learning_rate"], [0.5, 0.0])  # after 2 and 4 steps


if __name__ == "__main__":
    unittest.main()
