#!/usr/bin/env bash
# docs/demo.png: the demo's browser test, with a screenshot taken once the 1 it draws is read
# (the drawing, its prepared 28x28 input and the answer, before the test uploads a picture).
set -euo pipefail
cd "$(dirname "$0")/.."
KERAS_MNIST7_SCREENSHOT=docs/demo.png "${PYTHON:-.venv/bin/python}" -m unittest \
  tests.test_demo.BrowserTest
