#!/usr/bin/env bash
# docs/demo.png: the demo's browser test, with a screenshot taken at its end (a 1 drawn, then
# samples/seven_scan.png uploaded).
set -euo pipefail
cd "$(dirname "$0")/.."
KERAS_MNIST7_SCREENSHOT=docs/demo.png "${PYTHON:-.venv/bin/python}" -m unittest \
  tests.test_demo.BrowserTest
