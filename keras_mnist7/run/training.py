"""Training a stage: compile, fit with the test set evaluated after every epoch (as the seed
did), and leave the run's artifacts in its folder while it goes."""

import math
from pathlib import Path

import keras
import numpy as np

from keras_mnist7.data.augmentation import augmentation
from keras_mnist7.data.mnist import cv_split
from keras_mnist7.model.builders import build_network, param_counts
from keras_mnist7.model.receptive_field import receptive_field
from keras_mnist7.model.summary import model_report
from keras_mnist7.output.files import write_text
from keras_mnist7.run import distillation
from keras_mnist7.run.averaging import AveragedWeightsOwnStatistics
from keras_mnist7.run.callbacks import (
    AveragedWeights,
    EpochTimer,
    HistoryCsv,
    LearningRateLogger,
    LiveCurves,
    MetricsWriter,
    PublishCheckpoints,
    ResumeNotice,
    SealBackup,
)
from keras_mnist7.run.environment import describe_device, limit_threads, source_revision, versions
from keras_mnist7.run.evaluation import describe, write_evaluation
from keras_mnist7.run.run_state import (
    BACKUP_DIR,
    KERAS_BACKUP,
    TENSORBOARD_DIR,
    read_metrics,
    remove_temp_files,
    restore_sealed_backup,
    run_identity,
    run_status,
)
from keras_mnist7.spec.architecture import NUM_CLASSES
from keras_mnist7.spec.run_spec import CV_FOLDS

STEPS_PER_EXECUTION = 32  # on TensorFlow (default_steps_per_execution)


def evaluation_set(spec, images=None, group=False):
    """What the val_* columns of a run (a RunSpec) measure, in words; `group`: of each run of
    a benchmark of several seeds."""
    holdout = spec.holdout
    if spec.cv:
        fold = f"k mod {CV_FOLDS}, for seed k," if group else spec.cv_fold
        return (f"fold {fold} of the training images' {CV_FOLDS} cross-validation folds, held "
                "out (--cv; the test set is not used)")
    if holdout:
        return (f"the last {holdout:,} training images, held out (--holdout; the test set is not "
                "used)")
    return "the test set" if images is None else f"the {images:,} test images"


def learning_rate_for(recipe, steps_per_epoch):
    """Step decay: a number the LearningRateScheduler callback resets each epoch. Cosine: Keras'
    CosineDecay (linear warm-up from 0, cosine down to min_lr, then held there for the
    cool-down epochs), advanced every batch by the optimizer's step count -- which a resumed
    run restores, so its schedule carries on where it stopped."""
    if recipe.schedule == "step":
        return recipe.lr
    warmup_steps = recipe.warmup_epochs * steps_per_epoch
    decay_epochs = recipe.epochs - recipe.warmup_epochs - recipe.cooldown_epochs
    # Past decay_steps, CosineDecay holds lr * alpha: that is the cool-down at min_lr.
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.0 if warmup_steps else recipe.lr,
        decay_steps=decay_epochs * steps_per_epoch, alpha=recipe.min_lr / recipe.lr,
        warmup_target=recipe.lr if warmup_steps else None, warmup_steps=warmup_steps)


def optimizer_for(recipe, steps_per_epoch):
    """SGD with momentum (or AdamW, momentum its beta_1), the recipe's schedule, its weight
    decay (Keras' decoupled one) and, with ema_momentum, Keras' moving average of the weights."""
    common = dict(learning_rate=learning_rate_for(recipe, steps_per_epoch),
                  weight_decay=recipe.weight_decay or None, use_ema=bool(recipe.ema_momentum),
                  ema_momentum=recipe.ema_momentum or 0.99)
    if recipe.optimizer == "adamw":
        return keras.optimizers.AdamW(beta_1=recipe.momentum,
                                      **{**common, "weight_decay": recipe.weight_decay})
    return keras.optimizers.SGD(momentum=recipe.momentum, nesterov=recipe.nesterov, **common)


