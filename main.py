"""Train a stage of the keras_mnist7 study on MNIST, or use a trained model.

    python main.py --stage=m3
    python main.py --stage=m4 --epochs=15 --lr=0.05 --step_size=6 --gamma=0.1
    python main.py --mode=evaluate --model=pretrained/m5.keras
    python main.py --mode=predict --model=pretrained/m5.keras --images=samples
    python main.py --mode=export --model=pretrained/m5.keras --export_dir=exported
    python main.py --mode=demo --model=pretrained/m5.keras
    python main.py --mode=torch --stage=m4 --seeds=0,1,2   # the PyTorch reference

A recipe flag left unset keeps the stage's default (keras_mnist7/stages.py). Artifacts go to
<output_dir>/<stage>/: history.csv, curves.png, best.keras, last.keras, summary.txt, metrics.json.
The same command run again resumes an unfinished run, or says the run is finished.
"""

import dataclasses
import os
import sys
from pathlib import Path

from absl import app, flags

from keras_mnist7 import cluster
from keras_mnist7.architecture import parse_plan
from keras_mnist7.artifacts import (check_model_file, describe_outcome, ensure_writable,
                                    prepare_run_dir, write_text)
from keras_mnist7.data import DataError, cv_split, load_mnist, load_split
from keras_mnist7.digits import image_files
from keras_mnist7.experiments import get_experiment
from keras_mnist7.run_lock import FolderInUse, FolderLock
from keras_mnist7.run_spec import RunSpec, resolve_input, tensorflow_available
from keras_mnist7.run_state import RunConflict, clear_run, read_metrics, run_identity, run_status
from keras_mnist7.stages import STAGES, Recipe, check_torch_recipe, get_stage

flags.DEFINE_enum("mode", "train",
                  ["train", "torch", "evaluate", "predict", "export", "demo", "speed", "stages",
                   "report", "search"],
                  "train: train --stage; torch: train --stage with the PyTorch reference "
                  "(the same network, data and recipe; the seed stages' recipes) into "
                  "<output_dir>/<stage>/torch/seed<k>/; evaluate: --model on the test set (confusion.png, "
                  "mistakes.png); predict: --model on --images; export: --model to SavedModel, "
                  "LiteRT and ONNX in --export_dir; demo: a page to draw or upload a digit for "
                  "--model, at http://--host:--port/; speed: time m4's epochs on every installed "
                  "Keras backend and the PyTorch reference (--epochs, default 3) into "
                  "--results_dir/speed.json and speed.md; stages: print the stage table; "
                  "report: write the stage write-ups from --results_dir into README.md; "
                  "search: run the cross-validated folds --experiment still needs "
                  "(keras_mnist7/experiments.py).")
flags.DEFINE_list("experiment", None,
                  "search: experiments of keras_mnist7/experiments.py to run, in turn, each "
                  "into results/cv/<name>/.")
flags.DEFINE_string("model", None, "evaluate, predict, export: a .keras model file.")
flags.DEFINE_list("images", None,
                  "predict: image files (PNG, JPEG, ...) and folders of them, comma-separated.")
flags.DEFINE_bool("json", False, "predict: print one JSON list instead of one line per file.")
flags.DEFINE_string("export_dir", None,
                    "export: the folder to create (it must not exist); unset: <model>_export "
                    "beside the model.")
flags.DEFINE_string("host", "127.0.0.1",
                    "demo: the address to serve on (127.0.0.1: this machine only).")
flags.DEFINE_integer("port", 7860, "demo: the port to serve on (0: any free one).",
                     lower_bound=0, upper_bound=65535)
