"""keras_mnist7: the ERA S7 tiny-CNN study on MNIST, stage by stage, in Keras."""

from keras_mnist7.data import load_mnist
from keras_mnist7.stages import STAGES, build_model

__all__ = ["STAGES", "build_model", "load_mnist"]