def run_callbacks(recipe, run_dir, title, facts, previous=(), tensorboard=True,
                  statistics_images=None, validation=None):
    """Keras' built-ins for schedule, NaN guard, checkpoints and resume; ours for time, plot,
    CSV and JSON, each file replaced whole by a rename.

    Order matters: the timer and the lr callback put epoch_seconds and learning_rate into the
    logs before the writers read them; with weight averaging, the averaged weights are swapped
    in before the checkpoints save (with statistics of their own, swapped out again just before
    the backup); BackupAndRestore and the callback that seals its save come last, so an epoch
    they have backed up is already in every file. `previous`: the rows of the epochs a resumed
    run already has. `tensorboard`: also write Keras' TensorBoard logs (scalars of every epoch,
    the model graph) to <run_dir>/tensorboard/. `statistics_images`: with --ema_bn_images, the
    training images the average's BatchNorm statistics are recomputed over; `validation`: the
    evaluation's (images, labels), on which the raw weights are scored too.
    """
    if recipe.schedule == "step":
        learning_rate = keras.callbacks.LearningRateScheduler(recipe.learning_rate)
    else:
        learning_rate = LearningRateLogger()
    best_so_far = max((row["val_accuracy"] for row in previous), default=None)
    checkpoints = {name: run_dir / f".{name}.tmp.keras" for name in ("best", "last")}
    averaged = (AveragedWeightsOwnStatistics(statistics_images, validation)
                if recipe.ema_bn_images else None)
    return [
        ResumeNotice(run_dir),
        EpochTimer(),
        learning_rate,
        keras.callbacks.TerminateOnNaN(),
        *([keras.callbacks.TensorBoard(run_dir / TENSORBOARD_DIR)] if tensorboard else []),
        *([AveragedWeights(resumed=bool(previous))]
          if recipe.ema_momentum and not recipe.ema_bn_images else []),
        *([averaged] if averaged else []),
        keras.callbacks.ModelCheckpoint(checkpoints["best"], monitor="val_accuracy", mode="max",
                                        save_best_only=True, initial_value_threshold=best_so_far),
        keras.callbacks.ModelCheckpoint(checkpoints["last"]),
        PublishCheckpoints([(temp, run_dir / f"{name}.keras")
                            for name, temp in checkpoints.items()]),
        HistoryCsv(run_dir / "history.csv", previous),
        LiveCurves(run_dir / "curves.png", title, previous),
        MetricsWriter(run_dir / "metrics.json", facts, previous),
        *([averaged.restorer()] if averaged else []),
        keras.callbacks.BackupAndRestore(run_dir / BACKUP_DIR / KERAS_BACKUP),
        SealBackup(run_dir / BACKUP_DIR),
    ]


def make_deterministic(seed):
    """Seeds Python, NumPy and the backend; on TensorFlow also its op determinism."""
    if keras.config.backend() == "tensorflow":
        from keras_mnist7.data import pipeline

        pipeline.make_deterministic(seed)
    else:
        keras.utils.set_random_seed(seed)


def fit_inputs(spec, data, start_epoch=0):
    """model.fit's data for the run's input path.

    dataset: tf.data, shuffled with the seed, augmented batch by batch; with clean epochs, one
    stream of the epochs from `start_epoch` on. arrays: the uint8 arrays as they are; fit()
    shuffles them each epoch (NumPy, seeded by set_random_seed) and the model's own first
    layers augment them. With label smoothing the labels are one-hot.
    """
    (x_train, y_train), (x_test, y_test) = data
    recipe = spec.recipe
    if spec.input == "dataset":
        from keras_mnist7.data import pipeline

        if recipe.clean_epochs:
            train = pipeline.epochs_dataset(x_train, y_train, recipe, spec.seed, start_epoch)
            steps = {"steps_per_epoch": stream_steps_per_epoch(spec, len(x_train))}
        else:
            train = pipeline.train_dataset(x_train, y_train, recipe.batch_size, spec.seed,
                                           recipe.rotation_degrees, recipe.translation_pixels,
                                           recipe.zoom)
            steps = {}
        test = pipeline.test_dataset(x_test, y_test, batch_size=1000)
        if recipe.label_smoothing:
            train, test = pipeline.one_hot(train), pipeline.one_hot(test)
        return {"x": train, "validation_data": test, **steps,
                "shuffle": False}  # the dataset shuffles itself, with its seed
    if recipe.clean_epochs:
        raise ValueError("--clean_epochs needs --input=dataset")
    if recipe.label_smoothing:
        y_train, y_test = (np.eye(NUM_CLASSES, dtype="float32")[y] for y in (y_train, y_test))
    return {"x": x_train[..., None], "y": y_train, "batch_size": recipe.batch_size,
            "shuffle": True, "validation_data": (x_test[..., None], y_test),
            "validation_batch_size": 1000}