flags.DEFINE_enum("stage", "m3", STAGES, "Stage of the study to train.")
flags.DEFINE_integer("epochs", None, "Epochs to train (stage default: 15).")
flags.DEFINE_integer("batch_size", None, "Training batch size (m1-m4: 128, m5, m6: 32).")
flags.DEFINE_float("lr", None, "SGD learning rate; cosine: its peak (m1-m3: 0.01, m4: 0.05, m5, m6: 0.025).")
flags.DEFINE_enum("optimizer", None, ["sgd", "adamw"],
                  "sgd: Keras' SGD with momentum (every stage); adamw: Keras' AdamW, --momentum "
                  "its beta_1.")
flags.DEFINE_float("momentum", None, "SGD momentum, AdamW's beta_1 (stage default: 0.9).")
flags.DEFINE_bool("nesterov", None, "SGD: Nesterov's momentum (stage default: off).")
flags.DEFINE_float("weight_decay", None,
                   "SGD's decoupled weight decay, w -= lr * weight_decay * w each step "
                   "(m1-m4: 0; m5, m6: 5e-4).")
flags.DEFINE_enum("schedule", None, ["step", "cosine"],
                  "lr schedule: step (PyTorch's StepLR; m1-m4) or cosine (warm-up, then Keras' "
                  "CosineDecay; m5).")
flags.DEFINE_integer("step_size", None,
                     "Step schedule: epochs between lr decays (m4: 6; m1-m3: no decay).")
flags.DEFINE_float("gamma", None, "Step schedule: lr factor at each decay, in (0, 1] (0.1).")
flags.DEFINE_integer("warmup_epochs", None,
                     "Cosine schedule: epochs of linear lr warm-up from 0 (m5, m6: 2).")
flags.DEFINE_integer("cooldown_epochs", None,
                     "Cosine schedule: last epochs held at --min_lr after the decay (stage default: 0).")
flags.DEFINE_float("min_lr", None, "Cosine schedule: lr the decay ends at (stage default: 0).")
flags.DEFINE_float("dropout", None, "Dropout after each max-pool (m2-m6: 0.05; m1 has none).")
flags.DEFINE_float("rotation_degrees", None,
                   "Random rotation of training images, up to +-this (m3, m4: 8; m1, m2, m5, m6: 0).")
flags.DEFINE_float("translation_pixels", None,
                   "Random shift of training images, up to +-this many pixels each way "
                   "(stage default: 0).")
flags.DEFINE_float("zoom", None,
                   "Random scale of training images, by up to +-this fraction (stage default: 0).")
flags.DEFINE_integer("clean_epochs", None,
                     "The last N epochs train on the images as they are, without augmentation "
                     "(--input=dataset; stage default: 0).")
flags.DEFINE_float("label_smoothing", None,
                   "Smooth the one-hot labels by this much in the loss; val_crossentropy records "
                   "the plain cross-entropy (stage default: 0).")
flags.DEFINE_float("ema_momentum", None,
                   "Average the weights (Keras' SGD use_ema with this ema_momentum); evaluation "
                   "and checkpoints use the average. 0: off (stage default).")
flags.DEFINE_bool("bn_before_relu", None,
                  "conv -> BN -> ReLU (m5) instead of the seed's conv -> ReLU -> BN (m2-m4); "
                  "unset: the stage's own order.")
flags.DEFINE_string("plan", None,
                    "Another plan of convs and pools for the stage, one item per comma: P a "
                    "2x2 max-pool, N a 3x3 padded conv of N filters, suffixes (in this order) "
                    "xK a KxK kernel, s separable (depthwise then pointwise), v unpadded, l "
                    "linear (no ReLU, no BN); the last conv has 10 filters. "
                    "m5: 10v,16v,P,8x1,16v,16v,16v,10x1l. Unset: the stage's own.")
flags.DEFINE_enum("init", None, ["keras", "torch"],
                  "How conv weights start: keras (Keras' defaults: Glorot-uniform kernels, zero "
                  "biases) or torch (PyTorch's Conv2d defaults, uniform in +-1/sqrt(fan_in)). "
                  "Unset: the stage's own (torch for m1, keras for the others).")
