"""Training a stage: compile, fit with the test set evaluated after every epoch (as the seed
did), and leave the run's artifacts in its folder while it goes."""

import dataclasses
import importlib.metadata
import platform
from pathlib import Path

import keras

from keras_mnist7 import pipeline
from keras_mnist7.artifacts import model_report, write_text
from keras_mnist7.callbacks import EpochTimer, LiveCurves, MetricsWriter
from keras_mnist7.models import param_counts
from keras_mnist7.receptive_field import receptive_field
from keras_mnist7.stages import build_model

ARTIFACTS = ("history.csv", "curves.png", "best.keras", "last.keras", "summary.txt", "metrics.json")


def cpu_name():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe_device():
    """The GPU(s) the backend sees, else the CPU: Keras places work on a GPU by itself."""
    gpus = [d for d in keras.distribution.list_devices() if d.lower().startswith("gpu")]
    if gpus:
        return f"GPU ({', '.join(gpus)})"
    return f"CPU ({cpu_name()}), no GPU visible"


def versions():
    found = {"python": platform.python_version(), "keras": keras.__version__,
             "backend": keras.config.backend()}
    for package in ("tensorflow", "numpy"):
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            pass
    return found


def prepare_run_dir(output_dir, stage):
    """<output_dir>/<stage>/, created and checked writable before any work starts."""
    run_dir = Path(output_dir) / stage
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        probe = run_dir / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as err:
        raise OSError(f"cannot write to {run_dir} ({err.strerror or err}): "
                      "choose another --output_dir") from None
    return run_dir


def run_callbacks(recipe, run_dir, title, facts):
    """Keras' built-ins for schedule, NaN guard, CSV and checkpoints; ours for time, plot, JSON.

    Order matters: the timer and the scheduler put epoch_seconds and learning_rate into the
    logs before the writers read them.
    """
    return [
        EpochTimer(),
        keras.callbacks.LearningRateScheduler(lambda epoch: recipe.learning_rate(epoch)),
        keras.callbacks.TerminateOnNaN(),
        keras.callbacks.ModelCheckpoint(run_dir / "best.keras", monitor="val_accuracy",
                                        mode="max", save_best_only=True),
        keras.callbacks.ModelCheckpoint(run_dir / "last.keras"),
        keras.callbacks.CSVLogger(run_dir / "history.csv"),
        LiveCurves(run_dir / "curves.png", title),
        MetricsWriter(run_dir / "metrics.json", facts),
    ]


def train(stage, recipe, data, run_dir, seed=0, verbose="auto", command=None):
    """Trains `stage` with `recipe` on ((x_train, y_train), (x_test, y_test)) uint8 arrays.

    Returns the content of metrics.json. The test set is evaluated after every epoch and
    reported; it steers nothing (the schedule is fixed in advance).
    """
    run_dir = Path(run_dir)
    keras.utils.set_random_seed(seed)
    model = build_model(stage, dropout=recipe.dropout)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=recipe.lr, momentum=recipe.momentum),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    report = model_report(model)
    write_text(run_dir / "summary.txt", report)
    print(report)

    (x_train, y_train), (x_test, y_test) = data
    device = describe_device()
    facts = dict(stage=stage, command=command, recipe=dataclasses.asdict(recipe), seed=seed,
                 params=param_counts(model), receptive_field=receptive_field(model),
                 train_size=len(x_train), test_size=len(x_test), device=device,
                 versions=versions(), history_columns="val_* are the test set, evaluated "
                                                      "after every epoch")
    print(f"[train] stage {stage}, {len(x_train):,} train / {len(x_test):,} test images, "
          f"on {device}; artifacts in {run_dir}/")
    callbacks = run_callbacks(recipe, run_dir, f"{stage} (seed {seed})", facts)
    model.fit(
        pipeline.train_dataset(x_train, y_train, recipe.batch_size, seed, recipe.rotation_degrees),
        validation_data=pipeline.test_dataset(x_test, y_test, batch_size=1000),
        epochs=recipe.epochs, callbacks=callbacks, verbose=verbose,
        shuffle=False)  # the dataset shuffles itself, with its seed
    return callbacks[-1].metrics
