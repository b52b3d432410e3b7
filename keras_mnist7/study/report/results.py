"""Loading the results folder: each benchmark's seeds.json, by what kind of benchmark it is."""

import json
from pathlib import Path


def load_results(results_dir, stage):
    """results/<stage>/seeds.json with the first seed's metrics.json; None if not benchmarked."""
    stage_dir = Path(results_dir) / stage
    if not (stage_dir / "seeds.json").is_file():
        return None
    result = json.loads((stage_dir / "seeds.json").read_text())
    first = result["runs"][0]["seed"]
    result["first_run"] = json.loads((stage_dir / f"seed{first}" / "metrics.json").read_text())
    result["curves"] = f"{stage}/seed{first}/curves.png"
    return result


def read_benchmark(path):
    """A seeds.json, or None where there is none; older ones lack the architecture: it is
    read from their first run."""
    path = Path(path)
    if not path.is_file():
        return None
    result = json.loads(path.read_text())
    if result.get("architecture") is None:
        first = path.parent / f"seed{result['runs'][0]['seed']}" / "metrics.json"
        result["architecture"] = json.loads(first.read_text()).get("architecture")
    return result


def load_recorded(results_dir, stage, kind, experiments=None):
    """{name: result} of the experiments of `kind` and `stage` in the registry (or
    `experiments`), in the registry's order, each read from the folder it names; a holdout is
    named as in the registry, the other kinds by their folder."""
    if experiments is None:
        from keras_mnist7.study.search.experiments import REGISTRY

        experiments = REGISTRY.values()
    named = {}
    for experiment in experiments:
        if experiment.kind != kind or experiment.stage != stage:
            continue
        path = experiment.seeds_json(results_dir)
        if path.is_file():
            name = experiment.name if kind == "holdout" else Path(experiment.recorded).name
            named[name] = read_benchmark(path)
    return named


def load_ablations(results_dir, stage, experiments=None):
    """The stage's ablations by folder name: one change each from the stage as it was then."""
    return load_recorded(results_dir, stage, "ablation", experiments)


def load_holdouts(results_dir, stage, experiments=None):
    """The stage's held-out experiments, in the order they ran: runs scored on held-out
    training images (--holdout), never on the test set. m6's ran as m5 with --plan."""
    return load_recorded(results_dir, stage, "holdout", experiments)


def load_tuning(results_dir, stage, experiments=None):
    """The stage's runs on the seeds used to choose it, kept apart from the seeds that confirm
    it; None if there are none."""
    return next(iter(load_recorded(results_dir, stage, "tuning", experiments).values()), None)


def load_earlier_confirmations(results_dir, stage, experiments=None):
    """Confirmations of earlier recipes of the stage that failed, which used their seeds up
    (kept, and reported)."""
    return load_recorded(results_dir, stage, "confirmation", experiments)


def load_stage(results_dir, stage):
    path = Path(results_dir) / stage / "seeds.json"
    return json.loads(path.read_text()) if path.is_file() else None
