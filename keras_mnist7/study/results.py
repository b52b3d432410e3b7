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
    named = {}
    for path in sorted((Path(results_dir) / group).glob(pattern or f"*/{stage}/seeds.json")):
        result = json.loads(path.read_text())
        if result.get("architecture") is None:
            first = path.parent / f"seed{result['runs'][0]['seed']}" / "metrics.json"
            result["architecture"] = json.loads(first.read_text()).get("architecture")
        named[path.parent.parent.name] = result
    return named


def load_ablations(results_dir, stage):
    """results/ablations/<name>/<stage>/seeds.json by name; the name says what changed."""
    return _load_named(results_dir, "ablations", stage)


def load_holdouts(results_dir, stage):
    """results/holdout/<name>/<stage>/seeds.json by name: runs scored on held-out training
    images (--holdout), never on the test set. A stage found by a search of its own has its
    candidates in results/holdout-<stage>/<name>/, trained as the stage it grew from with
    other plans (m6's ran as m5 with --plan, before m6 existed)."""
    return {**_load_named(results_dir, "holdout", stage),
            **_load_named(results_dir, f"holdout-{stage}", stage, "*/*/seeds.json")}


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
