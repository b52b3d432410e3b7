"""Learning from a teacher: its predictions on the run's own training images, and the loss that
blends them with the labels (Hinton, Vinyals & Dean 2015).

The teacher of a cross-validated run on fold k trained on the same 50,000 images outside fold k
(`--cv --seeds=k`; an ensemble's members, seeds k + 6j), the teacher of any other run on all
60,000 training images: no teacher trains on a held-out fold or the test set. Its predictions
are computed once per training set, from its last epoch's model, and kept beside it with their
checksum, which the student's run records. The student is the stage's own network: what it
saves knows nothing of the teacher.
"""

import hashlib
from pathlib import Path

import keras
import numpy as np

from keras_mnist7.run.run_state import BACKUP_DIR, read_metrics
from keras_mnist7.spec.architecture import NUM_CLASSES
from keras_mnist7.spec.run_spec import CV_FOLDS, RESULTS_DIR
from keras_mnist7.spec.stages import get_ensemble

TEACHERS_DIR = RESULTS_DIR / "teachers"
FULL = "full"  # the folder of each teacher trained on every training image


def teacher_run(teacher, fold, teachers_dir=None):
    """The run folder of teacher network `teacher` for cross-validation fold `fold` (None:
    every training image), and the command that trains it; under TEACHERS_DIR unless
    `teachers_dir` says."""
    base = Path(teachers_dir or TEACHERS_DIR)
    if fold is None:
        return (base / FULL / teacher / "seed0",
                f"python main.py --stage={teacher} --seeds=0 --output_dir={base / FULL}")
    return (base / teacher / f"seed{fold}",
            f"python main.py --stage={teacher} --cv --seeds={fold} --output_dir={base}")


def teacher_runs(teacher, fold, teachers_dir=None):
    """[(run folder, command)] of the runs whose predictions make `teacher` for fold `fold`:
    a teacher network's one run, or an ensemble's members. Member j (1, 2, ...) of fold k has
    seed k + 6j (of every training image: 6j), so no member repeats a student's seed."""
    ensemble = get_ensemble(teacher)
    if ensemble is None:
        return [teacher_run(teacher, fold, teachers_dir)]
    base = Path(teachers_dir or TEACHERS_DIR)
    group = base / teacher if fold is not None else base / FULL / teacher
    seeds = [(fold or 0) + CV_FOLDS * j for j in range(1, ensemble.runs + 1)]
    command = (f"python main.py --stage={ensemble.member}{'' if fold is None else ' --cv'} "
               f"--seeds={','.join(map(str, seeds))} --output_dir={group}")
    return [(group / ensemble.member / f"seed{seed}", command) for seed in seeds]


def checksum(array):
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def _check_finished(teacher, run_dir, command):
    if not (run_dir / "metrics.json").exists() or not (run_dir / "last.keras").exists():
        raise ValueError(f"--teacher={teacher}: no trained teacher in {run_dir}/; train it "
                         f"first: {command}")
    recorded = read_metrics(run_dir)
    if (len(recorded["history"]) < recorded["recipe"]["epochs"]
            or (run_dir / BACKUP_DIR).exists()):
        raise ValueError(f"--teacher={teacher}: the teacher in {run_dir}/ has not finished "
                         f"its epochs; finish it first: {command}")


def _run_predictions(run_dir, images, images_sha):
    """A finished run's last model's probabilities on `images`, computed once and kept beside
    it as predictions-<images checksum>.npy; (probabilities, that file)."""
    cache = run_dir / f"predictions-{images_sha[:16]}.npy"
    if cache.exists():
        return np.load(cache), cache
    model = keras.saving.load_model(run_dir / "last.keras")
    probabilities = model.predict(images, batch_size=1000, verbose=0).astype("float32")
    temporary = cache.with_suffix(".tmp.npy")
    np.save(temporary, probabilities)
    temporary.replace(cache)
    return probabilities, cache


