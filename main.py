"""Train one stage of the keras_mnist7 study on MNIST.

    python main.py --stage=m3
    python main.py --stage=m4 --epochs=15 --lr=0.05 --step_size=6 --gamma=0.1

A recipe flag left unset keeps the stage's default (keras_mnist7/stages.py). Artifacts go to
<output_dir>/<stage>/: history.csv, curves.png, best.keras, last.keras, summary.txt, metrics.json.
"""

import dataclasses
import os
import sys

from absl import app, flags

from keras_mnist7.artifacts import prepare_run_dir
from keras_mnist7.data import DataError, load_mnist
from keras_mnist7.stages import STAGES, Recipe, get_stage

flags.DEFINE_enum("mode", "train", ["train", "stages", "report"],
                  "train: train --stage; stages: print the stage table (markdown); report: write "
                  "the stage write-ups from --results_dir into README.md.")
flags.DEFINE_enum("stage", "m3", STAGES, "Stage of the study to train.")
flags.DEFINE_integer("epochs", None, "Epochs to train (stage default: 15).")
flags.DEFINE_integer("batch_size", None, "Training batch size (m1-m4: 128, m5: 64).")
flags.DEFINE_float("lr", None, "SGD learning rate; cosine: its peak (m1-m3: 0.01, m4, m5: 0.05).")
flags.DEFINE_float("momentum", None, "SGD momentum (stage default: 0.9).")
flags.DEFINE_enum("schedule", None, ["step", "cosine"],
                  "lr schedule: step (PyTorch's StepLR; m1-m4) or cosine (warm-up, then Keras' "
                  "CosineDecay; m5).")
flags.DEFINE_integer("step_size", None,
                     "Step schedule: epochs between lr decays (m4: 6; m1-m3: no decay).")
flags.DEFINE_float("gamma", None, "Step schedule: lr factor at each decay, in (0, 1] (0.1).")
flags.DEFINE_integer("warmup_epochs", None,
                     "Cosine schedule: epochs of linear lr warm-up from 0 (m5: 2).")
flags.DEFINE_integer("cooldown_epochs", None,
                     "Cosine schedule: last epochs held at --min_lr after the decay (m5: 3).")
flags.DEFINE_float("min_lr", None, "Cosine schedule: lr the decay ends at (m5: 0.001).")
flags.DEFINE_float("dropout", None, "Dropout after each max-pool (m2-m5: 0.05; m1 has none).")
flags.DEFINE_float("rotation_degrees", None,
                   "Random rotation of training images, up to +-this (m3-m5: 8; m1, m2: 0).")
flags.DEFINE_integer("seed", 0, "Seed of weights, shuffling and augmentation.")
flags.DEFINE_list("seeds", None,
                  "Benchmark: train once per seed (e.g. 0,1,2) into <output_dir>/<stage>/seed<k>/ "
                  "and summarize them in <output_dir>/<stage>/seeds.json and seeds.md.")
flags.DEFINE_string("data_dir", None,
                    "Folder with mnist.npz or the four MNIST IDX files; unset: found by itself.")
flags.DEFINE_string("output_dir", "runs", "Runs are written to <output_dir>/<stage>/.")
flags.DEFINE_string("results_dir", "results",
                    "--mode=report reads the benchmarks (<stage>/seeds.json) from here.")
flags.DEFINE_enum("verbose", "auto", ["auto", "0", "1", "2"],
                  "Keras fit verbosity: 1 progress bar, 2 one line per epoch, auto: 1.")
FLAGS = flags.FLAGS

RECIPE_FLAGS = tuple(field.name for field in dataclasses.fields(Recipe))


def fail(message):
    """One line on stderr and exit status 2: no traceback for a user's mistake."""
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def parse_flags(argv):
    try:
        return FLAGS(argv)
    except flags.Error as err:
        fail(err)


def parse_seeds(values):
    """--seeds=0,1,2 -> [0, 1, 2]; None when the flag is not given."""
    if values is None:
        return None
    if FLAGS["seed"].present:
        raise ValueError("give either --seed or --seeds, not both")
    try:
        seeds = [int(value) for value in values]
    except ValueError:
        raise ValueError(f"--seeds must be integers separated by commas, got {values}") from None
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"--seeds must name distinct seeds, got {values}")
    return seeds


def main(argv):
    if len(argv) > 1:
        fail(f"unexpected arguments {argv[1:]}; flags look like --stage=m3")
    try:
        recipe = get_stage(FLAGS.stage).recipe_with(**{name: FLAGS[name].value
                                                        for name in RECIPE_FLAGS})
        seeds = parse_seeds(FLAGS.seeds)
        if FLAGS.mode == "train":
            data = load_mnist(FLAGS.data_dir)
            run_dir = prepare_run_dir(FLAGS.output_dir, FLAGS.stage)
    except (ValueError, OSError, DataError) as err:
        fail(err)

    # TensorFlow loads only now, once the flags are accepted: it prints start-up lines that
    # TF_CPP_MIN_LOG_LEVEL does not silence (TF 2.21), which would bury a one-line error.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from keras_mnist7.benchmark import run_seeds
    from keras_mnist7.report import results_section, seeds_table, stage_table, update_readme
    from keras_mnist7.training import train

    if FLAGS.mode == "stages":
        print(stage_table())
        return
    if FLAGS.mode == "report":
        update_readme("README.md", results_section(FLAGS.results_dir))
        print(f"README.md: results section rewritten from {FLAGS.results_dir}/")
        return
    verbose = FLAGS.verbose if FLAGS.verbose == "auto" else int(FLAGS.verbose)
    command = " ".join(["python", "main.py", *sys.argv[1:]])
    if seeds is not None:
        result = run_seeds(FLAGS.stage, recipe, data, FLAGS.output_dir, seeds, verbose, command)
        print(f"[done] {run_dir}/seeds.json\n{seeds_table(result)}")
        return
    metrics = train(FLAGS.stage, recipe, data, run_dir, seed=FLAGS.seed, verbose=verbose,
                    command=command)
    summary = metrics["summary"]
    print(f"[done] {FLAGS.stage}: best test {summary['best_test_acc']['pct']:.2f}% "
          f"(epoch {summary['best_test_acc']['epoch']}), last 4 epochs "
          f"{', '.join(f'{a:.2f}' for a in summary['last4_test_acc'])}%, "
          f"median epoch {summary['median_epoch_seconds']:.1f}s -> {run_dir}/")


if __name__ == "__main__":
    app.run(main, flags_parser=parse_flags)
