"""keras_mnist7: the ERA S7 tiny-CNN study on MNIST, stage by stage, in Keras.

`STAGES` and `load_mnist` load without TensorFlow; `build_model` brings Keras in on first use.
"""

from keras_mnist7.data import load_mnist
from keras_mnist7.stages import STAGES

__all__ = ["STAGES", "build_model", "load_mnist"]


def __getattr__(name):
    if name == "build_model":
        from keras_mnist7.models import build_model

        return build_model
    raise AttributeError(f"module 'keras_mnist7' has no attribute {name!r}")