def teacher_predictions(teacher, fold, images, teachers_dir=None, evaluation=None):
    """(probabilities [N, 10] float32, facts): the teacher's predictions on `images` (the
    run's training images, uint8); an ensemble's are its members' mean. Facts name the models
    and the checksums of the images and predictions, and with `evaluation` (images, labels:
    what the student is evaluated on) the teacher's accuracy there, in percent."""
    runs = teacher_runs(teacher, fold, teachers_dir)
    for run_dir, command in runs:
        _check_finished(teacher, run_dir, command)
    images_sha = checksum(images)
    members = [_run_predictions(run_dir, images, images_sha) for run_dir, _ in runs]
    probabilities = np.mean([p for p, _ in members], axis=0, dtype="float32")
    models = [{"model": str(run_dir / "last.keras"), "predictions": str(cache),
               "predictions_sha256": checksum(p)} for (run_dir, _), (p, cache) in zip(runs, members)]
    facts = {"name": teacher, "images_sha256": images_sha,
             "predictions_sha256": checksum(probabilities),
             **({"members": models} if get_ensemble(teacher) else
                {key: models[0][key] for key in ("model", "predictions")})}
    if evaluation is not None:
        eval_images, eval_labels = evaluation
        eval_sha = checksum(eval_images)
        mean = np.mean([_run_predictions(run_dir, eval_images, eval_sha)[0]
                        for run_dir, _ in runs], axis=0)
        facts["evaluation_accuracy"] = round(100 * float(np.mean(mean.argmax(axis=1)
                                                                 == eval_labels)), 2)
    return probabilities, facts


def soften(probabilities, temperature):
    """Predictions at a temperature: softmax(log p / T), in NumPy."""
    logits = np.log(np.clip(probabilities.astype("float64"), 1e-12, 1.0)) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    soft = np.exp(logits)
    return (soft / soft.sum(axis=1, keepdims=True)).astype("float32")


def packed_targets(labels, soft_targets):
    """What the loss reads per image: the one-hot label, then the teacher's softened
    prediction (NUM_CLASSES columns each)."""
    one_hot = np.eye(NUM_CLASSES, dtype="float32")[labels]
    return np.concatenate([one_hot, soft_targets], axis=1)


def _split(y_true):
    return y_true[:, :NUM_CLASSES], y_true[:, NUM_CLASSES:]


class DistillationLoss(keras.losses.Loss):
    """(1 - alpha) * cross-entropy on the labels + alpha * T^2 * KL(teacher_T || student_T),
    on packed targets (packed_targets). The model gives probabilities: softmax(log p / T) is
    the student's softened prediction (log p are its logits up to a constant)."""

    def __init__(self, temperature, alpha, name="distillation", **kwargs):
        super().__init__(name=name, **kwargs)
        self.temperature, self.alpha = temperature, alpha

    def call(self, y_true, y_pred):
        labels, teacher = _split(y_true)
        log_p = keras.ops.log(keras.ops.clip(y_pred, 1e-7, 1.0))
        hard = -keras.ops.sum(labels * log_p, axis=-1)
        student = keras.ops.log_softmax(log_p / self.temperature, axis=-1)
        soft = keras.ops.sum(
            teacher * (keras.ops.log(keras.ops.clip(teacher, 1e-12, 1.0)) - student), axis=-1)
        return (1 - self.alpha) * hard + self.alpha * self.temperature ** 2 * soft

    def get_config(self):
        return {**super().get_config(), "temperature": self.temperature, "alpha": self.alpha}


def label_accuracy(y_true, y_pred):
    return keras.metrics.categorical_accuracy(_split(y_true)[0], y_pred)


def label_crossentropy(y_true, y_pred):
    return keras.losses.categorical_crossentropy(_split(y_true)[0], y_pred)


def loss_and_metrics(recipe):
    """The loss, and the metrics a run records, on packed targets: accuracy and the plain
    cross-entropy (val_crossentropy) of the labels."""
    return (DistillationLoss(recipe.temperature, recipe.distillation),
            [keras.metrics.MeanMetricWrapper(label_accuracy, name="accuracy"),
             keras.metrics.MeanMetricWrapper(label_crossentropy, name="crossentropy")])


def without_compile_config(model):
    """A model whose saved file carries no compile config: its loss reads teacher targets
    that the file does not hold, and a process without this package could not rebuild it.
    The file is the student alone, Keras' built-in layers, loadable anywhere."""
    model.get_compile_config = lambda: None
    return model
