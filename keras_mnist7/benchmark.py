"""Several seeds of one stage, one after another, and what they show together: seeds.json.

A benchmark, not a test: each seed is a full training run. seeds.json is rewritten after every
seed, so a stopped benchmark still tells what it measured.
"""

from pathlib import Path

from keras_mnist7.artifacts import prepare_run_dir, write_json, write_text
from keras_mnist7.report import seeds_table
from keras_mnist7.training import evaluation_set, train


def seed_record(metrics):
    """One run's per-epoch curves in percent, as seeds.json keeps them."""
    history = metrics["history"]
    return {
        "seed": metrics["seed"],
        "test_acc": [round(100 * row["val_accuracy"], 2) for row in history],
        "test_loss": [round(row["val_loss"], 5) for row in history],
        "train_acc": [round(100 * row["accuracy"], 2) for row in history],
        "epoch_seconds": [row["epoch_seconds"] for row in history],
        "revision": metrics["revision"],
    }


def run_seeds(stage, recipe, data, output_dir, seeds, verbose="auto", command=None,
              architecture=None, holdout=0):
    """Trains `stage` once per seed into <output_dir>/<stage>/seed<k>/; returns seeds.json's data.

    With `holdout`, the test_* values are on the held-out training images (see evaluated_on).
    """
    stage_dir = Path(output_dir) / stage
    result, runs = None, []
    for seed in seeds:
        run_dir = prepare_run_dir(stage_dir, f"seed{seed}")
        metrics = train(stage, recipe, data, run_dir, seed=seed, verbose=verbose, command=command,
                        architecture=architecture, holdout=holdout)
        runs.append(seed_record(metrics))
        result = {"stage": stage, "params": metrics["params"], "epochs": recipe.epochs,
                  "recipe": metrics["recipe"], "architecture": metrics.get("architecture"),
                  "evaluated_on": evaluation_set(holdout), "runs": runs, "device": metrics["device"],
                  "versions": metrics["versions"], "command": command}
        write_json(stage_dir / "seeds.json", result)
        write_text(stage_dir / "seeds.md", seeds_table(result) + "\n")
    return result
