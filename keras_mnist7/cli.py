"""The program behind main.py: train a stage of the keras_mnist7 study, or use a trained model.

    python main.py --stage=m3
    python main.py --stage=m4 --epochs=15 --lr=0.05 --step_size=6 --gamma=0.1
    python main.py --mode=evaluate --model=pretrained/m5.keras
    python main.py --mode=predict --model=pretrained/m5.keras --images=samples
    python main.py --mode=export --model=pretrained/m5.keras --export_dir=exported
    python main.py --mode=demo --model=pretrained/m5.keras
    python main.py --mode=torch --stage=m4 --seeds=0,1,2   # the PyTorch reference
    python main.py --mode=search --experiment=m5-batch-16  # a cross-validated candidate

A recipe flag left unset keeps the stage's default (keras_mnist7/spec/stages.py). Artifacts go to
<output_dir>/<stage>/: history.csv, curves.png, best.keras, last.keras, summary.txt, metrics.json.
The same command run again resumes an unfinished run, or says the run is finished.

Flags are defined here, once; the recipe and architecture flags come from the fields of Recipe
and Architecture (their help, choices and each stage's default). MODES, one table, holds each
--mode: its help, what it checks before TensorFlow loads and what it runs after.
"""

import dataclasses
import os
import re
import sys
import types
import typing
from pathlib import Path

from absl import app, flags

from keras_mnist7.data.mnist import DataError, cv_split, load_mnist, load_split
from keras_mnist7.output.files import (
    check_model_file,
    describe_outcome,
    ensure_writable,
    prepare_run_dir,
    write_text,
)
from keras_mnist7.run import cluster
from keras_mnist7.run.isa import ISA_CAPS, cap_isa
from keras_mnist7.run.run_lock import FolderInUse, FolderLock
from keras_mnist7.run.run_state import (
    RunConflict,
    clear_run,
    read_metrics,
    run_identity,
    run_status,
)
from keras_mnist7.spec.architecture import Architecture, flag_fields, parse_plan
from keras_mnist7.spec.run_spec import (
    CV_FOLDS,
    RESULTS_DIR,
    RunSpec,
    resolve_input,
    tensorflow_available,
)
from keras_mnist7.spec.stages import (
    STAGES,
    TEACHERS,
    Recipe,
    check_torch_recipe,
    get_stage,
    stage_values,
)
from keras_mnist7.study.search.experiments import EXPERIMENTS, get_experiment
from keras_mnist7.use.pictures import image_files

flags.DEFINE_enum("stage", "m3", STAGES + TEACHERS, "Stage of the study to train, or a "
                  "teacher for them (--teacher).")


def define_setting_flags():
    """One flag per field of Recipe and Architecture made with setting(): its type, help and
    choices from the field; unset, it keeps the stage's own value, which the help lists."""
    for field in [*flag_fields(Recipe), *flag_fields(Architecture)]:
        help_text = f"{field.metadata['help']} Stage default: {stage_values(field.name)}."
        kind = next((t for t in getattr(field.type, "__args__", ()) if t is not type(None)),
                    field.type) if isinstance(field.type, types.UnionType) else field.type
        if field.metadata["choices"]:
            flags.DEFINE_enum(field.name, None, list(field.metadata["choices"]), help_text)
        elif kind is bool:
            flags.DEFINE_bool(field.name, None, help_text)
        elif kind is int:
            flags.DEFINE_integer(field.name, None, help_text)
        elif kind is float:
            flags.DEFINE_float(field.name, None, help_text)
        else:
            flags.DEFINE_string(field.name, None, help_text)


define_setting_flags()
flags.DEFINE_integer("seed", None, "Seed of weights, shuffling and augmentation (unset: 0).")
flags.DEFINE_list("seeds", None,
                  "Benchmark: train once per seed (e.g. 0,1,2) into <output_dir>/<stage>/seed<k>/ "
                  "and summarize them in <output_dir>/<stage>/seeds.json and seeds.md.")
flags.DEFINE_string("data_dir", None,
                    "Folder with mnist.npz or the four MNIST IDX files; unset: found by itself.")
