"""The run's own callbacks; everything else it uses is one of Keras' built-ins.

Each keeps the epochs it has seen as rows of Keras logs (val_* = the test set), 1-based.
"""

import time

import keras

from keras_mnist7.artifacts import summarize_history, write_json
from keras_mnist7.plots import plot_curves


class EpochTimer(keras.callbacks.Callback):
    """Puts `epoch_seconds` (training + test evaluation, wall clock) into each epoch's logs.

    Listed first, so the callbacks after it (CSVLogger, the writers below) see the value.
    """

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs["epoch_seconds"] = round(time.perf_counter() - self._start, 3)


class LearningRateLogger(keras.callbacks.Callback):
    """Puts the optimizer's `learning_rate` at the epoch's end into its logs.

    For per-batch schedules (Keras' CosineDecay), whose lr the LearningRateScheduler callback
    neither sets nor logs.
    """

    def on_epoch_end(self, epoch, logs=None):
        logs["learning_rate"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))


class _EpochRows(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.history = []

    def on_epoch_end(self, epoch, logs=None):
        self.history.append({"epoch": epoch + 1, **{k: float(v) for k, v in logs.items()}})
        self.write()


class LiveCurves(_EpochRows):
    """Redraws curves.png after every epoch, so a run can be watched as it goes."""

    def __init__(self, path, title):
        super().__init__()
        self.path, self.title = path, title

    def write(self):
        plot_curves(self.history, self.path, self.title)


class MetricsWriter(_EpochRows):
    """Rewrites metrics.json after every epoch: the run's facts, its history and its headline."""

    def __init__(self, path, facts):
        super().__init__()
        self.path = path
        self.metrics = {**facts, "history": self.history, "summary": None}

    def write(self):
        self.metrics["summary"] = summarize_history(self.history)
        write_json(self.path, self.metrics)
