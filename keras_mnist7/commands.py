"""What each --mode of main.py does once its flags are accepted: plain values in, lines out.

Imports Keras, and so TensorFlow: main.py loads this module only after checking its flags.
"""

import sys
from pathlib import Path

import keras

from keras_mnist7 import cluster, demo, evaluation, export, prediction
from keras_mnist7.artifacts import describe_outcome, prepare_run_dir
from keras_mnist7.benchmark import run_seeds
from keras_mnist7.experiments import get_experiment
from keras_mnist7.run_lock import FolderInUse, FolderLock
from keras_mnist7.search import ALL_FOLDS, fold_scores, paired, verdict
from keras_mnist7.report import seeds_table
from keras_mnist7.training import train


def load_model(path):
    """keras.saving.load_model, with a one-line error for a file it cannot read."""
    try:
        return keras.saving.load_model(path)
    except Exception as err:  # Keras raises many kinds for a damaged file: all mean the same
        reason = (str(err).strip().splitlines() or [type(err).__name__])[0][:160]
        raise ValueError(f"--model {path}: Keras cannot load it ({reason})") from None


def run_benchmark(spec, seeds, data, verbose, on=None):
    """One run per seed: in this process, or as Ray tasks on `on` (a cluster.Cluster)."""
    if on is None:
        return run_seeds(spec, seeds, data, verbose)
    cluster.connect(on.address)
    return cluster.run_seeds(spec, seeds, data, on, verbose)


def train_stage(spec, data, seeds, verbose, on=None):
    """The run `spec` (a RunSpec) into spec.folder, or (seeds given) one per seed in
    <spec.folder>/seed<k>/ and their seeds.json; `on` a cluster.Cluster: as Ray tasks there."""
    run_dir = spec.folder
    try:
        if seeds is not None:
            result = run_benchmark(spec, seeds, data, verbose, on)
            print(f"[done] {run_dir}/seeds.json\n{seeds_table(result)}")
            return
        metrics = train(spec, data, verbose)
    except cluster.ClusterError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print(f"\n[interrupted] every finished epoch is kept in {run_dir}/: run the same "
              "command again to resume", file=sys.stderr)
        sys.exit(130)
    except OSError as err:  # a full disk, a folder gone read-only: the files on disk are whole
        print(f"error: cannot write {err.filename or run_dir} ({err.strerror or err}); every "
              "finished epoch is kept: fix that, then run the same command again to resume",
              file=sys.stderr)
        sys.exit(1)
    print(describe_outcome(spec.stage, run_dir, metrics))


def search_step(experiment):
    """(decision, folds to run next) of an experiment, from the result files."""
    scores = fold_scores(experiment.seeds_json)
    if experiment.kind == "baseline":
        missing = tuple(fold for fold in ALL_FOLDS if fold not in scores)
        return ("running" if missing else "done"), missing
    return verdict(scores, fold_scores(get_experiment(experiment.baseline).seeds_json))


def describe_search(experiment):
    """One line: the experiment's decision and its paired comparison so far."""
    decision, _ = search_step(experiment)
    line = f"[search] {experiment.name}: {decision}"
    if experiment.kind == "candidate":
        comparison = paired(fold_scores(experiment.seeds_json),
                            fold_scores(get_experiment(experiment.baseline).seeds_json))
        if comparison is not None:
            line += (f"; folds {','.join(map(str, comparison.folds))}: last-4 gain "
                     f"{comparison.gain:+.3f} +- {comparison.standard_error:.3f} (t "
                     f"{comparison.t:.1f}), final loss {comparison.loss:.4f} against "
                     f"{comparison.baseline_loss:.4f}")
    return line


def run_search(names, data, verbose, on=None, **fields):
    """--mode=search: for each experiment in turn, the cv runs the protocol asks for next
    (search.verdict), until it has a decision or waits for its baseline; `fields`: RunSpec's
    (threads, input). Resumable: finished runs are read back, not trained again. An
    experiment another process is running is skipped, so several processes given the same
    list share its work."""
    for name in names:
        experiment = get_experiment(name)
        folder = prepare_run_dir(experiment.folder, experiment.stage)
        command = f"python main.py --mode=search --experiment={name}"
        try:
            lock = FolderLock(folder, command).acquire()
        except FolderInUse as err:
            print(f"[search] {name}: skipped, {err}", flush=True)
            continue
        try:
            spec = experiment.run_spec(tensorboard=False, command=command, **fields)
            while True:
                _, todo = search_step(experiment)
                if not todo:
                    break
                done = fold_scores(experiment.seeds_json)
                run_benchmark(spec, sorted({*done, *todo}), data, verbose, on)
        finally:
            lock.release()
        print(describe_search(experiment), flush=True)


def train_torch(spec, data, seeds):
    """--mode=torch: the PyTorch reference of the run `spec`, once per seed, and seeds.json."""
    from keras_mnist7 import torch_reference

    try:
        result = torch_reference.run_seeds(spec, seeds, data)
    except OSError as err:
        print(f"error: cannot write {err.filename or spec.folder} ({err.strerror or err})",
              file=sys.stderr)
        sys.exit(1)
    print(f"[done] {spec.folder}/seeds.json\n{seeds_table(result)}")


def evaluate_model(model_path, output_dir, test_data):
    model = load_model(model_path)
    result = evaluation.write_evaluation(model, *test_data, output_dir, Path(model_path).name)
    print(f"{model_path}: {evaluation.describe(result)}")
    print(f"[done] confusion.png, mistakes.png, evaluation.json -> {output_dir}/")


def predict_files(model_path, paths, as_json):
    """Prints one line (or one JSON object) per file; returns the exit status: 1 if any failed."""
    records = prediction.classify_files(load_model(model_path), paths)
    text, errors = prediction.format_records(records, as_json)
    if text:
        print(text)
    for line in errors:
        print(line, file=sys.stderr)
    return int(any("error" in record for record in records))


def serve_demo(model_path, host, port):
    """The draw-a-digit page for the model, until Ctrl-C; a port in use is a one-line error."""
    model = load_model(model_path)
    try:
        server = demo.make_server(model, Path(model_path).name, host, port)
    except OSError as err:
        raise OSError(f"--host {host} --port {port}: cannot serve there "
                      f"({err.strerror or err})") from None
    print(f"[demo] {model_path} at http://{host}:{server.server_address[1]}/ "
          "(Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\n[demo] stopped")
    finally:
        server.server_close()


def export_model(model_path, export_dir, data):
    (x_train, _), test = data
    report = export.export_model(load_model(model_path), export_dir, test,
                                 calibration_images=x_train, source=model_path)
    print(export.describe(report))
    print(f"[done] {export_dir}/ (export.json: the numbers above)")
