"""Training a stage: compile, fit with the test set evaluated after every epoch (as the seed
did), and leave the run's artifacts in its folder while it goes."""

import dataclasses
import math
from pathlib import Path

import keras

from keras_mnist7 import pipeline
from keras_mnist7.artifacts import write_text
from keras_mnist7.callbacks import EpochTimer, LearningRateLogger, LiveCurves, MetricsWriter
from keras_mnist7.environment import describe_device, source_revision, versions
from keras_mnist7.models import build_model, param_counts
from keras_mnist7.receptive_field import receptive_field
from keras_mnist7.report import model_report

def optimizer_for(recipe, steps_per_epoch):
    """SGD with the recipe's schedule. Step decay: a number the LearningRateScheduler callback
    resets each epoch. Cosine: Keras' CosineDecay (linear warm-up from 0, cosine down to min_lr,
    then held there for the cool-down epochs), advanced every batch."""
    if recipe.schedule == "step":
        learning_rate = recipe.lr
    else:
        warmup_steps = recipe.warmup_epochs * steps_per_epoch
        decay_epochs = recipe.epochs - recipe.warmup_epochs - recipe.cooldown_epochs
        # Past decay_steps, CosineDecay holds lr * alpha: that is the cool-down at min_lr.
        learning_rate = keras.optimizers.schedules.CosineDecay(
            initial_learning_rate=0.0 if warmup_steps else recipe.lr,
            decay_steps=decay_epochs * steps_per_epoch, alpha=recipe.min_lr / recipe.lr,
            warmup_target=recipe.lr if warmup_steps else None, warmup_steps=warmup_steps)
    return keras.optimizers.SGD(learning_rate=learning_rate, momentum=recipe.momentum)


def run_callbacks(recipe, run_dir, title, facts):
    """Keras' built-ins for schedule, NaN guard, CSV and checkpoints; ours for time, plot, JSON.

    Order matters: the timer and the lr callback put epoch_seconds and learning_rate into the
    logs before the writers read them.
    """
    if recipe.schedule == "step":
        learning_rate = keras.callbacks.LearningRateScheduler(recipe.learning_rate)
    else:
        learning_rate = LearningRateLogger()
    return [
        EpochTimer(),
        learning_rate,
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
    pipeline.make_deterministic(seed)
    model = build_model(stage, dropout=recipe.dropout)
    (x_train, y_train), (x_test, y_test) = data
    steps_per_epoch = math.ceil(len(x_train) / recipe.batch_size)
    model.compile(optimizer=optimizer_for(recipe, steps_per_epoch),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    report = model_report(model)
    write_text(run_dir / "summary.txt", report)

    device = describe_device()
    facts = dict(stage=stage, command=command, recipe=dataclasses.asdict(recipe), seed=seed,
                 params=param_counts(model), receptive_field=receptive_field(model),
                 train_size=len(x_train), test_size=len(x_test), device=device,
                 versions=versions(), revision=source_revision(),
                 history_columns="val_* are the test set, evaluated after every epoch")
    if verbose:
        print(f"{report}\n[train] stage {stage}, {len(x_train):,} train / {len(x_test):,} test "
              f"images, on {device}; artifacts in {run_dir}/")
    callbacks = run_callbacks(recipe, run_dir, f"{stage} (seed {seed})", facts)
    model.fit(
        pipeline.train_dataset(x_train, y_train, recipe.batch_size, seed, recipe.rotation_degrees),
        validation_data=pipeline.test_dataset(x_test, y_test, batch_size=1000),
        epochs=recipe.epochs, callbacks=callbacks, verbose=verbose,
        shuffle=False)  # the dataset shuffles itself, with its seed
    return callbacks[-1].metrics
