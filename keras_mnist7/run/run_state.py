"""Is a run folder new, half-done (resume it) or finished? Decided before any work starts.

A run is known by its identity -- stage, architecture, recipe, seed, data sizes and holdout --
as its metrics.json records it. The same command finds its own run again and resumes or
reports it; a different one never overwrites it silently. Plain files only, no Keras.
"""

import dataclasses
import json
import shutil
from pathlib import Path

from keras_mnist7.spec.architecture import Architecture
from keras_mnist7.spec.stages import Recipe, with_defaults

# Backups of a run in progress, present from its first finished epoch until it ends: Keras'
# BackupAndRestore writes in place into backup/keras/; after each epoch a copy of that folder is
# sealed as backup/epoch-NNNN/ by a rename (callbacks.SealBackup), and a resumed run restores
# the newest sealed copy first, never a save that a kill cut short.
BACKUP_DIR = "backup"
TENSORBOARD_DIR = "tensorboard"  # Keras' TensorBoard logs of the run
KERAS_BACKUP = "keras"
RUN_FILES = ("history.csv", "curves.png", "best.keras", "last.keras", "summary.txt",
             "metrics.json", "confusion.png", "mistakes.png", "evaluation.json")
TEMP_PATTERN = ".*.tmp*"  # what artifacts.write_atomic and the checkpoints write before a rename
SETTINGS_CLASSES = {"recipe": Recipe, "architecture": Architecture}  # identity keys kept as dataclasses
IDENTITY_KEYS = ("stage", "architecture", "recipe", "seed", "train_size", "test_size", "holdout",
                 "cv_fold", "input")


class RunConflict(Exception):
    """The folder holds a run this command must not touch."""


def run_identity(spec, train_size, test_size):
    """What metrics.json records about a run (a RunSpec) that a resumed run must share, as
    JSON values. The holdout and the cv fold are recorded as null when there is none, as in the
    files written before they existed."""
    identity = {"stage": spec.stage, "architecture": dataclasses.asdict(spec.architecture),
                "recipe": dataclasses.asdict(spec.recipe), "seed": spec.seed,
                "train_size": train_size, "test_size": test_size, "holdout": spec.holdout or None,
                "cv_fold": spec.cv_fold, "input": spec.input}
    return json.loads(json.dumps(identity))  # tuples become lists, as in the file


def run_status(run_dir, identity):
    """'new', 'resume' or 'finished' for a run of `identity` in `run_dir`.

    Raises RunConflict when the folder holds another run, or a backup nobody can vouch for.
    """
    run_dir = Path(run_dir)
    metrics_path = run_dir / "metrics.json"
    has_backup = (run_dir / BACKUP_DIR).exists()
    if not metrics_path.exists():
        if has_backup:
            raise RunConflict(f"{run_dir}/{BACKUP_DIR} has no metrics.json beside it: pass "
                              "--overwrite to start the run again, or choose another --output_dir")
        return "new"
    try:
        metrics = json.loads(metrics_path.read_text())
        recorded = {key: metrics.get(key) for key in IDENTITY_KEYS}
    except (OSError, ValueError, AttributeError) as err:
        raise RunConflict(f"cannot read {metrics_path} ({err}): pass --overwrite to replace the "
                          "run, or choose another --output_dir") from None
    differing = [key for key in IDENTITY_KEYS
                 if _recorded(key, recorded[key]) != identity[key]]
    if differing:
        raise RunConflict(f"{run_dir} holds another run (its {', '.join(differing)} differ): "
                          "pass --overwrite to replace it, or choose another --output_dir")
    finished = len(metrics.get("history", ())) >= identity["recipe"]["epochs"]
    if not has_backup and (finished or metrics.get("stopped")):
        return "finished"
    return "resume"


def _recorded(key, value):
    """A recorded identity value, read as today's code would write it: fields added since have
    their defaults (a run from before --input fed tf.data)."""
    if key in SETTINGS_CLASSES:
        return with_defaults(SETTINGS_CLASSES[key], value)
    if key == "input" and value is None:
        return "dataset"
    return value


def sealed_backup_name(epochs_done):
    return f"epoch-{epochs_done:04d}"


def restore_sealed_backup(run_dir):
    """Puts the newest sealed backup where Keras' BackupAndRestore will look; drops the rest."""
    root = Path(run_dir) / BACKUP_DIR
    if not root.exists():
        return
    sealed = sorted(root.glob("epoch-[0-9][0-9][0-9][0-9]"))
    shutil.rmtree(root / KERAS_BACKUP, ignore_errors=True)
    for stale in [*root.glob("*.tmp"), *sealed[:-1]]:
        shutil.rmtree(stale)
    if sealed:
        shutil.copytree(sealed[-1], root / KERAS_BACKUP)


def read_metrics(run_dir):
    return json.loads((Path(run_dir) / "metrics.json").read_text())


def remove_temp_files(run_dir):
    """Leftovers of a write that a kill interrupted; the files they were to replace are whole."""
    for temp in Path(run_dir).glob(TEMP_PATTERN):
        temp.unlink()


def clear_run(run_dir):
    """--overwrite: removes a run's own files (and nothing else) from its folder."""
    run_dir = Path(run_dir)
    for name in RUN_FILES:
        (run_dir / name).unlink(missing_ok=True)
    for folder in (BACKUP_DIR, TENSORBOARD_DIR):
        shutil.rmtree(run_dir / folder, ignore_errors=True)
    remove_temp_files(run_dir)
