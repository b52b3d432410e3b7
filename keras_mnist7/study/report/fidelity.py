"""Keras against the PyTorch reference and the seed's claims, stage by stage, over seeds.

A single seed cannot say whether a stage "falls short" of the seed's number: these compare the
means over seeds and say whether a difference is within the seeds' spread -- here, no larger
than the larger of the two sample standard deviations. Plain result files in, Markdown out.
"""

import json
import statistics
from pathlib import Path

from keras_mnist7.spec.bar import LAST_EPOCHS
from keras_mnist7.spec.stages import get_stage

# Where each framework's runs of a stage are, with either initialisation: the stage's own runs
# and their PyTorch reference, and the ablation that swaps the initialisation in each.
VARIANTS = (("Keras", "{stage}"), ("PyTorch", "{stage}/torch"),
            ("Keras", "ablations/init-torch/{stage}"), ("Keras", "ablations/init-keras/{stage}"),
            ("PyTorch", "ablations/init-keras/{stage}/torch"))
INIT_NAMES = {"keras": "Keras init", "torch": "PyTorch init"}


def load_variants(results_dir, stage):
    """[(framework, init, folder, seeds.json's data)] of the VARIANTS that have run."""
    found = []
    for framework, pattern in VARIANTS:
        folder = Path(results_dir) / pattern.format(stage=stage)
        if (folder / "seeds.json").is_file():
            result = json.loads((folder / "seeds.json").read_text())
            init = (result.get("architecture") or {}).get("init", "keras")
            found.append((framework, init, folder, result))
    return found


def per_seed(runs):
    """Each seed's best test accuracy and the mean of its last 4 epochs (percent)."""
    return {"best": [max(run["test_acc"]) for run in runs],
            "last4": [statistics.mean(run["test_acc"][-LAST_EPOCHS:]) for run in runs]}


def spread(values):
    """(mean, sample std); std 0 for one value."""
    return statistics.mean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def _pm(values):
    mean, std = spread(values)
    return f"{mean:.2f} ± {std:.2f}"


def within_spread(first, second):
    """Whether the difference of two means is no larger than the larger sample std."""
    return abs(spread(first)[0] - spread(second)[0]) <= max(spread(first)[1], spread(second)[1])


def _verdict(keras, torch):
    if min(len(keras), len(torch)) < 2:
        return "one seed on a side: not judged"
    return f"{'within' if within_spread(keras, torch) else 'beyond'} the spread"


def comparison_table(results_dir, stages):
    """Per stage: the seed's claim, Keras and the PyTorch reference (their own default
    initialisations), best and last-4 means +- std over seeds, and the difference."""
    lines = ["| stage | seeds Keras / PyTorch | seed's claim, best test % | Keras best % | "
             "PyTorch best % | Keras last 4 % | PyTorch last 4 % | Keras − PyTorch, last 4 |",
             "|---|--:|--:|--:|--:|--:|--:|--:|"]
    for stage in stages:
        pair = reference_pair(results_dir, stage)
        if pair is None:
            continue
        keras_seeds, torch_seeds = (per_seed(r["runs"]) for r in pair)
        difference = spread(keras_seeds["last4"])[0] - spread(torch_seeds["last4"])[0]
        claim = get_stage(stage).seed_claim
        lines.append(
            f"| {stage} | {len(pair[0]['runs'])} / {len(pair[1]['runs'])} | "
            f"{claim['best_test']:.2f} | {_pm(keras_seeds['best'])} | {_pm(torch_seeds['best'])} | "
            f"{_pm(keras_seeds['last4'])} | {_pm(torch_seeds['last4'])} | {difference:+.2f} "
            f"({_verdict(keras_seeds['last4'], torch_seeds['last4'])}) |")
    return lines


