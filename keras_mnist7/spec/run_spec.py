"""One training run as one frozen value: what a process (or a worker) needs to train it.

Plain data, no Keras, and picklable: stage, recipe, architecture, seed, holdout and folder
travel together instead of as a long list of parameters.
"""

import dataclasses
import importlib.util
from pathlib import Path

from keras_mnist7.spec.architecture import Architecture
from keras_mnist7.spec.stages import Recipe, get_stage

INPUTS = ("dataset", "arrays")
RESULTS_DIR = Path("results")  # the repository's results, from where main.py runs
CV_FOLDS = 6  # cross-validation folds of the training images (data.cv_split)


def tensorflow_available():
    """Whether TensorFlow can be imported here, found without importing it (it takes seconds)."""
    try:
        return importlib.util.find_spec("tensorflow") is not None
    except (ImportError, ValueError):
        return False


def resolve_input(choice):
    """--input=auto: tf.data where TensorFlow is installed, else the arrays path."""
    if choice == "auto":
        return "dataset" if tensorflow_available() else "arrays"
    if choice == "dataset" and not tensorflow_available():
        raise ValueError("--input=dataset needs TensorFlow (tf.data): install it, or use "
                         "--input=arrays")
    return choice


@dataclasses.dataclass(frozen=True)
class RunSpec:
    stage: str
    recipe: Recipe
    architecture: Architecture
    folder: Path  # where the run writes; for a benchmark, the group folder of its seeds
    seed: int = 0
    holdout: int = 0  # > 0: the last N training images stand in for the test set
    # Cross-validation: the run of seed k trains outside fold k mod 6 of the training images
    # and is evaluated on that fold (data.cv_split): seeds 0-5 pair each seed with its own
    # fold, and seeds k + 6j are further runs on fold k (an ensemble's members).
    cv: bool = False
    tensorboard: bool = True  # also write Keras' TensorBoard logs
    # "dataset": tf.data feeds the model, augmentation mapped over its batches. "arrays": the
    # uint8 arrays go to fit() whole, augmentation runs in the model's first layers (no
    # TensorFlow needed).
    input: str = "dataset"
    threads: int = 0  # CPU threads for the backend (0: its default, every core)
    command: str | None = None  # the command line, recorded with the run

    @classmethod
    def of_stage(cls, stage, folder, **changes):
        """The stage's own recipe and architecture, with `changes` to any field."""
        own = get_stage(stage)
        fields = {"recipe": own.recipe, "architecture": own.architecture, **changes}
        return cls(stage=stage, folder=Path(folder), **fields)

    def __post_init__(self):
        if self.input not in INPUTS:
            raise ValueError(f"--input must be one of {', '.join(INPUTS)}, got {self.input}")
        if self.threads < 0:
            raise ValueError(f"--threads must be >= 0, got {self.threads}")
        if self.cv and self.holdout:
            raise ValueError("--cv and --holdout each choose what a run is evaluated on: give one")
        if self.cv and self.seed < 0:
            raise ValueError(f"--cv pairs seed k with fold k mod {CV_FOLDS}: seeds are >= 0, "
                             f"got {self.seed}")

    @property
    def cv_fold(self):
        """The fold this run is evaluated on (None: not a cv run)."""
        return self.seed % CV_FOLDS if self.cv else None

    @property
    def held_out(self):
        """Whether the run is evaluated on training images kept out of training, not the test set."""
        return bool(self.holdout or self.cv)

    def for_seed(self, seed):
        """A benchmark's run of `seed`: in <folder>/seed<k>/."""
        return dataclasses.replace(self, seed=seed, folder=Path(self.folder) / f"seed{seed}")
