"""Collects the search's throughput benchmark into one JSON file: m5 runs of 15 epochs on one
thread, two side by side (how every search runs), one pair on each of two revisions measured
one after the other on an otherwise idle machine. Each run's epoch seconds come from its own
metrics.json, so the file is rebuilt from the run folders, never typed in:

    .venv/bin/python scripts/search_throughput.py --out results/speed-steps/search-throughput.json \
        --benchmark "WHAT WAS RUN" --command "EACH RUN'S COMMAND" \
        before=REVISION:RUN_DIR_A,RUN_DIR_B after=REVISION:RUN_DIR_C,RUN_DIR_D
"""

import argparse
import json
import statistics
from pathlib import Path


def run_record(side, revision, run_dir):
    """One run: its fold, device, every epoch's seconds and the median of epochs 2-15 (epoch 1
    pays for tracing)."""
    (seed_dir,) = Path(run_dir).glob("m5/seed[0-9]*")
    metrics = json.loads((seed_dir / "metrics.json").read_text())
    rows = metrics["history"]
    seconds = [round(row["epoch_seconds"], 3) for row in rows]
    return {
        "side": side,
        "revision": revision,
        "fold": metrics["cv_fold"],
        "device": metrics["device"],
        "epoch_seconds": seconds,
        "median_epoch_seconds_2_15": round(statistics.median(seconds[1:]), 2),
        "final_held_out_pct": round(100 * rows[-1]["val_accuracy"], 2),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--benchmark", required=True, help="what was run, in words")
    parser.add_argument("--command", required=True, help="the command each run was")
    parser.add_argument("sides", nargs="+", help="SIDE=REVISION:RUN_DIR,RUN_DIR")
    args = parser.parse_args()
    runs = []
    for side_spec in args.sides:
        side, rest = side_spec.split("=", 1)
        revision, dirs = rest.split(":", 1)
        runs += [run_record(side, revision, run_dir) for run_dir in dirs.split(",")]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(
        {"benchmark": args.benchmark, "command": args.command, "runs": runs}, indent=1) + "\n")
    for run in runs:
        print(f"{run['side']} {run['revision']} fold {run['fold']}: "
              f"{run['median_epoch_seconds_2_15']} s/epoch, {run['final_held_out_pct']}%")


if __name__ == "__main__":
    main()