flags.DEFINE_integer("train_size", None,
                     "Train on the first N training images only (a quick smoke run); the test "
                     "set stays whole. Unset: all 60,000.", lower_bound=1)
flags.DEFINE_integer("holdout", None,
                     "Hold out the last N training images and evaluate on them after every "
                     "epoch instead of on the test set, which the run then never sees: for "
                     "choosing between recipes without the test set. Unset: the test set.",
                     lower_bound=1)
flags.DEFINE_bool("cv", False,
                  f"Cross-validation, for choosing without the test set: seed k trains on the "
                  f"training images outside fold k mod {CV_FOLDS} of {CV_FOLDS} (a fixed "
                  "permutation) and is evaluated on that fold after every epoch; seeds "
                  f"0-{CV_FOLDS - 1} are one run per fold.")
flags.DEFINE_list("experiment", None,
                  "search: experiments of keras_mnist7/study/search/rounds/*.toml to run, in turn "
                  f"({', '.join(name for name in EXPERIMENTS if get_experiment(name).runnable)}).")
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
                    "Train --seeds (or a search's folds) as Ray tasks, one per seed: local (a "
                    "Ray instance started here) or HOST:PORT of a Ray cluster's head. Unset: one "
                    "after another, in this process.")
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
flags.DEFINE_enum("verbose", "auto", ["auto", "0", "1", "2"],
                  "Keras fit verbosity: 1 progress bar, 2 one line per epoch, auto: 1.")
flags.DEFINE_string("model", None, "evaluate, predict, export, demo: a .keras model file.")
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
flags.DEFINE_integer("speed_rounds", 3,
                     "speed: how many times every row runs, the rows alternated (medians kept).",
                     lower_bound=1)
flags.DEFINE_string("speed_rows", None,
                    "speed: a regular expression; only the rows whose name it matches run, e.g. "
                    "'keras tensorflow$|autotune|pytorch' (default: every row).")
flags.DEFINE_enum("max_isa", None, list(ISA_CAPS),
                  "speed, profile: cap the instruction set of oneDNN's and PyTorch's kernels "
                  "(avx2: the kernels an AVX2 machine picks, run on this one); the results' "
                  "machine names the cap. Unset: the CPU's own.")
flags.DEFINE_string("results_dir", str(RESULTS_DIR),
                    "report: read the benchmarks (<stage>/seeds.json) from here; speed, "
                    "profile: write speed/<machine>.json, profile/<machine>.json here.")

FLAGS = flags.FLAGS


def _compiles(expression):
    try:
        re.compile(expression)
    except re.error:
        return False
    return True


def fail(message):
    """One line on stderr and exit status 2: no traceback for a user's mistake."""
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def parse_flags(argv):
    try:
        return FLAGS(argv)
    except flags.Error as err:
        fail(err)


def flags_page():
    """docs/flags.md: every flag of this program, its default and its help, from the flags."""
    lines = ["# Flags", "",
             "Written by `python main.py --mode=report` from main.py's flags (a test keeps them "
             "equal); `python main.py --help` prints the same. A recipe or architecture flag "
             "left unset keeps the stage's own value, listed in its help.", "",
             "| flag | default | meaning |", "|---|---|---|"]
    for flag in FLAGS.get_flags_for_module(sys.modules[__name__]):
        default = "stage" if flag.default is None and flag.name in SETTINGS else (
            "unset" if flag.default is None else f"`{flag.default_as_str.strip(chr(39))}`")
        meaning = flag.help.replace('|', '/').replace('<', '&lt;')
        lines.append(f"| `--{flag.name}` | {default} | {meaning} |")
    return "\n".join(lines) + "\n"


SETTINGS = {field.name for field in [*flag_fields(Recipe), *flag_fields(Architecture)]}


def parse_seeds(values):
    """--seeds=0,1,2 -> [0, 1, 2]; None when the flag is not given."""
    if values is None:
        return None
    try:
        seeds = [int(value) for value in values]
    except ValueError:
        raise ValueError(f"--seeds must be integers separated by commas, got {values}") from None
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"--seeds must name distinct seeds, got {values}")
    return seeds


