#!/usr/bin/env bash
# The tests, in one command that first installs what they need (idempotently):
#
#   bash scripts/test.sh        # the full tier: trainings, browser, backends, Ray, kill/resume (CI)
#   bash scripts/test.sh fast   # the fast tier, while changing code: no training, no download
#
# Both check the code first: ruff's rules and the import-linter contracts (pyproject.toml). The
# full tier installs every optional requirement and, where apt-get can, Debian's Chromium for
# the browser test; a test whose optional package is missing says it is skipped, and why.
set -euo pipefail
cd "$(dirname "$0")/.."
tier=${1:-full}
case "$tier" in full|fast) ;; *) echo "usage: scripts/test.sh [full|fast]" >&2; exit 2 ;; esac

[ -x .venv/bin/python ] || python3 -m venv .venv
requirements=(-r requirements.txt -r requirements-test.txt)
[ "$tier" = fast ] || requirements+=(-r requirements-backends.txt -r requirements-ray.txt)
.venv/bin/python -m pip install --quiet --disable-pip-version-check "${requirements[@]}"
if [ "$tier" = full ] && { ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; }; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
    chromium-driver >/dev/null) 2>/dev/null || echo "chromium not installed: the browser test is skipped"
fi

.venv/bin/ruff check .
.venv/bin/lint-imports --no-cache
KERAS_MNIST7_TESTS=$tier .venv/bin/python -m unittest discover -s tests -t . -v