flags.DEFINE_enum("activation", None, ["relu", "silu", "gelu", "elu", "mish"],
                  "Keras' built-in activation after every conv but the linear ones (stage "
                  "default: relu).")
flags.DEFINE_float("bn_momentum", None,
                   "Keras momentum of BatchNorm's moving statistics (stage default: 0.9, PyTorch's "
                   "0.1).")
flags.DEFINE_integer("seed", 0, "Seed of weights, shuffling and augmentation.")
flags.DEFINE_list("seeds", None,
                  "Benchmark: train once per seed (e.g. 0,1,2) into <output_dir>/<stage>/seed<k>/ "
                  "and summarize them in <output_dir>/<stage>/seeds.json and seeds.md.")
flags.DEFINE_string("data_dir", None,
                    "Folder with mnist.npz or the four MNIST IDX files; unset: found by itself.")
flags.DEFINE_integer("train_size", None,
                     "Train on the first N training images only (a quick smoke run); the test "
                     "set stays whole. Unset: all 60,000.", lower_bound=1)
flags.DEFINE_integer("holdout", 0,
                     "Hold out the last N training images and evaluate on them after every "
                     "epoch instead of on the test set, which the run then never sees: for "
                     "choosing between recipes without the test set. 0: evaluate on the test "
                     "set.", lower_bound=0)
flags.DEFINE_bool("cv", False,
                  "Cross-validation, for choosing without the test set: seed k (0-5) trains on "
                  "the training images outside fold k of 6 (a fixed permutation, 10,000 each) "
                  "and is evaluated on fold k after every epoch.")
flags.DEFINE_string("output_dir", "runs",
                    "Runs are written to <output_dir>/<stage>/; evaluate writes to it when "
                    "given (default: beside --model).")
flags.DEFINE_bool("overwrite", False,
                  "Delete the run already in <output_dir>/<stage>/ (its files only) and train "
                  "again. Without it, the same command resumes an unfinished run, reports a "
                  "finished one, and refuses to touch a run of other settings.")
flags.DEFINE_enum("input", "auto", ["auto", "dataset", "arrays"],
                  "How training data reaches the model. dataset: tf.data (augmentation mapped "
                  "over batches); arrays: the uint8 arrays to fit(), augmentation inside the "
                  "compiled step (no TensorFlow needed); auto: dataset when TensorFlow is "
                  "installed, else arrays.")
flags.DEFINE_string("ray", None,
                    "Train --seeds as Ray tasks, one per seed: local (a Ray instance started "
                    "here) or HOST:PORT of a Ray cluster's head. Unset: one after another, "
                    "in this process.")
flags.DEFINE_integer("threads", None,
                     "CPU threads of each run (TensorFlow's intra- and inter-op threads); with "
                     "--ray also each task's Ray num_cpus. Unset: every core, or 1 with --ray.",
                     lower_bound=1)
flags.DEFINE_bool("ray_shared_folder", False,
                  "With --ray: --output_dir is on a filesystem every worker sees, so tasks "
                  "write their runs there and a retried task resumes from its last epoch. "
                  "Without it, tasks send their files back to this process.")
flags.DEFINE_bool("tensorboard", True,
                  "Also write Keras' TensorBoard logs (every epoch's scalars, the model graph) to "
                  "<run folder>/tensorboard/; --notensorboard: not.")
flags.DEFINE_integer("speed_rounds", 3,
                     "speed: how many times every row runs, the rows alternated (medians kept).",
                     lower_bound=1)
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


def check_runs(spec, seeds, data):
    """Every run folder this command will train into: new, resumable or finished (else an
    error, before any work). --overwrite clears them first. Returns {folder: status}."""
    runs = [spec] if seeds is None else [spec.for_seed(seed) for seed in seeds]
    statuses = {}
    for run in runs:
        if FLAGS.overwrite:
            clear_run(run.folder)
        (x_train, _), (x_test, _) = cv_split(data, run.cv_fold)
        statuses[run.folder] = run_status(run.folder, run_identity(run, len(x_train), len(x_test)))
    return statuses


