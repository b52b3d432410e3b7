"""One training run as one frozen value: what a process (or a worker) needs to train it.

Plain data, no Keras, and picklable: stage, recipe, architecture, seed, holdout and folder
travel together instead of as a long list of parameters.
"""

import dataclasses
from pathlib import Path

from keras_mnist7.architecture import Architecture
from keras_mnist7.stages import Recipe, get_stage


@dataclasses.dataclass(frozen=True)
class RunSpec:
    stage: str
    recipe: Recipe
    architecture: Architecture
    folder: Path  # where the run writes; for a benchmark, the group folder of its seeds
    seed: int = 0
    holdout: int = 0  # > 0: the last N training images stand in for the test set
    tensorboard: bool = True  # also write Keras' TensorBoard logs
    command: str | None = None  # the command line, recorded with the run

    @classmethod
    def of_stage(cls, stage, folder, **changes):
        """The stage's own recipe and architecture, with `changes` to any field."""
        own = get_stage(stage)
        fields = {"recipe": own.recipe, "architecture": own.architecture, **changes}
        return cls(stage=stage, folder=Path(folder), **fields)

    def for_seed(self, seed):
        """A benchmark's run of `seed`: in <folder>/seed<k>/."""
        return dataclasses.replace(self, seed=seed, folder=Path(self.folder) / f"seed{seed}")
