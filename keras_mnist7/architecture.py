"""An architecture as plain data: a plan of convs and pools. Building it is models.py's job.

Kept free of Keras so the stage registry, and the flags built from it, load in a blink.
"""

import dataclasses

NUM_CLASSES = 10
POOL = "pool"


@dataclasses.dataclass(frozen=True)
class Conv:
    """One conv layer of a plan; `activation=False` leaves it linear (no ReLU, no BN)."""

    filters: int
    kernel_size: int = 3
    padding: str = "same"
    activation: bool = True


@dataclasses.dataclass(frozen=True)
class Architecture:
    """A plan of `Conv` and `POOL` items, and how every conv is dressed.

    The last conv must give one map per class: the head only averages and soft-maxes them.
    """

    plan: tuple
    use_bias: bool = True
    batch_norm: bool = True
    # Keras momentum of BN's moving statistics; 0.9 is PyTorch's default (its momentum 0.1).
    bn_momentum: float = 0.9
    # False: conv -> ReLU -> BN, the seed's order. True: conv -> BN -> ReLU, so that without conv
    # biases each ReLU still cuts at its own learned shift (BN's beta) instead of at zero.
    bn_before_relu: bool = False

    def __post_init__(self):
        convs = [item for item in self.plan if item != POOL]
        if not convs or convs[-1].filters != NUM_CLASSES:
            raise ValueError(f"the last conv of a plan must have {NUM_CLASSES} filters")