def check_torch(recipe):
    """--mode=torch: PyTorch installed, and a recipe the reference trains; before any work."""
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        raise ValueError("--mode=torch needs PyTorch: pip install -r requirements-backends.txt")
    check_torch_recipe(recipe)


def check_model_flags():
    """evaluate, predict, export: the model file and the mode's own flags, checked up front.
    Returns where the mode writes (None for predict)."""
    if FLAGS.model is None:
        raise ValueError(f"--mode={FLAGS.mode} needs --model=PATH.keras")
    model = check_model_file(FLAGS.model)
    if FLAGS.mode == "demo":
        return None
    if FLAGS.mode == "predict":
        if not FLAGS.images:
            raise ValueError("--mode=predict needs --images=FILE_OR_FOLDER[,...]")
        if not image_files(FLAGS.images):
            raise ValueError(f"--images {','.join(FLAGS.images)}: no image files there")
        return None
    if FLAGS.mode == "evaluate":
        return ensure_writable(FLAGS.output_dir if FLAGS["output_dir"].present else model.parent)
    export_dir = Path(FLAGS.export_dir or model.parent / f"{model.stem}_export")
    if export_dir.exists():
        raise ValueError(f"--export_dir {export_dir} already exists: remove it or name another")
    ensure_writable(export_dir.parent, flag="--export_dir")
    return export_dir


