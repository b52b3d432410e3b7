"""An architecture as plain data: a plan of convs and pools. Building it is model/builders.py's job.

Kept free of Keras so the stage registry, and the flags built from it, load in a blink.
"""

import dataclasses
import re

NUM_CLASSES = 10
IMAGE_SIZE = 28
POOL = "pool"
# How conv weights start. keras: Keras' defaults (Glorot-uniform kernels, zero biases). torch:
# PyTorch's Conv2d defaults (kernels and biases uniform in +-1/sqrt(fan_in)), in Keras' own
# initializers: what the seed's networks started from.
INITS = ("keras", "torch")
# Keras' built-in activations a plan's convs may use (Keras' names: they reload by name).
ACTIVATIONS = ("relu", "silu", "gelu", "elu", "mish")


def setting(default, help, choices=None):
    """A dataclass field that is also a flag of main.py: its help, and its choices if any."""
    return dataclasses.field(default=default, metadata={"help": help, "choices": choices})


def flag_fields(settings_class):
    """The fields of a dataclass that are flags of main.py (those made with setting())."""
    return [field for field in dataclasses.fields(settings_class) if "help" in field.metadata]


@dataclasses.dataclass(frozen=True)
class Conv:
    """One conv layer of a plan; `activation=False` leaves it linear (no ReLU, no BN).

    `separable`: a depthwise KxK conv then a pointwise 1x1 (Keras' SeparableConv2D): C*K*K + C*F
    weights instead of C*K*K*F, so a small budget buys wider layers.
    """

    filters: int
    kernel_size: int = 3
    padding: str = "same"
    activation: bool = True
    separable: bool = False


@dataclasses.dataclass(frozen=True)
class Architecture:
    """A plan of `Conv` and `POOL` items, and how every conv is dressed.

    The last conv must give one map per class: the head only averages and soft-maxes them.
    """

    plan: tuple = setting((), "Another plan of convs and pools, one item per comma: P a 2x2 "
                              "max-pool, N a 3x3 padded conv of N filters; suffixes, in this "
                              "order, xK a KxK kernel, s separable (depthwise then pointwise), "
                              "v unpadded, l linear (no ReLU, no BN). The last conv has 10 "
                              "filters.")
    use_bias: bool = True
    batch_norm: bool = True
    # 0.9 is PyTorch's default (its momentum 0.1).
    bn_momentum: float = setting(0.9, "Keras momentum of BatchNorm's moving statistics.")
    # Without conv biases, BN before the ReLU gives each ReLU its own learned threshold (BN's
    # beta); after it, a bias-free ReLU cuts at zero.
    bn_before_relu: bool = setting(False, "conv -> BN -> ReLU instead of the seed's conv -> "
                                          "ReLU -> BN.")
    init: str = setting("keras", "How conv weights start: keras (Glorot-uniform kernels, zero "
                                 "biases) or torch (PyTorch's Conv2d defaults, uniform in "
                                 "+-1/sqrt(fan_in)).", choices=INITS)
    activation: str = setting("relu", "Keras' built-in activation after every conv but the "
                                      "linear ones.", choices=ACTIVATIONS)

    def __post_init__(self):
        if self.init not in INITS:
            raise ValueError(f"--init must be one of {', '.join(INITS)}, got {self.init}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"--activation must be one of {', '.join(ACTIVATIONS)}, got "
                             f"{self.activation}")
        convs = [item for item in self.plan if item != POOL]
        if self.init == "torch" and any(conv.separable for conv in convs):
            raise ValueError("--init=torch covers plain convs only, not separable ones")
        if not convs or convs[-1].filters != NUM_CLASSES:
            raise ValueError(f"the last conv of a plan must have {NUM_CLASSES} filters")
        size = IMAGE_SIZE
        for item in self.plan:
            size = size // 2 if item == POOL else (
                size - item.kernel_size + 1 if item.padding == "valid" else size)
            if size < 1:
                raise ValueError(f"the plan shrinks the {IMAGE_SIZE}x{IMAGE_SIZE} image to "
                                 "nothing: use fewer pools or unpadded convs")


# --plan's notation, one item per comma: "P" a 2x2 max-pool; "16" a 3x3 conv of 16 filters,
# padded ("same"); suffixes "x1" a 1x1 kernel, "s" separable (depthwise then pointwise), "v"
# unpadded ("valid"), "l" linear (no ReLU, no BN), in that order. m5's plan reads
# 10v,16v,P,8x1,16v,16v,16v,10x1l.
_ITEM = re.compile(r"(\d+)(x(\d+))?(s?)(v?)(l?)")


def parse_plan(text):
    """A plan from --plan's notation; ValueError (one line) for anything else."""
    plan = []
    for item in text.replace(" ", "").split(","):
        match = _ITEM.fullmatch(item)
        if item in ("P", "p"):
            plan.append(POOL)
        elif match and int(match[1]) >= 1 and int(match[3] or 3) >= 1:
            plan.append(Conv(int(match[1]), int(match[3] or 3),
                             "valid" if match[5] else "same", not match[6], bool(match[4])))
        else:
            raise ValueError(f"--plan: cannot read {item!r} in {text!r}; write e.g. "
                             "10v,16v,P,8x1,16v,16v,16v,10x1l (P pool; N a 3x3 conv of N "
                             "filters; xK a KxK kernel, s separable, v unpadded, l linear)")
    return tuple(plan)


def format_plan(plan):
    """--plan's notation of a plan: parse_plan(format_plan(plan)) == plan."""
    return ",".join("P" if item == POOL else
                    f"{item.filters}{'' if item.kernel_size == 3 else f'x{item.kernel_size}'}"
                    f"{'s' if item.separable else ''}{'v' if item.padding == 'valid' else ''}"
                    f"{'' if item.activation else 'l'}"
                    for item in plan)
