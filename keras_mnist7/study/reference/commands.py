"""--mode=torch once main.py has accepted its flags: the PyTorch reference of a run."""

import sys

from keras_mnist7.run.seeds import seeds_table
from keras_mnist7.study.reference import torch_reference


def train_torch(spec, data, seeds):
    """--mode=torch: the PyTorch reference of the run `spec`, once per seed, and seeds.json."""
    try:
        result = torch_reference.run_seeds(spec, seeds, data)
    except OSError as err:
        print(f"error: cannot write {err.filename or spec.folder} ({err.strerror or err})",
              file=sys.stderr)
        sys.exit(1)
    print(f"[done] {spec.folder}/seeds.json\n{seeds_table(result)}")