def run_settings():
    """The stage's recipe and architecture with the flags given put in, validated."""
    stage = get_stage(FLAGS.stage)
    recipe = stage.recipe_with(**{field.name: FLAGS[field.name].value
                                  for field in flag_fields(Recipe)})
    changes = {field.name: FLAGS[field.name].value for field in flag_fields(Architecture)}
    changes["plan"] = changes["plan"] and parse_plan(changes["plan"])
    return recipe, stage.architecture_with(**changes)


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


def check_model_flags():
    """evaluate, predict, export, demo: the model file and the mode's own flags, checked up
    front. Returns where the mode writes (None for predict and demo)."""
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


@dataclasses.dataclass(frozen=True)
class Prepared:
    """What a mode's prepare() checked and loaded, for its run(): the data, the run and its
    seeds, where it writes, and the Ray cluster if --ray names one."""

    data: tuple | None = None
    spec: RunSpec | None = None
    seeds: list | None = None
    destination: Path | None = None
    cluster: object = None  # a run.cluster.Cluster
    # The run folder's lock, held while the mode runs: one writer per folder.
    lock: FolderLock | None = None


def prepare_training(command):
    """train and torch: settings, data and run folders checked, the folder locked. Returns the
    Prepared values the mode runs with, or None when a single run is finished already (said
    here)."""
    recipe, architecture = run_settings()
    seeds = parse_seeds(FLAGS.seeds)
    if FLAGS.ray is not None:
        cluster.check_address(FLAGS.ray)
    if FLAGS.mode == "torch":
        check_torch_recipe(recipe)
    data = load_split(FLAGS.data_dir, FLAGS.train_size, FLAGS.holdout or 0)
    run_dir = prepare_run_dir(FLAGS.output_dir, FLAGS.stage)
    if FLAGS.mode == "torch":
        run_dir = prepare_run_dir(run_dir, "torch")
        seeds = seeds or [FLAGS.seed or 0]
    # Held until this process ends: one writer per run folder (and benchmark group).
    lock = FolderLock(run_dir, command).acquire()
    spec = RunSpec(FLAGS.stage, recipe, architecture, run_dir, seed=FLAGS.seed or 0,
                   holdout=FLAGS.holdout or 0, cv=FLAGS.cv, input=resolve_input(FLAGS.input),
                   # Keras' TensorBoard callback writes with TensorFlow's tf.summary.
                   tensorboard=FLAGS.tensorboard and tensorflow_available(),
                   threads=FLAGS.threads or 0, command=command)
    statuses = check_runs(spec, seeds, data)
    if FLAGS.mode == "train" and seeds is None and statuses[run_dir] == "finished":
        print(f"[finished] {run_dir} already holds this run, finished; pass --overwrite to "
              "train it again")
        print(describe_outcome(FLAGS.stage, run_dir, read_metrics(run_dir)))
        return None
    return Prepared(data=data, spec=spec, seeds=seeds, lock=lock)


def prepare(command):
    """What --mode needs, checked before TensorFlow loads (its Mode's prepare); ValueError & co.
    for a mistake. Returns the Prepared values its run takes, or None when there is nothing to
    run."""
    for name in FLAGS.experiment or ():
        if not get_experiment(name).runnable:
            raise ValueError(f"--experiment {name} is a recorded {get_experiment(name).kind} "
                             "of an earlier recipe: nothing to run (its seeds.json has its "
                             "command)")
    mode = MODES[FLAGS.mode]
    if mode.prepare is not prepare_training:
        run_settings()  # the recipe flags are checked whatever the mode
    return mode.prepare(command)


def prepare_model(command):
    """evaluate, predict, export, demo: the model file and where the mode writes."""
    destination = check_model_flags()
    data = load_split(FLAGS.data_dir) if FLAGS.mode in ("evaluate", "export") else None
    return Prepared(data=data, destination=destination)


def prepare_benchmark(command):
    """speed, profile: the folder they write into."""
    ensure_writable(FLAGS.results_dir, flag="--results_dir")
    if FLAGS.max_isa:
        cap_isa(FLAGS.max_isa)  # inherited by every process the benchmark starts
    return Prepared()


