"""The files a run leaves behind, each written whole or not at all (temp file, then rename)."""

import io
import json
import os
import statistics
from pathlib import Path

from keras_mnist7.models import param_counts
from keras_mnist7.receptive_field import format_table, receptive_field, receptive_field_table


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


def model_report(model):
    """model.summary(), params as Keras and as PyTorch count them, and the receptive field."""
    buffer = io.StringIO()
    model.summary(print_fn=lambda text, **_: buffer.write(text + "\n"), line_length=78)
    params = param_counts(model)
    return (
        buffer.getvalue().rstrip() + "\n\n"
        f"Params: trainable {params['trainable']:,} / non-trainable {params['non_trainable']:,} "
        f"/ total {params['total']:,}\n"
        "(Keras counts BatchNorm moving mean/variance as non-trainable params; PyTorch's "
        "torchsummary, which the seed quotes, shows only the trainable ones.)\n\n"
        f"Receptive field: {receptive_field(model)} px (computed from the layers)\n"
        f"{format_table(receptive_field_table(model))}\n")


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
