"""Unit tests; run from the repository root: python -m unittest discover -s tests -t ."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before any test imports TensorFlow
