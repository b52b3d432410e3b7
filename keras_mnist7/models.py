"""One builder for every stage: an architecture is data (a plan of convs and pools), not code."""

import dataclasses

import keras

from keras_mnist7.blocks import NUM_CLASSES, conv_block, downsample, gap_softmax_head, pixel_input

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

    def __post_init__(self):
        convs = [item for item in self.plan if item != POOL]
        if not convs or convs[-1].filters != NUM_CLASSES:
            raise ValueError(f"the last conv of a plan must have {NUM_CLASSES} filters")


def build_network(architecture, name, dropout=None):
    """Functional model: normalize -> the plan's blocks -> GAP -> softmax.

    Convs and pools are numbered in order (conv1, relu1, bn1, pool1, dropout1, ...), so layer
    names say where a layer sits. `dropout` (None: no dropout layers) follows every pool.
    """
    pixels, x = pixel_input()
    convs = pools = 0
    for item in architecture.plan:
        if item == POOL:
            pools += 1
            x = downsample(x, pools, dropout)
            continue
        convs += 1
        x = conv_block(x, item.filters, convs, kernel_size=item.kernel_size, padding=item.padding,
                       use_bias=architecture.use_bias,
                       batch_norm=architecture.batch_norm and item.activation,
                       activation=item.activation)
    return keras.Model(pixels, gap_softmax_head(x), name=name)


def param_counts(model):
    """Trainable / non-trainable / total, as Keras counts them (BN moving stats are non-trainable).

    PyTorch's torchsummary, which the seed quotes, counts only the trainable ones.
    """
    trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
    total = model.count_params()
    return {"trainable": trainable, "non_trainable": total - trainable, "total": total}