def prepare_search(command):
    """search: the cluster, if named, and the data."""
    if FLAGS.ray is not None:
        cluster.check_address(FLAGS.ray)
    return Prepared(data=load_split(FLAGS.data_dir))


def prepare_nothing(command):
    return Prepared()


def run_train(prepared):
    from keras_mnist7.run.commands import train_stage

    verbose = FLAGS.verbose if FLAGS.verbose == "auto" else int(FLAGS.verbose)
    train_stage(prepared.spec, prepared.data, prepared.seeds, verbose, prepared.cluster)


def run_torch(prepared):
    from keras_mnist7.study.reference.commands import train_torch

    train_torch(prepared.spec, prepared.data, prepared.seeds)


def run_search(prepared):
    from keras_mnist7.study.search.commands import run_search

    run_search(FLAGS.experiment, prepared.data, 2, prepared.cluster, threads=FLAGS.threads or 0,
               input=resolve_input(FLAGS.input))


def run_evaluate(prepared):
    from keras_mnist7.use.commands import evaluate_model

    evaluate_model(FLAGS.model, prepared.destination, prepared.data[1])


def run_predict(prepared):
    from keras_mnist7.use.commands import predict_files

    sys.exit(predict_files(FLAGS.model, FLAGS.images, FLAGS.json))


def run_export(prepared):
    from keras_mnist7.use.commands import export_model

    export_model(FLAGS.model, prepared.destination, prepared.data)


def run_demo(prepared):
    from keras_mnist7.use.commands import serve_demo

    serve_demo(FLAGS.model, FLAGS.host, FLAGS.port)


def run_speed(prepared):
    from keras_mnist7.study.benchmarks.speed import speed_benchmark, speed_table

    load_mnist(FLAGS.data_dir)  # found (and cached) before any row is timed
    print(speed_table(speed_benchmark(FLAGS.epochs or 3, FLAGS.results_dir,
                                      rounds=FLAGS.speed_rounds, rows=FLAGS.speed_rows)))


def run_profile(prepared):
    from keras_mnist7.study.benchmarks.profile import profile_benchmark, profile_table

    load_mnist(FLAGS.data_dir)  # found (and cached) before either side is timed
    print(profile_table(profile_benchmark(FLAGS.results_dir)))


def run_gpu(prepared):
    from keras_mnist7.study.benchmarks.gpu import gpu_benchmark

    gpu_benchmark(load_mnist(FLAGS.data_dir), Path(FLAGS.results_dir) / "gpu",
                  FLAGS.epochs or 15, FLAGS.train_size)


def run_stages(prepared):
    from keras_mnist7.study.report.writeup import stage_table

    print(stage_table())


def run_report(prepared):
    from keras_mnist7.study.report.pages import write_report

    write_text(Path("docs") / "flags.md", flags_page())
    print(write_report(FLAGS.results_dir))


@dataclasses.dataclass(frozen=True)
class Mode:
    """One --mode: its help, what it checks before TensorFlow loads (prepare(command) -> the
    Prepared it runs with, None for nothing to run) and what it runs then (run(prepared); the
    modules it imports load TensorFlow, only now). `one_line_errors`: a ValueError or OSError
    of its run is the user's (a bad model file, a full disk), said in one line."""

    help: str
    prepare: typing.Callable
    run: typing.Callable
    one_line_errors: bool = False


