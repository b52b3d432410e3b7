"""The files a run leaves behind, each written whole or not at all (temp file, then rename)."""

import json
import os
import statistics
from pathlib import Path


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


def write_atomic(path, write):
    """Calls write(temp_path), then renames the temp file over `path`: readers never see half."""
    path = Path(path)
    temp = path.with_name(f".{path.name}.tmp")
    try:
        write(temp)
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


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
        "last4_test_acc": [round(value, 2) for value in test[-4:]],
        "median_epoch_seconds": round(statistics.median(r["epoch_seconds"] for r in history), 2),
    }
