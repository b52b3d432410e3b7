"""The run's own callbacks; everything else it uses is one of Keras' built-ins.

Each keeps the epochs it has seen as rows of Keras logs (val_* = the test set), 1-based.
"""

import csv
import io
import os
import shutil
import time
from pathlib import Path

import keras

from keras_mnist7.output.files import failed_write, summarize_history, write_json, write_text
from keras_mnist7.output.plots import plot_curves
from keras_mnist7.run.run_state import KERAS_BACKUP, sealed_backup_name


class EpochTimer(keras.callbacks.Callback):
    """Puts `epoch_seconds` (training + test evaluation, wall clock) into each epoch's logs,
    and keeps each epoch's training and evaluation seconds apart in `rows`, with its test
    accuracy: what the speed benchmark reports.

    Listed first, so the callbacks after it (CSVLogger, the writers below) see the value.
    """

    def __init__(self):
        super().__init__()
        self.rows = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()
        self._test_seconds = 0.0

    def on_test_begin(self, logs=None):
        self._test_start = time.perf_counter()

    def on_test_end(self, logs=None):
        self._test_seconds += time.perf_counter() - self._test_start

    def on_epoch_end(self, epoch, logs=None):
        total = time.perf_counter() - self._start
        logs["epoch_seconds"] = round(total, 3)
        self.rows.append({"train_seconds": total - self._test_seconds,
                          "eval_seconds": self._test_seconds,
                          "test_acc": round(100 * float(logs.get("val_accuracy", 0.0)), 2)})


class LearningRateLogger(keras.callbacks.Callback):
    """Puts the optimizer's `learning_rate` at the epoch's end into its logs.

    For per-batch schedules (Keras' CosineDecay), whose lr the LearningRateScheduler callback
    neither sets nor logs.
    """

    def on_epoch_end(self, epoch, logs=None):
        logs["learning_rate"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))


class AveragedWeights(keras.callbacks.SwapEMAWeights):
    """Keras' SwapEMAWeights with swap_on_epoch: evaluation, checkpoints and backups see the
    optimizer's moving average of the weights, training goes on from the raw weights.

    A backup is therefore saved with the average in the model (and the raw weights in the
    optimizer's slots): in a resumed run, the first epoch swaps them back before it trains.
    """

    def __init__(self, resumed=False):
        super().__init__(swap_on_epoch=True)
        self._ema_weights_in_model = resumed


class _EpochRows(keras.callbacks.Callback):
    """Keeps one row per finished epoch; a resumed run starts from the rows already on record."""

    def __init__(self, previous=()):
        super().__init__()
        self.history = list(previous)

    def on_epoch_begin(self, epoch, logs=None):
        # Keras resumes at the first epoch its backup does not hold: a row past it was written
        # just before a kill, and that epoch is trained again.
        del self.history[epoch:]

    def on_epoch_end(self, epoch, logs=None):
        self.history.append({"epoch": epoch + 1, **{k: float(v) for k, v in logs.items()}})
        self.write()


class HistoryCsv(_EpochRows):
    """history.csv, rewritten whole after every epoch.

    Keras' CSVLogger appends in place: a kill can leave half a row, and a resumed run cannot
    take back a row past the backup. This file is replaced by a rename, never half-written.
    """

    def __init__(self, path, previous=()):
        super().__init__(previous)
        self.path = path

    def write(self):
        columns = list(dict.fromkeys(key for row in self.history for key in row))
        text = io.StringIO()
        writer = csv.DictWriter(text, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.history)
        write_text(self.path, text.getvalue())


class LiveCurves(_EpochRows):
    """Redraws curves.png after every epoch, so a run can be watched as it goes."""

    def __init__(self, path, title, previous=()):
        super().__init__(previous)
        self.path, self.title = path, title

    def write(self):
        plot_curves(self.history, self.path, self.title)


class MetricsWriter(_EpochRows):
    """Rewrites metrics.json after every epoch: the run's facts, its history and its headline."""

    def __init__(self, path, facts, previous=()):
        super().__init__(previous)
        self.path = path
        self.metrics = {**facts, "history": self.history, "summary": None}

    def write(self):
        self.metrics["summary"] = summarize_history(self.history)
        write_json(self.path, self.metrics)

    def on_train_end(self, logs=None):
        """A run that ends short of its epochs was stopped by TerminateOnNaN: say so."""
        if len(self.history) < self.params["epochs"]:
            self.metrics["stopped"] = (f"the loss became NaN or infinite in epoch "
                                       f"{len(self.history)} (TerminateOnNaN)")
            self.write()


class PublishCheckpoints(keras.callbacks.Callback):
    """Renames what each ModelCheckpoint saved to a temp name over the final name.

    Listed after the checkpoints: a kill while Keras writes a .keras file leaves the previous
    file whole. `pairs` are (temp path, final path); a checkpoint that did not save (not the
    best epoch) left no temp file.
    """

    def __init__(self, pairs):
        super().__init__()
        self.pairs = pairs

    def on_epoch_end(self, epoch, logs=None):
        for temp, final in self.pairs:
            if os.path.exists(temp):
                try:
                    os.replace(temp, final)
                except OSError as err:
                    raise failed_write(final, err) from err


class ResumeNotice(keras.callbacks.Callback):
    """Says where a resumed run picks up: the epoch Keras' BackupAndRestore restored."""

    def __init__(self, run_dir):
        super().__init__()
        self.run_dir, self._told = run_dir, False

    def on_epoch_begin(self, epoch, logs=None):
        if epoch and not self._told:
            print(f"[resume] {self.run_dir}: epochs 1-{epoch} restored, training epoch {epoch + 1}")
        self._told = True


class SealBackup(keras.callbacks.Callback):
    """Seals what Keras' BackupAndRestore just saved: a copy of its folder, renamed into place.

    BackupAndRestore overwrites its files in place, so a kill mid-save leaves a file cut short
    (h5py then fails with an error Keras' own fallback does not catch). Listed right after it;
    run_state.restore_sealed_backup() puts the newest sealed copy back before a resumed fit().
    """

    def __init__(self, root):
        super().__init__()
        self.root = Path(root)

    def on_epoch_end(self, epoch, logs=None):
        sealed = self.root / sealed_backup_name(epoch + 1)
        temp = sealed.with_name(f"{sealed.name}.tmp")
        shutil.rmtree(temp, ignore_errors=True)
        try:
            shutil.copytree(self.root / KERAS_BACKUP, temp)
            os.replace(temp, sealed)
        except OSError as err:  # the previous sealed copy is still whole
            raise failed_write(sealed, err) from err
        for older in self.root.glob("epoch-[0-9][0-9][0-9][0-9]"):
            if older != sealed:
                shutil.rmtree(older)

    def on_train_end(self, logs=None):
        shutil.rmtree(self.root, ignore_errors=True)  # the run is over: nothing to resume