def reference_pair(results_dir, stage):
    """(the stage's Keras result, its PyTorch reference with PyTorch's own init), or None."""
    variants = load_variants(results_dir, stage)
    keras_own = next((r for fw, _, folder, r in variants
                      if fw == "Keras" and folder == Path(results_dir) / stage), None)
    reference = next((r for fw, init, _, r in variants if fw == "PyTorch" and init == "torch"),
                     None)
    return None if keras_own is None or reference is None else (keras_own, reference)


def init_ablation_sentence(results_dir, stages):
    """Each stage's Keras run with the initialisation it does not default to, against the
    reference: what the initialisation alone moves, in one sentence (None if none has run)."""
    parts = []
    for stage in stages:
        pair = reference_pair(results_dir, stage)
        own_init = get_stage(stage).architecture.init
        other = next((r for fw, init, _, r in load_variants(results_dir, stage)
                      if fw == "Keras" and init != own_init), None)
        if pair is None or other is None:
            continue
        swapped, reference = (per_seed(r["runs"])["last4"] for r in (other, pair[1]))
        parts.append(f"{stage} with {INIT_NAMES[other['architecture']['init']]} instead of "
                     f"{INIT_NAMES[own_init]} reads {_pm(swapped)}, "
                     f"{spread(swapped)[0] - spread(reference)[0]:+.2f} against the reference "
                     f"({_verdict(swapped, reference)})")
    return ("The initialisation alone, last 4 epochs: " + "; ".join(parts) + ".") if parts else None


def init_table(results_dir, stages):
    """Last-4 means +- std of every framework x initialisation that has run, one row a stage:
    whether the results group by framework or by initialisation."""
    columns = [(fw, init) for fw in ("Keras", "PyTorch") for init in ("keras", "torch")]
    lines = ["| stage | " + " | ".join(f"{fw}, {INIT_NAMES[init]}" for fw, init in columns)
             + " |", "|---|" + "--:|" * len(columns)]
    for stage in stages:
        cells = {(fw, init): r for fw, init, _, r in load_variants(results_dir, stage)}
        if len(cells) < 2:
            continue
        lines.append(f"| {stage} | " + " | ".join(
            f"{_pm(per_seed(cells[c]['runs'])['last4'])} ({len(cells[c]['runs'])})"
            if c in cells else "–" for c in columns) + " |")
    return lines


def claim_sentence(stage, keras_runs, reference_runs=None):
    """The seed's claim against the seeds' best test accuracies (mean +- std): matched, beaten
    or missed, and whether within the seeds' spread; the PyTorch reference's beside it."""
    claim = get_stage(stage).seed_claim
    if claim is None:
        return None
    best = per_seed(keras_runs)["best"]
    mean, std = spread(best)
    if len(best) < 2:
        verdict = (f"{'beats' if mean > claim['best_test'] else 'falls short of'} it by "
                   f"{abs(mean - claim['best_test']):.2f} points; one seed has no spread to "
                   "judge that by")
    elif abs(claim["best_test"] - mean) <= std:
        verdict = "matches it within the seeds' spread"
    elif mean > claim["best_test"]:
        verdict = f"beats it by {mean - claim['best_test']:.2f} points, beyond the seeds' spread"
    else:
        verdict = (f"falls short of it by {claim['best_test'] - mean:.2f} points, beyond the "
                   "seeds' spread")
    reaching = sum(b >= claim["best_test"] for b in best)
    here = (f"the best test accuracy of each of {len(best)} seeds here averages {mean:.2f} ± "
            f"{std:.2f}%" if len(best) > 1 else f"one seed here reaches {mean:.2f}%")
    sentence = (f"The seed's write-up reports best test {claim['best_test']:.2f}% (train "
                f"{claim['best_train']:.2f}%) for this stage from one run; {here}, which "
                f"{verdict} ({reaching} of {len(best)} seeds reach it)")
    if reference_runs:
        reference = per_seed(reference_runs)["best"]
        sentence += (f"; the PyTorch reference's {len(reference)} seeds average "
                     f"{_pm(reference)}% (`results/{stage}/torch/`)")
    return sentence + "."