def loss_and_metrics(recipe):
    """Sparse cross-entropy; with label smoothing, Keras' CategoricalCrossentropy on one-hot
    labels, and the plain cross-entropy beside it as a metric (val_crossentropy); with a
    teacher, the distillation loss on packed targets (run/distillation.py), likewise."""
    if recipe.teacher:
        return distillation.loss_and_metrics(recipe)
    if not recipe.label_smoothing:
        return "sparse_categorical_crossentropy", ["accuracy"]
    return (keras.losses.CategoricalCrossentropy(label_smoothing=recipe.label_smoothing),
            ["accuracy", keras.metrics.CategoricalCrossentropy(name="crossentropy")])


def stream_steps_per_epoch(spec, train_size):
    """The steps_per_epoch that fit() is given where the epochs are one stream (clean epochs
    on tf.data), else None: each epoch then ends with its data."""
    if spec.input == "dataset" and spec.recipe.clean_epochs:
        return math.ceil(train_size / spec.recipe.batch_size)
    return None


def default_steps_per_execution(steps_per_epoch=None):
    """Training steps per call into the compiled step: many give the numbers of one
    (tests/test_training.py) with fewer trips through Python, where the backend runs them;
    Keras' PyTorch backend takes one, and JAX's is not measured here. Given steps_per_epoch,
    Keras runs whole calls whatever the epoch's length, so the count must divide it: the
    largest divisor up to STEPS_PER_EXECUTION."""
    if keras.config.backend() != "tensorflow":
        return 1
    return max(count for count in range(1, STEPS_PER_EXECUTION + 1)
               if not steps_per_epoch or steps_per_epoch % count == 0)


def with_portable_compile_config(model):
    """Saved files record one step per execution: how many this process runs is its own
    affair, and Keras' PyTorch backend refuses a file that asks for more."""
    recorded = model.get_compile_config
    model.get_compile_config = lambda: {**recorded(), "steps_per_execution": 1}
    return model


def compiled_model(spec, train_size, steps_per_execution=None, fused_batch_norm=True):
    """The run's network, seeded and compiled with its optimizer; on the arrays path its first
    layers are the recipe's augmentation. On TensorFlow, its BatchNormalization layers train on
    TensorFlow's fused kernel (run/fused_batch_norm.py) unless `fused_batch_norm` is False,
    and it runs default_steps_per_execution() steps a call unless `steps_per_execution` says."""
    recipe = spec.recipe
    limit_threads(spec.threads)
    make_deterministic(spec.seed)
    in_model = augmentation(recipe.rotation_degrees, recipe.translation_pixels, spec.seed,
                            recipe.zoom)
    model = build_network(spec.architecture, name=spec.stage, dropout=recipe.dropout,
                          augmentation=in_model if spec.input == "arrays" else ())
    if fused_batch_norm and keras.config.backend() == "tensorflow":
        from keras_mnist7.run.fused_batch_norm import use_fused_kernel

        use_fused_kernel(model)
    loss, metrics = loss_and_metrics(recipe)
    model.compile(optimizer=optimizer_for(recipe, math.ceil(train_size / recipe.batch_size)),
                  loss=loss, metrics=metrics,
                  steps_per_execution=steps_per_execution or default_steps_per_execution(
                      stream_steps_per_epoch(spec, train_size)))
    if not recipe.teacher:
        return with_portable_compile_config(model)
    return distillation.without_compile_config(model)


