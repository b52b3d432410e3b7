#!/usr/bin/env bash
# GPU figures on a machine with JAX (and CUDA) but no TensorFlow or Keras: installs the wheels
# carried in .whl/ (scripts/gpu_carry.sh fetches them here), then runs `main.py --mode=gpu`
# with KERAS_BACKEND=jax on the MNIST files carried in .mnist/: m4 and m5 for 15 epochs, each
# by fit() with steps_per_execution 1 and 32 and with the data on the device, one JSON file
# each in RESULTS_DIR/gpu/ (default results/gpu/).
#
#   bash scripts/gpu.sh [RESULTS_DIR]        # on the GPU machine (about 2-4 minutes on an H100)
#   bash scripts/gpu.sh RESULTS_DIR --epochs=3 --train_size=512   # the check on a CPU
set -euo pipefail
cd "$(dirname "$0")/.."
results=${1:-results}
shift || true
python=${PYTHON:-python3}
export KERAS_BACKEND=jax PYTHONUNBUFFERED=1
if ! "$python" -c "import keras" 2>/dev/null && compgen -G ".whl/*.whl" >/dev/null; then
  site=$(mktemp -d)
  "$python" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target "$site" .whl/*.whl
  export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
fi
data=()
[ -d .mnist ] && data=(--data_dir=.mnist)
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
"$python" main.py --mode=gpu --results_dir="$results" "${data[@]}" "$@"