MODES = {
    "train": Mode("train --stage (--seeds: a benchmark of several seeds) into "
                  "<output_dir>/<stage>/", prepare_training, run_train),
    "torch": Mode("train --stage with the PyTorch reference (the same network, data and "
                  "recipe; the seed stages' recipes) into <output_dir>/<stage>/torch/seed<k>/",
                  prepare_training, run_torch),
    "search": Mode("run the cross-validated folds --experiment still needs "
                   "(keras_mnist7/study/search/rounds/*.toml) into results/cv/<name>/",
                   prepare_search, run_search),
    "evaluate": Mode("--model on the test set (confusion.png, mistakes.png, evaluation.json)",
                     prepare_model, run_evaluate, one_line_errors=True),
    "predict": Mode("--model on --images, a line per picture", prepare_model, run_predict,
                    one_line_errors=True),
    "export": Mode("--model to SavedModel, LiteRT and ONNX in --export_dir, each checked by its "
                   "runtime", prepare_model, run_export, one_line_errors=True),
    "demo": Mode("a page to draw or upload a digit for --model, at http://--host:--port/",
                 prepare_model, run_demo, one_line_errors=True),
    "speed": Mode("time m4's epochs on every installed Keras backend and the PyTorch reference "
                  "(--epochs, default 3) into --results_dir/speed/<machine>.json and .md",
                  prepare_benchmark, run_speed),
    "profile": Mode("where a training step of m4 spends its time, Keras (TensorFlow) against "
                    "the PyTorch reference, part by part, on one thread, into "
                    "--results_dir/profile/<machine>.json and .md",
                    prepare_benchmark, run_profile),
    "gpu": Mode("m4 and m5 timed on a GPU three ways (fit with 1 and 32 steps per execution, "
                "the data on the device), on JAX (KERAS_BACKEND=jax; scripts/gpu.sh) into "
                "--results_dir/gpu/ (--epochs, default 15; --epochs or --train_size: a check, "
                "not a figure)", prepare_benchmark, run_gpu, one_line_errors=True),
    "stages": Mode("print the stage table", prepare_nothing, run_stages),
    "report": Mode("write README's results section, docs/results.md, docs/flags.md and the "
                   "model cards from --results_dir", prepare_nothing, run_report),
}
flags.DEFINE_enum("mode", "train", list(MODES),
                  "; ".join(f"{name}: {mode.help}" for name, mode in MODES.items()) + ".")

# The flags' combinations, checked when they are parsed (after --mode exists).
flags.register_multi_flags_validator(
    ["seed", "seeds"], lambda f: f["seed"] is None or f["seeds"] is None,
    "give either --seed or --seeds, not both")
flags.register_multi_flags_validator(
    ["holdout", "cv"], lambda f: not (f["holdout"] and f["cv"]),
    "--cv and --holdout each choose what a run is evaluated on: give one")
flags.register_multi_flags_validator(
    ["holdout", "cv", "mode"],
    lambda f: MODES[f["mode"]].prepare is prepare_training or not (f["holdout"] or f["cv"]),
    "--holdout and --cv are for --mode=train (--holdout also --mode=torch)")
flags.register_multi_flags_validator(
    ["cv", "mode"], lambda f: not f["cv"] or f["mode"] == "train", "--cv is for --mode=train")
flags.register_multi_flags_validator(
    ["mode", "experiment"], lambda f: (f["mode"] == "search") == (f["experiment"] is not None),
    "--mode=search and --experiment=NAME[,...] go together")
flags.register_multi_flags_validator(
    ["ray", "mode", "seeds"],
    lambda f: f["ray"] is None or f["mode"] == "search" or f["mode"] == "train" and f["seeds"],
    "--ray runs a benchmark: it needs --mode=train and --seeds, or --mode=search")
flags.register_validator("speed_rows", lambda rows: rows is None or _compiles(rows),
                         "--speed_rows must be a regular expression")


def main(argv):
    if len(argv) > 1:
        fail(f"unexpected arguments {argv[1:]}; flags look like --stage=m3")
    command = " ".join(["python", "main.py", *sys.argv[1:]])
    try:
        prepared = prepare(command)
    except (ValueError, OSError, DataError, RunConflict, FolderInUse) as err:
        fail(err)
    if prepared is None:
        return
    # TensorFlow loads only now, once the flags are accepted: it prints start-up lines that
    # TF_CPP_MIN_LOG_LEVEL does not silence (TF 2.21), which would bury a one-line error.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    on = None if FLAGS.ray is None else cluster.Cluster(FLAGS.ray, FLAGS.threads or 1,
                                                        FLAGS.ray_shared_folder)
    try:
        MODES[FLAGS.mode].run(dataclasses.replace(prepared, cluster=on))
    except (ValueError, OSError) as err:
        if not MODES[FLAGS.mode].one_line_errors:
            raise
        fail(err)


def run():
    """The console entry point (`keras-mnist7`), as `python main.py`."""
    app.run(main, flags_parser=parse_flags)
