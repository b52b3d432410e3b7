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


def _load_named(results_dir, group, stage, pattern=None):
    """{name: result} of results/<group>/<name>/<stage>/seeds.json, in name order. Older
    seeds.json files lack the architecture: it is read from their first run's metrics.json."""
    return {path.parent.parent.name: _read(path)
            for path in sorted((Path(results_dir) / group).glob(pattern or f"*/{stage}/seeds.json"))}


def _read(path):
    """A seeds.json; older ones lack the architecture: it is read from their first run."""
    result = json.loads(path.read_text())
    if result.get("architecture") is None:
        first = path.parent / f"seed{result['runs'][0]['seed']}" / "metrics.json"
        result["architecture"] = json.loads(first.read_text()).get("architecture")
    return result


def load_ablations(results_dir, stage):
    """results/ablations/<name>/<stage>/seeds.json by name; the name says what changed."""
    return _load_named(results_dir, "ablations", stage)


def load_holdouts(results_dir, stage, experiments=None):
    """{name: result} of the held-out experiments of `stage` in the registry (or `experiments`),
    in the order they ran: runs scored on held-out training images (--holdout), never on the
    test set. Each entry names its folder; m6's candidates ran as m5 with --plan."""
    if experiments is None:
        from keras_mnist7.study.experiments import REGISTRY

        experiments = REGISTRY.values()
    named = {}
    for experiment in experiments:
        if experiment.kind != "holdout" or experiment.stage != stage:
            continue
        path = Path(results_dir) / experiment.seeds_json.relative_to("results")
        if path.is_file():
            named[experiment.name] = _read(path)
    return named


def load_tuning(results_dir, stage):
    """results/<stage>-tuning/<stage>/seeds.json: the stage's runs on the seeds used to choose
    it, kept apart from the seeds that confirm it; None if there are none."""
    found = _load_named(results_dir, "", stage, pattern=f"{stage}-tuning/{stage}/seeds.json")
    return next(iter(found.values()), None)


def load_earlier_confirmations(results_dir, stage):
    """results/<stage>-confirmation-<seeds>/<stage>/seeds.json: confirmations of earlier
    recipes of the stage that failed, which used their seeds up (kept, and reported)."""
    return _load_named(results_dir, "", stage,
                       pattern=f"{stage}-confirmation-*/{stage}/seeds.json")


def _load_stage(results_dir, stage):
    path = Path(results_dir) / stage / "seeds.json"
    return json.loads(path.read_text()) if path.is_file() else None
