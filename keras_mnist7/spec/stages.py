"""The stage registry: each stage of the study is an entry -- architecture, recipe, target.

Plain data, no Keras: main.py checks its flags against it before TensorFlow loads.
"""

import dataclasses

from keras_mnist7.spec.architecture import POOL, Architecture, Conv, format_plan, setting
from keras_mnist7.spec.bar import MAX_PARAMS

SCHEDULES = ("step", "cosine")
OPTIMIZERS = ("sgd", "adamw")


@dataclasses.dataclass(frozen=True)
class Recipe:
    """How a stage trains. Every field is also a flag of main.py, under the same name, whose
    help is the field's own (setting's `help`) and whose default is the stage's."""

    epochs: int = setting(15, "Epochs to train.")
    batch_size: int = setting(128, "Training batch size.")
    optimizer: str = setting("sgd", "sgd: Keras' SGD with momentum; adamw: Keras' AdamW, "
                                    "--momentum its beta_1.", choices=OPTIMIZERS)
    lr: float = setting(0.01, "Learning rate; with --schedule=cosine, its peak.")
    momentum: float = setting(0.9, "SGD momentum (AdamW's beta_1).")
    nesterov: bool = setting(False, "SGD: Nesterov's form of momentum.")
    weight_decay: float = setting(0.0, "Keras' decoupled weight decay: each step w -= lr * "
                                       "weight_decay * w.")
    schedule: str = setting("step", "lr schedule: step (PyTorch's StepLR) or cosine (linear "
                                    "warm-up, then Keras' CosineDecay).", choices=SCHEDULES)
    step_size: int | None = setting(None, "Step schedule: epochs between lr decays (unset: a "
                                          "constant lr).")
    gamma: float = setting(0.1, "Step schedule: lr factor at each decay, in (0, 1].")
    warmup_epochs: int = setting(0, "Cosine schedule: epochs of linear warm-up from 0.")
    cooldown_epochs: int = setting(0, "Cosine schedule: last epochs held at --min_lr after "
                                      "the decay.")
    min_lr: float = setting(0.0, "Cosine schedule: the lr the decay ends at.")
    dropout: float | None = setting(None, "Dropout after each max-pool (refused for a stage "
                                          "without dropout layers).")
    rotation_degrees: float = setting(0.0, "Random rotation of training images, up to +-this "
                                           "many degrees.")
    translation_pixels: float = setting(0.0, "Random shift of training images, up to +-this "
                                             "many pixels each way.")
    zoom: float = setting(0.0, "Random scale of training images, by up to +-this fraction.")
    clean_epochs: int = setting(0, "The last N epochs train on the images as they are, without "
                                   "augmentation, so they fit the real distribution "
                                   "(--input=dataset).")
    label_smoothing: float = setting(0.0, "Smooth the one-hot labels by this much in the loss; "
                                          "val_crossentropy records the plain cross-entropy.")
    ema_momentum: float = setting(0.0, "Average the weights (Keras' use_ema with this "
                                       "ema_momentum); evaluation and checkpoints see the "
                                       "average. 0: off.")
    ema_bn_images: int = setting(0, "With --ema_momentum: at each epoch's end the average is "
                                    "evaluated and saved with BatchNorm statistics recomputed "
                                    "for it over this many training images (the first of the "
                                    "run's own); training goes on from the raw weights and "
                                    "theirs. 0: the raw weights' statistics.")
    teacher: str = setting("", "Distil from this teacher (a network of TEACHERS or an "
                               "ensemble of stage runs of ENSEMBLES), trained on the same "
                               "training images (results/teachers/): "
                               "the loss blends the labels' cross-entropy with the teacher's "
                               "softened predictions. Empty: no teacher.")
    distillation: float = setting(0.0, "With --teacher: the weight of the teacher's softened "
                                       "predictions in the loss (Hinton's alpha), in (0, 1).")
    temperature: float = setting(1.0, "With --teacher: the temperature both predictions are "
                                      "softened at; that term is scaled by its square.")

    def __post_init__(self):
        requirements = [
            ("epochs", self.epochs >= 1, ">= 1"),
            ("batch_size", self.batch_size >= 1, ">= 1"),
            ("lr", self.lr > 0, "> 0"),
            ("momentum", 0 <= self.momentum < 1, "in [0, 1)"),
            ("weight_decay", 0 <= self.weight_decay < 1, "in [0, 1)"),
            ("step_size", self.step_size is None or self.step_size >= 1, ">= 1"),
            ("gamma", 0 < self.gamma <= 1, "in (0, 1]"),
            ("dropout", self.dropout is None or 0 <= self.dropout < 1, "in [0, 1)"),
            ("rotation_degrees", 0 <= self.rotation_degrees <= 180, "in [0, 180]"),
            ("translation_pixels", 0 <= self.translation_pixels <= 14, "in [0, 14]"),
            ("ema_momentum", 0 <= self.ema_momentum < 1, "in [0, 1)"),
            ("ema_bn_images", self.ema_bn_images >= 0, ">= 0"),
            ("ema_bn_images", not self.ema_bn_images or bool(self.ema_momentum),
             "0 without --ema_momentum"),
            ("zoom", 0 <= self.zoom < 1, "in [0, 1)"),
            ("clean_epochs", 0 <= self.clean_epochs < self.epochs, "in [0, --epochs)"),
            ("clean_epochs", not self.clean_epochs or bool(
                self.rotation_degrees or self.translation_pixels or self.zoom),
             "0 without augmentation"),
            ("label_smoothing", 0 <= self.label_smoothing < 1, "in [0, 1)"),
            ("distillation", 0 <= self.distillation < 1, "in [0, 1)"),
            ("distillation", bool(self.distillation) == bool(self.teacher),
             "above 0 with --teacher, and only then"),
            ("temperature", self.temperature > 0, "> 0"),
            ("label_smoothing", not (self.teacher and self.label_smoothing),
             "0 with --teacher"),
            ("schedule", self.schedule in SCHEDULES, f"one of {', '.join(SCHEDULES)}"),
            ("optimizer", self.optimizer in OPTIMIZERS, f"one of {', '.join(OPTIMIZERS)}"),
            ("nesterov", self.optimizer == "sgd" or not self.nesterov, "unset with --optimizer=adamw"),
            ("step_size", self.schedule == "step" or self.step_size is None,
             "unset with --schedule=cosine"),
            ("warmup_epochs", self.warmup_epochs >= 0, ">= 0"),
            ("cooldown_epochs", self.cooldown_epochs >= 0, ">= 0"),
            ("warmup_epochs", self.warmup_epochs + self.cooldown_epochs < self.epochs,
             "< --epochs - --cooldown_epochs"),
            ("min_lr", 0 <= self.min_lr < self.lr, "in [0, --lr)"),
            *[(name, self.schedule == "cosine" or not getattr(self, name),
               "0 with --schedule=step") for name in ("warmup_epochs", "cooldown_epochs", "min_lr")],
        ]
        for name, ok, requirement in requirements:
            if not ok:
                raise ValueError(f"--{name} must be {requirement}, got {getattr(self, name)}")
        if self.teacher and self.teacher not in {**_TEACHERS, **_ENSEMBLES}:
            raise ValueError(f"--teacher must be one of {', '.join(TEACHERS + ENSEMBLES)} or "
                             f"empty, got {self.teacher}")

    def learning_rate(self, epoch):
        """Step schedule's lr of a 0-based epoch: lr * gamma ** (epoch // step_size) (StepLR)."""
        if self.step_size is None:
            return self.lr
        return self.lr * self.gamma ** (epoch // self.step_size)


def check_torch_recipe(recipe):
    """ValueError (one line) for a recipe the PyTorch reference (torch_reference.py) does not
    train: it covers what the seed stages use."""
    beyond = [name for name, used in (("--weight_decay", recipe.weight_decay),
                                      ("--ema_momentum", recipe.ema_momentum),
                                      ("--ema_bn_images", recipe.ema_bn_images),
                                      ("--translation_pixels", recipe.translation_pixels),
                                      ("--optimizer=adamw", recipe.optimizer != "sgd"),
                                      ("--zoom", recipe.zoom),
                                      ("--clean_epochs", recipe.clean_epochs),
                                      ("--label_smoothing", recipe.label_smoothing),
                                      ("--teacher", recipe.teacher),
                                      ("--nesterov", recipe.nesterov),
                                      ("--schedule=cosine", recipe.schedule != "step")) if used]
    if beyond:
        raise ValueError(f"--mode=torch trains the seed stages' recipes (SGD, constant or step "
                         f"lr, dropout, rotation), not {', '.join(beyond)}")


# The architecture's settings a flag or an experiment may change (Stage.architecture_with).
ARCHITECTURE_SETTINGS = ("plan", "init", "bn_before_relu", "bn_momentum", "activation")


@dataclasses.dataclass(frozen=True)
class Stage:
    name: str
    architecture: Architecture
    recipe: Recipe
    target: tuple  # what the stage changes and why, one short item each
    # What the seed's write-up reports for this stage (best train / test %), quoted to compare.
    seed_claim: dict | None = None
    # A margin over the bar the stage must keep on its confirmation seeds: the mean
    # final test accuracy, and the lowest of every seed's last 4 epochs, in percent.
    margin: dict | None = None
    # Beyond the seed's stages: on what the stage was chosen (never the test set), in words.
    chosen_on: str | None = None
    # The most params the stage may have by Keras' count (BatchNorm statistics included); a
    # candidate of the stage's search stays within it too.
    max_params: int | None = None

    def recipe_with(self, **overrides):
        """The stage's recipe with the given values put in (None keeps the default), validated."""
        given = {key: value for key, value in overrides.items() if value is not None}
        if "dropout" in given and self.recipe.dropout is None:
            raise ValueError(f"--dropout: stage {self.name} has no dropout layers")
        unknown = sorted(set(given) - {field.name for field in dataclasses.fields(Recipe)})
        if unknown:
            raise ValueError(f"unknown recipe settings: {', '.join(unknown)}")
        return dataclasses.replace(self.recipe, **given)

    def architecture_with(self, **overrides):
        """The stage's architecture with another plan (a tuple, see architecture.parse_plan),
        initialisation (init), activation or BN's settings changed (bn_before_relu, bn_momentum;
        None keeps the stage's own), validated."""
        given = {key: value for key, value in overrides.items() if value is not None}
        for name in given:
            if name not in ARCHITECTURE_SETTINGS:
                raise ValueError(f"unknown architecture setting: {name}")
            if name.startswith("bn_") and not self.architecture.batch_norm:
                raise ValueError(f"--{name}: stage {self.name} has no BatchNorm layers")
        if not 0 <= given.get("bn_momentum", 0) < 1:
            raise ValueError(f"--bn_momentum must be in [0, 1), got {given['bn_momentum']}")
        return dataclasses.replace(self.architecture, **given) if given else self.architecture


# The seed's M1: 1,622 params, no bias, no BatchNorm, a 1x1 transition and one valid conv.
# PyTorch's initialisation: without BatchNorm, Glorot's larger kernels trained m1 1.9 points
# above the seed's PyTorch network (docs/fidelity.md); the BN stages show no such gap.
SEED_PLAIN = Architecture(
    plan=(Conv(6), Conv(12), POOL, Conv(10, kernel_size=1), Conv(8, padding="valid"),
          Conv(10, kernel_size=1)),
    use_bias=False, batch_norm=False, init="torch")

# The seed's M2 = M3 = M4: 7,905 trainable params, biased convs each followed by ReLU then BN.
SEED_BN = Architecture(
    plan=(Conv(8), Conv(8), Conv(8), POOL, Conv(12), Conv(12), Conv(12), POOL, Conv(15), Conv(10)))

# m5: under 8,000 params by Keras' own count (BN statistics included). Channels go where the
# resolution is (10 and 16 at 26x26/24x24, then 16 at 10x10 to 6x6) instead of 15 at 7x7; a 1x1 conv
# squeezes after the pool; unpadded convs shrink the maps; a linear 1x1 conv gives the class maps.
# The convs have no bias, so BN comes before the ReLU: its beta is each ReLU's threshold.
COMPACT = Architecture(
    plan=(Conv(10, padding="valid"), Conv(16, padding="valid"), POOL, Conv(8, kernel_size=1),
          Conv(16, padding="valid"), Conv(16, padding="valid"), Conv(16, padding="valid"),
          Conv(10, kernel_size=1, activation=False)),
    use_bias=False, bn_before_relu=True)

# m6: a conv of 12 at full resolution, a separable conv of 24 (a depthwise 3x3, then a pointwise
# 1x1), the pool, then three separable convs of 32 instead of m5's 1x1 squeeze and three 3x3 convs
# of 16: 4,960 params.
SEPARABLE = dataclasses.replace(COMPACT, plan=(
    Conv(12, padding="valid"), Conv(24, padding="valid", separable=True), POOL,
    *[Conv(32, padding="valid", separable=True)] * 3, Conv(10, kernel_size=1, activation=False)))

_SEED_RECIPE = Recipe(lr=0.01, dropout=0.05)
# m5 as its cross-validated search judged candidates against: SGD at batch 32.
M5_SGD_RECIPE = Recipe(batch_size=32, lr=0.025, weight_decay=5e-4, schedule="cosine",
                       warmup_epochs=2, dropout=0.05)
# m5: that search's best candidate, AdamW at batch 16 (m5-batch-16-adamw).
_M5_RECIPE = dataclasses.replace(M5_SGD_RECIPE, batch_size=16, optimizer="adamw", lr=0.005,
                                 weight_decay=0.01)
# m6: twice SGD m5's updates at its lr-to-batch ratio, and training images shifted by up to 1 px.
_M6_RECIPE = dataclasses.replace(M5_SGD_RECIPE, batch_size=16, lr=0.0125, translation_pixels=1.0)

_REGISTRY = {stage.name: stage for stage in (
    Stage("m1", SEED_PLAIN, Recipe(lr=0.01),
          target=("Set up the skeleton: a small all-convolution network, no bias, no BatchNorm",
                  "End in global average pooling of 10 class maps: no dense layer",
                  "As few parameters as will train (1,622); plot the curves",
                  "Start from PyTorch's default initialisation, as the seed's network did"),
          seed_claim={"best_train": 89.19, "best_test": 92.29}),
    Stage("m2", SEED_BN, _SEED_RECIPE,
          target=("Add capacity: three conv blocks per resolution, 7,905 trainable params",
                  "Add BatchNorm (conv -> ReLU -> BN) and dropout 0.05 after each max-pool",
                  "Reach a receptive field above 20 before the GAP head"),
          seed_claim={"best_train": 99.34, "best_test": 99.25}),
    Stage("m3", SEED_BN, dataclasses.replace(_SEED_RECIPE, rotation_degrees=8.0),
          target=("Same network as m2",
                  "Rotate training images at random by up to +-8 degrees, so the network sees "
                  "harder digits than the test set holds"),
          seed_claim={"best_train": 99.16, "best_test": 99.31}),
    Stage("m4", SEED_BN, dataclasses.replace(_SEED_RECIPE, rotation_degrees=8.0, lr=0.05,
                                             step_size=6, gamma=0.1),
          target=("Same network and augmentation as m3",
                  "Raise lr to 0.05 and divide it by 10 every 6 epochs: move fast first, settle "
                  "at the end"),
          seed_claim={"best_train": 99.25, "best_test": 99.40}),
    Stage("m5", COMPACT, _M5_RECIPE,
          target=("Meet the assignment for real: < 8,000 params by Keras' own count, >= 99.40% "
                  "test accuracy in each of the last 4 of 15 epochs, on seeds never used to "
                  "choose it",
                  "Spend the params at full resolution (conv 10, conv 16, unpadded), squeeze "
                  "with a 1x1 conv after the pool, end in a linear 1x1 conv (no ReLU before the "
                  "softmax)",
                  "No conv biases, BN before each ReLU: BN's beta gives every ReLU its own "
                  "threshold (with ReLU -> BN a bias-free ReLU cuts at zero)",
                  "Batch 16 and Keras' AdamW at peak lr 0.005 with decoupled weight decay 0.01, "
                  "after 2 warm-up epochs: twice the updates of batch 32, each scaled to its "
                  "weight's own gradient history",
                  "Then cosine all the way to 0 at the end of epoch 15, so each of the last "
                  "epochs takes smaller steps than the one before",
                  "No rotation: a network this small under-fits, and rotated digits are harder "
                  "than the test set's (what rotation costs: ablation rotation-8)"),
          margin={"final_mean": 99.50, "lowest": 99.42}, max_params=MAX_PARAMS - 1,
          chosen_on="held-out training folds 0-5, paired with SGD m5 (cross-validated "
                    "search, m5-batch-16-adamw; its gain in docs/results.md)"),
    Stage("m6", SEPARABLE, _M6_RECIPE,
          target=("Beyond the assignment: at most 5,000 params by Keras' own count, >= 99.40% "
                  "test accuracy in each of the last 4 of 15 epochs, on 10 seeds never used to "
                  "choose it",
                  "A conv of 12 at full resolution, a separable conv of 24 (depthwise 3x3, "
                  "then pointwise 1x1: 12*9 + 12*24 weights where a 3x3 conv takes 12*9*24), "
                  "m5's pool, then three separable convs of 32 where m5 has a 1x1 squeeze and "
                  "three 3x3 convs of 16 (wider for fewer weights), m5's linear 1x1 head",
                  "SGD with m5's SGD schedule (2 warm-up epochs, cosine to 0, weight decay "
                  "5e-4) at batch 16 and lr 0.0125: the lr-to-batch ratio of batch 32 at 0.025, "
                  "twice the updates",
                  "Training images shifted at random by up to 1 pixel"),
          chosen_on="the last 5,000 training images held out, seeds 0-4 "
                    "(4960-separable-32+batch-16+translation-1)", max_params=5000),
)}

STAGES = tuple(_REGISTRY)

# Teachers: bigger networks whose softened predictions a stage may learn from (--teacher). Not
# stages of the study: each trains once per cross-validation fold and once on every training
# image (docs/teachers.md), and none is chosen by the test set's numbers.
# 32 and 64 channels padded at 28x28 and 14x14, 128 at 7x7: about 141,000 params, 18 times m5.
WIDE = dataclasses.replace(COMPACT, plan=(
    Conv(32), Conv(32), POOL, Conv(64), Conv(64), POOL, Conv(128),
    Conv(10, kernel_size=1, activation=False)))
_TEACHER_RECIPE = Recipe(epochs=8, optimizer="adamw", lr=0.003, weight_decay=0.01,
                         schedule="cosine", warmup_epochs=1, dropout=0.1, rotation_degrees=8.0,
                         translation_pixels=2.0)
_TEACHERS = {teacher.name: teacher for teacher in (
    Stage("teacher", WIDE, _TEACHER_RECIPE,
          target=("A teacher for the tiny stages: 18 times m5's params, 8 epochs, rotated and "
                  "shifted training images, AdamW with warm-up then cosine to 0",)),
    Stage("teacher-16", WIDE, dataclasses.replace(_TEACHER_RECIPE, epochs=16),
          target=("The same network and recipe trained twice as long: at 8 epochs its "
                  "accuracy on its own augmented training images stays below held-out "
                  "(under-fit), and the cosine still gains in its last epochs",)),
)}
TEACHERS = tuple(_TEACHERS)


@dataclasses.dataclass(frozen=True)
class Ensemble:
    """A teacher made of several runs of a stage on the same training images, their predicted
    probabilities averaged: the student's own kind of network, steadier than any one run."""
    name: str
    member: str  # the stage each run trains, with its own recipe
    runs: int
    target: tuple = ()


_ENSEMBLES = {ensemble.name: ensemble for ensemble in (
    Ensemble("m5-ensemble-4", "m5", 4,
             target=("Four runs of m5 itself, of seeds no student uses: a teacher whose "
                     "predictions a network of m5's size can follow, against one network 18 "
                     "times its size",)),
)}
ENSEMBLES = tuple(_ENSEMBLES)


def with_defaults(settings_class, recorded):
    """A recipe or architecture as a file recorded it (a dict), with the fields added since it
    was written set to their defaults, which keep the old behaviour: older runs still compare."""
    if not isinstance(recorded, dict):
        return recorded
    defaults = {field.name: field.default for field in dataclasses.fields(settings_class)
                if field.default is not dataclasses.MISSING}
    filled = {**defaults, **recorded}
    if settings_class is Architecture and isinstance(filled.get("plan"), list):
        filled["plan"] = [with_defaults(Conv, layer) for layer in filled["plan"]]
    return filled


def _shown(value):
    if isinstance(value, bool):
        return "on" if value else "off"
    if value is None:
        return "unset"
    if isinstance(value, tuple):
        return format_plan(value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def stage_values(name):
    """Each stage's own value of a recipe or architecture setting, in words: stages in a row
    that share it are named together ("m1-m4: 128; m5: 32; m6: 16")."""
    part = "recipe" if name in {f.name for f in dataclasses.fields(Recipe)} else "architecture"
    runs = []
    for stage in STAGES:
        value = _shown(getattr(getattr(_REGISTRY[stage], part), name))
        if runs and runs[-1][2] == value:
            runs[-1][1] = stage
        else:
            runs.append([stage, stage, value])
    if len(runs) == 1:
        return f"{runs[0][2]} (every stage)"
    return "; ".join(f"{first}{'' if first == last else f'-{last}'}: {value}"
                     for first, last, value in runs)


def get_ensemble(name):
    """An ensemble teacher of ENSEMBLES by name, or None."""
    return _ENSEMBLES.get(name)


def get_stage(name):
    """A stage of the study, or a teacher (TEACHERS), by name."""
    if name in _TEACHERS:
        return _TEACHERS[name]
    if name not in _REGISTRY:
        raise ValueError(f"unknown stage {name!r}; choose one of {', '.join(STAGES + TEACHERS)}")
    return _REGISTRY[name]

