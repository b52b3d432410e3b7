"""--mode=search once main.py has accepted its flags: the cross-validated search of the
experiments registry. Imports Keras."""

import sys

from keras_mnist7.output.files import prepare_run_dir
from keras_mnist7.run.commands import run_benchmark
from keras_mnist7.run.run_lock import FolderInUse, FolderLock
from keras_mnist7.study.search.experiments import get_experiment
from keras_mnist7.study.search.protocol import ALL_FOLDS, fold_scores, paired, verdict


def search_step(experiment):
    """(decision, folds to run next) of an experiment, from the result files."""
    scores = fold_scores(experiment.seeds_json())
    if experiment.kind == "baseline":
        missing = tuple(fold for fold in ALL_FOLDS if fold not in scores)
        return ("running" if missing else "done"), missing
    return verdict(scores, fold_scores(get_experiment(experiment.baseline).seeds_json()))


def describe_search(experiment):
    """One line: the experiment's decision and its paired comparison so far."""
    decision, _ = search_step(experiment)
    line = f"[search] {experiment.name}: {decision}"
    if experiment.kind == "candidate":
        scores = fold_scores(experiment.seeds_json())
        base = fold_scores(get_experiment(experiment.baseline).seeds_json())
        comparison = paired(scores, base)
        if comparison is not None:
            lowest = paired(scores, base, metric="lowest")
            line += (f"; folds {','.join(map(str, comparison.folds))}: last-4 gain "
                     f"{comparison.gain:+.3f} +- {comparison.standard_error:.3f} (t "
                     f"{comparison.t:.1f}), lowest-of-4 gain {lowest.gain:+.3f} +- "
                     f"{lowest.standard_error:.3f}, final loss {comparison.loss:.4f} against "
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
        folder = prepare_run_dir(experiment.folder(), experiment.stage)
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
                done = fold_scores(experiment.seeds_json())
                run_benchmark(spec, sorted({*done, *todo}), data, verbose, on)
        except Exception as err:  # noqa: BLE001 - one broken experiment must not stop the rest
            reason = (str(err).strip().splitlines() or [type(err).__name__])[-1][:200]
            print(f"[search] {name}: failed ({type(err).__name__}: {reason}); the others go "
                  "on", file=sys.stderr, flush=True)
            continue
        finally:
            lock.release()
        print(describe_search(experiment), flush=True)
