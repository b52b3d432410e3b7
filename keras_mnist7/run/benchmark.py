"""Several seeds of one stage, one after another, and what they show together: seeds.json.

A benchmark, not a test: each seed is a full training run. seeds.json is rewritten after every
seed, so a stopped benchmark still tells what it measured.
"""

from pathlib import Path

from keras_mnist7.output.files import prepare_run_dir, write_json, write_text
from keras_mnist7.run.seeds import seeds_table
from keras_mnist7.run.training import evaluation_set, train


def seed_record(metrics):
    """One run's per-epoch curves in percent, as seeds.json keeps them."""
    history = metrics["history"]
    return {
        "seed": metrics["seed"],
        "test_acc": [round(100 * row["val_accuracy"], 2) for row in history],
        # Label smoothing raises the loss trained on: the plain cross-entropy is what compares.
        "test_loss": [round(row.get("val_crossentropy", row["val_loss"]), 5) for row in history],
        "train_acc": [round(100 * row["accuracy"], 2) for row in history],
        "epoch_seconds": [row["epoch_seconds"] for row in history],
        "revision": metrics["revision"],
        # a taught run: its teacher's accuracy on the same evaluation images
        **({"teacher_acc": metrics["teacher"]["evaluation_accuracy"]}
           if "evaluation_accuracy" in metrics.get("teacher", {}) else {}),
    }


def benchmark_result(spec, runs, metrics):
    """seeds.json's data: the runs so far (seed_record each) and what they share; `metrics`
    is one run's metrics.json."""
    return {"stage": spec.stage, "params": metrics["params"], "epochs": spec.recipe.epochs,
            "recipe": metrics["recipe"], "architecture": metrics.get("architecture"),
            "evaluated_on": evaluation_set(spec, group=True), "input": spec.input, "runs": runs,
            "device": metrics["device"], "versions": metrics["versions"],
            "command": spec.command}


def write_benchmark(folder, result):
    write_json(Path(folder) / "seeds.json", result)
    write_text(Path(folder) / "seeds.md", seeds_table(result) + "\n")


def in_turn(train=train):
    """A benchmark's runs one after another in this process, each made by `train`
    (training.train, or another trainer of a RunSpec that returns its metrics.json: the PyTorch
    reference's). Yields (seed, metrics); a finished run is read back, not trained again."""
    def runs(spec, seeds, data, verbose):
        for seed in seeds:
            prepare_run_dir(spec.folder, f"seed{seed}")
            yield seed, train(spec.for_seed(seed), data, verbose)
    return runs


def run_seeds(spec, seeds, data, verbose="auto", runs=in_turn()):
    """Trains the run `spec` once per seed into <spec.folder>/seed<k>/; returns seeds.json's
    data, which is also written to <spec.folder>/seeds.json and seeds.md after every run.
    `runs`: how the runs are made, a generator of (seed, metrics) in any order -- in_turn()
    here, or cluster.on_ray()'s tasks; seeds.json keeps the order of `seeds`.

    With spec.holdout, the test_* values are on the held-out training images (see evaluated_on).
    """
    result, finished = None, {}
    for seed, metrics in runs(spec, seeds, data, verbose):
        finished[seed] = metrics
        done = [seed for seed in seeds if seed in finished]
        result = benchmark_result(spec, [seed_record(finished[seed]) for seed in done], metrics)
        write_benchmark(spec.folder, result)
    return result
