"""Parameters against consistency: every network this project has trained, as one point.

A point is a benchmark (a seeds.json): its total parameters by Keras' count against its worst
seed's lowest accuracy over the last 4 epochs -- the assignment's bar, read on the weakest seed.
Runs scored on held-out training images stay apart from test-set runs: the first choose, the
second confirm. The PyTorch reference is left out: it is the same network in another framework.
Plain result files in; results/frontier.json out (the figure is plots.plot_frontier's).
"""

import json
from pathlib import Path

from keras_mnist7.output.files import write_json
from keras_mnist7.output.plots import plot_frontier
from keras_mnist7.spec.bar import BAR
from keras_mnist7.spec.run_spec import RESULTS_DIR

LAST = 4


def _evaluated_on(result):
    return "held-out" if "held out" in result.get("evaluated_on", "the test set") else "test"


def point(results_dir, path, result):
    """The frontier's record of one seeds.json: where, what, and each seed's last-4 low."""
    folder = path.parent.relative_to(results_dir).as_posix()
    lows = [min(run["test_acc"][-LAST:]) for run in result["runs"]]
    return {"name": folder, "stage": result["stage"],
            "kind": "stage" if folder == result["stage"] else "candidate",
            "evaluated_on": _evaluated_on(result), "params": result["params"]["total"],
            "seeds": [run["seed"] for run in result["runs"]], "last4_lowest": lows,
            "worst_last4": min(lows), "seeds_holding": sum(low >= BAR for low in lows),
            "epochs": len(result["runs"][0]["test_acc"]), "command": result.get("command"),
            "recipe": result.get("recipe"), "architecture": result.get("architecture")}


def collect(results_dir=RESULTS_DIR):
    """Every finished benchmark under results_dir but the PyTorch reference's and the teachers'
    (networks 18 times the budget, there to teach, not to meet the bar), smallest first."""
    results_dir = Path(results_dir)
    points = []
    for path in sorted(results_dir.rglob("seeds.json")):
        if {"torch", "teachers"} & set(path.relative_to(results_dir).parts):
            continue
        result = json.loads(path.read_text())
        if result.get("runs") and len(result["runs"][0]["test_acc"]) >= LAST:
            points.append(point(results_dir, path, result))
    return sorted(points, key=lambda p: (p["params"], p["name"]))


def frontier(results_dir=RESULTS_DIR):
    """results/frontier.json's data. A worst seed of 10 sits lower than one of 1 for the same
    network, so each point keeps its seeds: compare points of as many seeds."""
    return {"bar": BAR, "measure": f"the lowest test (or held-out) accuracy over the last {LAST} "
            "epochs, of the worst seed", "points": collect(results_dir)}


def write(results_dir, figure):
    """results_dir/frontier.json and the figure (a PNG path), both from the result files."""
    data = frontier(results_dir)
    write_json(Path(results_dir) / "frontier.json", data)
    plot_frontier(data["points"], figure, BAR)
    return data
