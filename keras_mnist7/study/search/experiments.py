"""The experiments registry: every cross-validated candidate as data -- what it changes, why it
ran, and what its baseline is -- read from one TOML file per search round (rounds/*.toml), and
the runs earlier commands recorded, read from results/manifest.toml.
`python main.py --mode=search --experiment=NAME` runs the folds of NAME that are missing
(search.verdict says which) into results/cv/NAME/<stage>/seed<k>/.

An entry's `changes` are main.py's flags (recipe and architecture settings) over its stage's
own; its decision is never written in a round's file: search.verdict reads it from the result
files. Plain data, no Keras.
"""

import dataclasses
import tomllib
from pathlib import Path

from keras_mnist7.spec.architecture import parse_plan
from keras_mnist7.spec.run_spec import RESULTS_DIR, RunSpec
from keras_mnist7.spec.stages import ARCHITECTURE_SETTINGS, Recipe, get_stage

ROUNDS = Path(__file__).with_name("rounds")  # the search's rounds, one TOML file each
MANIFEST = RESULTS_DIR / "manifest.toml"  # the recorded runs
# baseline and candidate run through --mode=search; the others are earlier benchmarks, kept
# where they ran (`recorded`): held-out searches, ablations, the seeds looked at while a stage
# was chosen (tuning), and confirmations that failed and used their seeds up.
RUNNABLE = ("baseline", "candidate")
RECORDED = ("holdout", "ablation", "tuning", "confirmation")
KINDS = RUNNABLE + RECORDED


def as_flags(settings):
    """(flag, value) pairs as main.py flags, e.g. ('--batch_size=16', '--nesterov')."""
    return tuple(f"--{flag}" if value is True else f"--no{flag}" if value is False
                 else f"--{flag}={value}" for flag, value in settings)


@dataclasses.dataclass(frozen=True)
class Experiment:
    name: str
    stage: str
    family: str
    why: str
    changes: tuple = ()  # (flag, value) pairs over the stage's own settings
    # "baseline": the stage as it is, all 6 folds; "candidate": judged against its baseline by
    # the cv protocol; "holdout": an earlier search's run on the last 5,000 training images
    # (--holdout=5000), kept as recorded: its folder and seeds, and the decision it led to;
    # "ablation": one change from the stage as it was then, on the test set; "tuning",
    # "confirmation": see RECORDED.
    kind: str = "candidate"
    baseline: str | None = None  # the experiment a candidate is judged against
    recorded: str | None = None  # a recorded kind: its folder under results/
    seeds: tuple = ()  # a recorded kind: the seeds it ran
    decision: str | None = None  # what it led to (a cv decision is read from files)
    trained_as: str | None = None  # the stage its runs trained as, if not `stage`
    # (flag, value) pairs: the stage as it was when the experiment ran, under `changes`
    base: tuple = ()

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"experiment {self.name}: kind must be one of {', '.join(KINDS)}")
        if (self.kind in RECORDED) != (self.recorded is not None):
            raise ValueError(f"experiment {self.name}: a {', '.join(RECORDED)}, and only "
                             "those, name the folder where they are recorded")
        if (self.kind == "candidate") != (self.baseline is not None):
            raise ValueError(f"experiment {self.name}: a candidate, and only a candidate, "
                             "names its baseline")
        known = {field.name for field in dataclasses.fields(Recipe)} | set(ARCHITECTURE_SETTINGS)
        unknown = sorted({flag for flag, _ in self.changes + self.base} - known)
        if unknown:
            raise ValueError(f"experiment {self.name}: unknown settings {', '.join(unknown)}")

    @property
    def runnable(self):
        """Whether --mode=search runs it (the recorded kinds ran by earlier commands)."""
        return self.kind in RUNNABLE

    def folder(self, results_dir=RESULTS_DIR):
        """Where the runs go: <folder>/<stage>/seed<k>/ and <folder>/<stage>/seeds.json."""
        return Path(results_dir) / (self.recorded or Path("cv") / self.name)

    def seeds_json(self, results_dir=RESULTS_DIR):
        return self.folder(results_dir) / (self.trained_as or self.stage) / "seeds.json"

    def flags(self):
        """The changes as main.py flags, e.g. ('--batch_size=16', '--nesterov')."""
        return as_flags(self.changes)

    def run_spec(self, **fields):
        """The RunSpec of this experiment's cv runs (RunSpec's other fields as given)."""
        if not self.runnable:
            raise ValueError(f"experiment {self.name} is recorded: its command ran an earlier "
                             "stage's recipe (see its seeds.json)")
        stage = get_stage(self.stage)
        changes = {**dict(self.base), **dict(self.changes)}
        architecture = {key: changes.pop(key) for key in ARCHITECTURE_SETTINGS if key in changes}
        if "plan" in architecture:
            architecture["plan"] = parse_plan(architecture["plan"])
        return RunSpec(self.stage, stage.recipe_with(**changes),
                       stage.architecture_with(**architecture), self.folder() / self.stage,
                       cv=True, **fields)


def read_entries(path, table):
    """The experiments of one TOML file: its `table` array, each entry over the file's
    [defaults] (stage, baseline, base, ...; a baseline is a candidate's only)."""
    data = tomllib.loads(Path(path).read_text())
    defaults = data.get("defaults", {})
    experiments = []
    for entry in data.get(table, ()):
        fields = {**defaults, **entry}
        if fields.get("kind", "candidate") != "candidate" and "baseline" not in entry:
            fields.pop("baseline", None)
        for pairs in ("changes", "base"):
            fields[pairs] = tuple(fields.get(pairs, {}).items())
        fields["seeds"] = tuple(fields.get("seeds", ()))
        try:
            experiments.append(Experiment(**fields))
        except TypeError as err:
            raise ValueError(f"{path}: experiment {entry.get('name')}: {err}") from None
    return experiments


def load_registry(rounds=ROUNDS, manifest=MANIFEST):
    """{name: Experiment}: the rounds' experiments in file order, then the recorded runs."""
    experiments = [experiment for path in sorted(Path(rounds).glob("*.toml"))
                   for experiment in read_entries(path, "experiment")]
    if Path(manifest).exists():
        experiments += read_entries(manifest, "run")
    registry = {}
    for experiment in experiments:
        if experiment.name in registry:
            raise ValueError(f"experiment {experiment.name} is registered twice")
        registry[experiment.name] = experiment
    return registry


REGISTRY = load_registry()
EXPERIMENTS = tuple(REGISTRY)


def get_experiment(name):
    if name not in REGISTRY:
        raise ValueError(f"unknown experiment {name!r}; choose from {', '.join(EXPERIMENTS)}")
    return REGISTRY[name]
