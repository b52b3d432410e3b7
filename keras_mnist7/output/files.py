"""The files a run leaves behind, each written whole or not at all (temp file, then rename)."""

import json
import os
import statistics
import zipfile
from pathlib import Path

from keras_mnist7.spec.bar import LAST_EPOCHS


def ensure_writable(folder, flag="--output_dir"):
    """`folder`, created and checked writable before any work starts."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as err:
        raise OSError(f"cannot write to {folder} ({err.strerror or err}): "
                      f"choose another {flag}") from None
    return folder


def prepare_run_dir(output_dir, stage):
    """<output_dir>/<stage>/, created and checked writable before any work starts."""
    return ensure_writable(Path(output_dir) / stage)


def check_model_file(path):
    """A .keras file is a zip holding config.json: anything else is refused before Keras loads."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"--model {path}: no such file; train a model first "
                         "(python main.py --stage=m5) or name a .keras file")
    try:
        with zipfile.ZipFile(path) as archive:
            is_keras = "config.json" in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        is_keras = False
    if not is_keras:
        raise ValueError(f"--model {path}: not a Keras model file (a .keras file, as "
                         "model.save() writes it)")
    return path


def write_atomic(path, write):
    """Calls write(temp_path), then renames the temp file over `path`: readers never see half.

    A failed write (a full disk) leaves `path` as it was and raises OSError naming `path`.
    """
    path = Path(path)
    temp = path.with_name(f".{path.name}.tmp")
    try:
        write(temp)
        os.replace(temp, path)
    except OSError as err:
        raise failed_write(path, err) from err
    finally:
        temp.unlink(missing_ok=True)


def failed_write(path, err):
    """The OSError to report for a file that could not be written: its final name, the cause."""
    return OSError(err.errno, err.strerror or str(err), str(path))


def write_text(path, text):
    write_atomic(path, lambda temp: Path(temp).write_text(text))


def write_json(path, data):
    write_text(path, json.dumps(data, indent=1) + "\n")


def summarize_history(history):
    """Headline numbers of a run from its per-epoch rows (Keras logs; val_* = the test set)."""
    test = [100.0 * row["val_accuracy"] for row in history]
    train = [100.0 * row["accuracy"] for row in history]
    best = max(range(len(test)), key=test.__getitem__)
    return {
        "epochs_run": len(history),
        "best_test_acc": {"epoch": best + 1, "pct": round(test[best], 2)},
        "best_train_acc": round(max(train), 2),
        "final_test_acc": round(test[-1], 2),
        "last4_test_acc": [round(value, 2) for value in test[-LAST_EPOCHS:]],
        "median_epoch_seconds": round(statistics.median(r["epoch_seconds"] for r in history), 2),
    }


def describe_outcome(stage, run_dir, metrics):
    """The line a run ends with: its headline numbers, or why it stopped early."""
    summary = metrics["summary"]
    best = summary["best_test_acc"]
    if metrics.get("stopped"):
        return (f"[stopped] {stage}: {metrics['stopped']}; try a lower --lr. best.keras keeps "
                f"epoch {best['epoch']} ({best['pct']:.2f}% test) -> {run_dir}/")
    return (f"[done] {stage}: best test {best['pct']:.2f}% (epoch {best['epoch']}), last 4 "
            f"epochs {', '.join(f'{a:.2f}' for a in summary['last4_test_acc'])}%, "
            f"median epoch {summary['median_epoch_seconds']:.1f}s -> {run_dir}/")
