"""The cross-validated protocol that judges a candidate against its baseline, as plain numbers.

Written before the runs it judges. Seed k of a cv run trains outside fold k of the training
images and is scored on fold k (--cv), so a candidate and its baseline meet on the same
(seed, fold) pairs; each pair gives two accuracies of the last 4 epochs -- their mean, and
their lowest, the number the bar is about -- and the final held-out loss. The paired
differences carry the comparison, for each of the two accuracies (METRICS):

  screen  folds 0-2; the candidate goes on to folds 3-5 only if its mean paired gain there is
          at least SCREEN_GAIN points, in either accuracy.
  pass    over all 6 folds: in either accuracy, a mean paired gain >= PASS_GAIN points with
          paired t >= PASS_T; and a mean final loss no higher than the baseline's.

No Keras: the numbers come from the seeds.json files the runs leave.
"""

import dataclasses
import enum
import json
import math
from pathlib import Path

from keras_mnist7.spec.bar import LAST_EPOCHS

SCREEN_FOLDS = (0, 1, 2)
POWER_FOLDS = (3, 4, 5)
ALL_FOLDS = SCREEN_FOLDS + POWER_FOLDS
SCREEN_GAIN = 0.03  # points of held-out accuracy, mean of the last 4 epochs
PASS_GAIN = 0.08
PASS_T = 2.0
# Accuracies are recorded to 0.01 points, so gains are exact on paper but not in floats: a
# gain within this of a threshold counts as reaching it.
TOLERANCE = 1e-9


class Decision(enum.StrEnum):
    """Where a candidate stands under the rule (a string: tables print its value)."""

    SCREENING = "screening"  # folds 0-2 unfinished, by the candidate or its baseline
    DROPPED = "dropped at screen"
    POWERING = "powering"  # folds 3-5 unfinished
    PASSED = "passed"
    FAILED = "failed"

    @property
    def final(self):
        """Whether no fold is left to run."""
        return self in (Decision.DROPPED, Decision.PASSED, Decision.FAILED)


@dataclasses.dataclass(frozen=True)
class FoldScore:
    fold: int
    last4: float  # mean held-out accuracy of the last 4 epochs, in percent
    final_loss: float  # held-out loss after the last epoch
    lowest: float  # the lowest held-out accuracy of the last 4 epochs, in percent


# The accuracies a candidate may gain in (FoldScore fields), each judged by the same thresholds.
METRICS = ("last4", "lowest")


@dataclasses.dataclass(frozen=True)
class Paired:
    """A candidate against its baseline over the folds both have."""

    folds: tuple
    gain: float  # mean of the paired differences of `metric`, in points
    standard_error: float  # of that mean (nan with fewer than 2 folds)
    loss: float  # candidate's mean final loss
    baseline_loss: float
    metric: str = "last4"

    @property
    def t(self):
        if not self.standard_error or math.isnan(self.standard_error):
            return math.nan
        return self.gain / self.standard_error


def fold_scores(seeds_json):
    """{fold: FoldScore} of a cv benchmark's seeds.json (seed k is fold k); finished runs only."""
    path = Path(seeds_json)
    if not path.exists():
        return {}
    result = json.loads(path.read_text())
    epochs = result["epochs"]
    scores = {}
    for run in result["runs"]:
        if len(run["test_acc"]) >= epochs:
            last = run["test_acc"][-LAST_EPOCHS:]
            scores[run["seed"]] = FoldScore(run["seed"], sum(last) / LAST_EPOCHS,
                                            run["test_loss"][-1], min(last))
    return scores


def paired(candidate, baseline, folds=ALL_FOLDS, metric="last4"):
    """Paired comparison of `metric` (one of METRICS) over the folds of `folds` that both
    {fold: FoldScore} have."""
    common = tuple(fold for fold in folds if fold in candidate and fold in baseline)
    if not common:
        return None
    diffs = [getattr(candidate[fold], metric) - getattr(baseline[fold], metric) for fold in common]
    gain = sum(diffs) / len(diffs)
    if len(diffs) > 1:
        variance = sum((d - gain) ** 2 for d in diffs) / (len(diffs) - 1)
        standard_error = math.sqrt(variance / len(diffs))
    else:
        standard_error = math.nan
    mean = lambda scores: sum(scores[fold].final_loss for fold in common) / len(common)
    return Paired(common, gain, standard_error, mean(candidate), mean(baseline), metric)


def verdict(candidate, baseline):
    """(Decision, folds still to run) for a candidate's {fold: FoldScore} against its
    baseline's."""
    missing = [fold for fold in SCREEN_FOLDS if fold not in candidate]
    if missing or any(fold not in baseline for fold in SCREEN_FOLDS):
        return Decision.SCREENING, tuple(missing)
    if all(paired(candidate, baseline, SCREEN_FOLDS, metric).gain < SCREEN_GAIN - TOLERANCE
           for metric in METRICS):
        return Decision.DROPPED, ()
    missing = [fold for fold in POWER_FOLDS if fold not in candidate]
    if missing or any(fold not in baseline for fold in POWER_FOLDS):
        return Decision.POWERING, tuple(missing)
    full = [paired(candidate, baseline, ALL_FOLDS, metric) for metric in METRICS]
    passes = (any(one.gain >= PASS_GAIN - TOLERANCE and one.t >= PASS_T for one in full)
              and full[0].loss <= full[0].baseline_loss)
    return (Decision.PASSED if passes else Decision.FAILED), ()
