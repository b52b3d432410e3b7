"""What evaluating the average with its own BatchNorm statistics adds to an epoch of m5: the
statistics recomputed over 4,096 training images, and the raw weights scored on 10,000 held-out
images, each timed 5 times on one thread (medians). A benchmark, not a test:

    .venv/bin/python scripts/averaging_cost.py
"""

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from keras_mnist7.data.mnist import cv_split, load_mnist  # noqa: E402
from keras_mnist7.run.averaging import AveragedWeightsOwnStatistics, StatisticsProbe  # noqa: E402
from keras_mnist7.run.training import compiled_model  # noqa: E402
from keras_mnist7.spec.run_spec import RunSpec  # noqa: E402


def median_seconds(work, times=5):
    work()  # traced and compiled first
    seconds = []
    for _ in range(times):
        start = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def main():
    (x_train, _), (x_fold, y_fold) = cv_split(load_mnist(), 0)
    model = compiled_model(RunSpec.of_stage("m5", "unused", threads=1), len(x_train))
    probe = StatisticsProbe(model, x_train[:4096, ..., None].astype("float32"))
    averaged = AveragedWeightsOwnStatistics(x_train[:4096, ..., None], (x_fold[..., None], y_fold))
    averaged.set_model(model)
    print(f"statistics over 4,096 images: {median_seconds(probe.recompute):.2f} s; raw weights "
          f"scored on {len(x_fold):,} images: {median_seconds(averaged.score_raw):.2f} s "
          "(medians of 5, one thread)")


if __name__ == "__main__":
    main()