def main(argv):
    if len(argv) > 1:
        fail(f"unexpected arguments {argv[1:]}; flags look like --stage=m3")
    command = " ".join(["python", "main.py", *sys.argv[1:]])
    try:
        recipe = get_stage(FLAGS.stage).recipe_with(**{name: FLAGS[name].value
                                                        for name in RECIPE_FLAGS})
        architecture = get_stage(FLAGS.stage).architecture_with(
            plan=FLAGS.plan and parse_plan(FLAGS.plan), init=FLAGS.init,
            bn_before_relu=FLAGS.bn_before_relu,
            bn_momentum=FLAGS.bn_momentum, activation=FLAGS.activation)
        if FLAGS.holdout and FLAGS.mode not in ("train", "torch"):
            raise ValueError(f"--holdout is for --mode=train, not --mode={FLAGS.mode}")
        if FLAGS.cv and FLAGS.mode != "train":
            raise ValueError(f"--cv is for --mode=train, not --mode={FLAGS.mode}")
        seeds = parse_seeds(FLAGS.seeds)
        if FLAGS.ray is not None:
            if FLAGS.mode not in ("train", "search") or (FLAGS.mode == "train" and seeds is None):
                raise ValueError("--ray runs a benchmark: it needs --mode=train and --seeds, "
                                 "or --mode=search")
            cluster.check_address(FLAGS.ray)
        if FLAGS.mode in ("evaluate", "predict", "export", "demo"):
            destination = check_model_flags()
        if (FLAGS.mode == "search") != (FLAGS.experiment is not None):
            raise ValueError("--mode=search and --experiment=NAME[,...] go together")
        for name in FLAGS.experiment or ():
            get_experiment(name)
        if FLAGS.mode == "search":
            data = load_split(FLAGS.data_dir)
        if FLAGS.mode == "speed":
            ensure_writable(FLAGS.results_dir, flag="--results_dir")
        if FLAGS.mode == "torch":
            check_torch(recipe)
        if FLAGS.mode in ("train", "torch", "evaluate", "export"):
            data = load_split(FLAGS.data_dir, FLAGS.train_size,
                             FLAGS.holdout if FLAGS.mode in ("train", "torch") else 0)
        if FLAGS.mode in ("train", "torch"):
            run_dir = prepare_run_dir(FLAGS.output_dir, FLAGS.stage)
            if FLAGS.mode == "torch":
                run_dir = prepare_run_dir(run_dir, "torch")
                seeds = seeds or [FLAGS.seed]
            # Held until this process ends: one writer per run folder (and benchmark group).
            lock = FolderLock(run_dir, command).acquire()  # noqa: F841
            spec = RunSpec(FLAGS.stage, recipe, architecture, run_dir, seed=FLAGS.seed,
                           holdout=FLAGS.holdout, cv=FLAGS.cv,
                           input=resolve_input(FLAGS.input),
                           # Keras' TensorBoard callback writes with TensorFlow's tf.summary.
                           tensorboard=FLAGS.tensorboard and tensorflow_available(),
                           threads=FLAGS.threads or 0, command=command)
            statuses = check_runs(spec, seeds, data)
    except (ValueError, OSError, DataError, RunConflict, FolderInUse) as err:
        fail(err)
    if FLAGS.mode == "train" and seeds is None and statuses[run_dir] == "finished":
        print(f"[finished] {run_dir} already holds this run, finished; pass --overwrite to "
              "train it again")
        print(describe_outcome(FLAGS.stage, run_dir, read_metrics(run_dir)))
        return

    # TensorFlow loads only now, once the flags are accepted: it prints start-up lines that
    # TF_CPP_MIN_LOG_LEVEL does not silence (TF 2.21), which would bury a one-line error.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from keras_mnist7 import commands
    from keras_mnist7.frontier import write as write_frontier
    from keras_mnist7.model_card import write_model_cards
    from keras_mnist7.report import results_page, results_section, stage_table, update_readme

    if FLAGS.mode == "stages":
        print(stage_table())
    elif FLAGS.mode == "speed":
        from keras_mnist7.data import default_cache_dir
        from keras_mnist7.speed import speed_benchmark, speed_table

        load_mnist(FLAGS.data_dir)  # the reference reads the IDX files from the cache
        report = speed_benchmark(FLAGS.epochs or 3, FLAGS.results_dir,
                                 FLAGS.data_dir or default_cache_dir(), rounds=FLAGS.speed_rounds)
        print(speed_table(report))
    elif FLAGS.mode == "report":
        update_readme("README.md", results_section(FLAGS.results_dir))
        write_text(Path("docs") / "results.md", results_page(FLAGS.results_dir))
        write_frontier(FLAGS.results_dir, Path("docs") / "frontier.png")
        write_model_cards("pretrained")
        print(f"README.md (results section), docs/results.md, docs/frontier.png and "
              f"{FLAGS.results_dir}/frontier.json: rewritten from {FLAGS.results_dir}/; "
              "pretrained/README.md from pretrained/")
    elif FLAGS.mode == "torch":
        commands.train_torch(spec, data, seeds)
    elif FLAGS.mode == "search":
        on = None if FLAGS.ray is None else cluster.Cluster(FLAGS.ray, FLAGS.threads or 1,
                                                            FLAGS.ray_shared_folder)
        commands.run_search(FLAGS.experiment, data, 2, on, threads=FLAGS.threads or 0,
                            input=resolve_input(FLAGS.input))
    elif FLAGS.mode == "train":
        verbose = FLAGS.verbose if FLAGS.verbose == "auto" else int(FLAGS.verbose)
        on = None
        if FLAGS.ray is not None:
            on = cluster.Cluster(FLAGS.ray, FLAGS.threads or 1, FLAGS.ray_shared_folder)
        commands.train_stage(spec, data, seeds, verbose, on)
    else:
        try:
            if FLAGS.mode == "evaluate":
                commands.evaluate_model(FLAGS.model, destination, data[1])
            elif FLAGS.mode == "predict":
                sys.exit(commands.predict_files(FLAGS.model, FLAGS.images, FLAGS.json))
            elif FLAGS.mode == "demo":
                commands.serve_demo(FLAGS.model, FLAGS.host, FLAGS.port)
            else:
                commands.export_model(FLAGS.model, destination, data)
        except (ValueError, OSError) as err:
            fail(err)


if __name__ == "__main__":
    app.run(main, flags_parser=parse_flags)