def train(spec, data, verbose="auto"):
    """Trains the run `spec` (a RunSpec) on ((x_train, y_train), (x_test, y_test)) uint8 arrays,
    in spec.folder. With spec.holdout, (x_test, y_test) are that many training images held out,
    standing in for the test set; it is recorded with the run. With spec.cv, the run trains
    outside its fold of the training images and is evaluated on the fold (data.cv_split).

    Returns the content of metrics.json. A run folder that holds this run unfinished is resumed
    from its last backed-up epoch; one that holds it finished is returned as it is; one that
    holds another run raises RunConflict. The test set is evaluated after every epoch and
    reported; it steers nothing (the schedule is fixed in advance).
    """
    run_dir, recipe, stage, seed = Path(spec.folder), spec.recipe, spec.stage, spec.seed
    data = cv_split(data, spec.cv_fold)
    (x_train, y_train), (x_test, y_test) = data
    if recipe.ema_bn_images > len(x_train):
        raise ValueError(f"--ema_bn_images must be at most the {len(x_train):,} training "
                         f"images, got {recipe.ema_bn_images:,}")
    fit_data, teacher = data, None
    if recipe.teacher:
        limit_threads(spec.threads)  # before the teacher runs TensorFlow's first op
        if spec.holdout:
            raise ValueError("--teacher trains with --cv or on every training image, not "
                             "with --holdout: no teacher trained on the first images alone")
        probabilities, teacher = distillation.teacher_predictions(
            recipe.teacher, spec.cv_fold, x_train, evaluation=(x_test, y_test))
        fit_data = ((x_train, distillation.packed_targets(
                        y_train, distillation.soften(probabilities, recipe.temperature))),
                    (x_test, distillation.packed_targets(
                        y_test, np.eye(NUM_CLASSES, dtype="float32")[y_test])))
    identity = run_identity(spec, len(x_train), len(x_test))
    status = run_status(run_dir, identity)
    if status == "finished":
        return read_metrics(run_dir)
    remove_temp_files(run_dir)
    restore_sealed_backup(run_dir)
    previous = read_metrics(run_dir)["history"] if status == "resume" else []

    model = compiled_model(spec, len(x_train))
    report = model_report(model)
    write_text(run_dir / "summary.txt", report)

    device = describe_device()
    facts = dict(identity, command=spec.command, params=param_counts(model),
                 receptive_field=receptive_field(model), device=device, versions=versions(),
                 revision=source_revision(), **({"teacher": teacher} if teacher else {}),
                 history_columns=f"val_* are {evaluation_set(spec)}, "
                                 "evaluated after every "
                                 "epoch")
    if verbose:
        print(f"{report}\n[train] stage {stage}, {len(x_train):,} train images, evaluated on "
              f"{evaluation_set(spec, len(x_test))}, on {device}; "
              f"artifacts in {run_dir}/")
    callbacks = run_callbacks(recipe, run_dir, f"{stage} (seed {seed})", facts, previous,
                              spec.tensorboard, x_train[:recipe.ema_bn_images, ..., None],
                              (x_test[..., None], y_test))
    model.fit(**fit_inputs(spec, fit_data, len(previous)), epochs=recipe.epochs, callbacks=callbacks,
              verbose=verbose)
    best = keras.saving.load_model(run_dir / "best.keras")
    dataset = "held-out" if spec.held_out else "test"
    evaluation = write_evaluation(best, x_test, y_test, run_dir,
                                  f"{stage} seed {seed} best.keras, {dataset} images")
    if verbose:
        print(f"[evaluate] best.keras: {describe(evaluation, dataset)}")
    return next(c for c in callbacks if isinstance(c, MetricsWriter)).metrics
