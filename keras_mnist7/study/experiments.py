"""The experiments registry: every cross-validated candidate as data -- what it changes, why it
ran, and what its baseline is. `python main.py --mode=search --experiment=NAME` runs the folds
of NAME that are missing (search.verdict says which) into results/cv/NAME/<stage>/seed<k>/.

An entry's `changes` are main.py's flags (recipe and architecture settings) over its stage's
own; its decision is never typed here: search.verdict reads it from the result files.
Plain data, no Keras.
"""

import dataclasses
from pathlib import Path

from keras_mnist7.spec.architecture import parse_plan
from keras_mnist7.spec.run_spec import RunSpec
from keras_mnist7.spec.stages import Recipe, get_stage

RESULTS = Path("results") / "cv"
ARCHITECTURE_CHANGES = ("plan", "init", "bn_before_relu", "bn_momentum", "activation")
KINDS = ("baseline", "candidate")


@dataclasses.dataclass(frozen=True)
class Experiment:
    name: str
    stage: str
    family: str
    why: str
    changes: tuple = ()  # (flag, value) pairs over the stage's own settings
    kind: str = "candidate"  # "baseline": the stage as it is, all 6 folds
    baseline: str | None = None  # the experiment a candidate is judged against

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"experiment {self.name}: kind must be one of {', '.join(KINDS)}")
        if (self.kind == "candidate") != (self.baseline is not None):
            raise ValueError(f"experiment {self.name}: a candidate, and only a candidate, "
                             "names its baseline")
        known = {field.name for field in dataclasses.fields(Recipe)} | set(ARCHITECTURE_CHANGES)
        unknown = sorted({flag for flag, _ in self.changes} - known)
        if unknown:
            raise ValueError(f"experiment {self.name}: unknown settings {', '.join(unknown)}")

    @property
    def folder(self):
        """Where the runs go: <folder>/<stage>/seed<k>/ and <folder>/<stage>/seeds.json."""
        return RESULTS / self.name

    @property
    def baseline_experiment(self):
        return REGISTRY[self.baseline]

    @property
    def seeds_json(self):
        return self.folder / self.stage / "seeds.json"

    def flags(self):
        """The changes as main.py flags, e.g. ('--batch_size=16', '--nesterov')."""
        return tuple(f"--{flag}" if value is True else f"--no{flag}" if value is False
                     else f"--{flag}={value}" for flag, value in self.changes)

    def run_spec(self, **fields):
        """The RunSpec of this experiment's cv runs (RunSpec's other fields as given)."""
        stage = get_stage(self.stage)
        changes = dict(self.changes)
        architecture = {key: changes.pop(key) for key in ARCHITECTURE_CHANGES if key in changes}
        if "plan" in architecture:
            architecture["plan"] = parse_plan(architecture["plan"])
        return RunSpec(self.stage, stage.recipe_with(**changes),
                       stage.architecture_with(**architecture), self.folder / self.stage,
                       cv=True, **fields)


def _m5(name, family, why, **changes):
    return Experiment(name, "m5", family, why, tuple(changes.items()), baseline="m5-baseline")


REGISTRY = {experiment.name: experiment for experiment in (
    Experiment("m5-baseline", "m5", "baseline", "Today's m5, the baseline every m5 candidate "
               "is paired with on the same (seed, fold) pairs", kind="baseline"),
    _m5("m5-batch-16", "batch",
        "Batch 16 at lr 0.0125 (m5's lr-to-batch ratio, twice the updates) helped m6",
        batch_size=16, lr=0.0125),
    _m5("m5-full-resolution", "full resolution, padded",
        "Three padded 3x3 convs at 28x28 before the pool (8, 10, 12): more compute where the "
        "strokes are, params do not grow with resolution; 7,656 params",
        plan="8,10,12,P,12v,16v,16v,10x1l"),
    _m5("m5-deeper-narrower", "deeper and narrower",
        "Five 3x3 convs of 12 after the pool where m5 has a 1x1 squeeze and three of 16: "
        "receptive field 26 instead of 18; 7,856 params",
        plan="8v,12v,P,12v,12v,12v,12v,12v,10x1l"),
    _m5("m5-nesterov", "optimizer", "SGD with Nesterov's momentum, m5's recipe otherwise",
        nesterov=True),
    _m5("m5-adamw", "optimizer",
        "AdamW with m5's warm-up then cosine to 0 (a one-cycle shape), peak lr 0.005 and "
        "decoupled weight decay 0.01 (AdamW's usual scale)",
        optimizer="adamw", lr=0.005, weight_decay=0.01),
    _m5("m5-silu", "activation", "Keras' built-in SiLU in place of ReLU after every BN",
        activation="silu"),
    _m5("m5-affine-clean-end", "augmentation with a clean end",
        "Random affine (rotation +-5 degrees, scale +-10%, shift +-2 px; Keras' own layers) "
        "for the first 12 epochs, none in the last 3, which fit the real distribution",
        rotation_degrees=5.0, zoom=0.1, translation_pixels=2.0, clean_epochs=3),
    _m5("m5-label-smoothing", "label smoothing",
        "Labels smoothed by 0.1 in the loss: softer targets for borderline digits",
        label_smoothing=0.1),
)}

EXPERIMENTS = tuple(REGISTRY)


def get_experiment(name):
    if name not in REGISTRY:
        raise ValueError(f"unknown experiment {name!r}; choose from {', '.join(EXPERIMENTS)}")
    return REGISTRY[name]
