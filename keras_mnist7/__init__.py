"""keras_mnist7: the ERA S7 tiny-CNN study on MNIST, stage by stage, in Keras.

`STAGES` and `load_mnist` load without TensorFlow; `build_model` brings Keras in on first use.
"""

import os

# TensorFlow turns its oneDNN kernels on by itself only on CPUs with AVX-512 VNNI or newer; on an
# AVX2 CPU it falls back to Eigen's, which train m4 about 1.5 times slower
# (docs/backends.md). Set before any module of this package imports Keras, hence TensorFlow;
# TF_ENABLE_ONEDNN_OPTS=0 in the environment still turns them off.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")

from keras_mnist7.data.mnist import load_mnist  # noqa: E402 (after the oneDNN switch)
from keras_mnist7.spec.stages import STAGES  # noqa: E402

__all__ = ["STAGES", "build_model", "load_mnist"]


def __getattr__(name):
    if name == "build_model":
        from keras_mnist7.model.builders import build_model

        return build_model
    raise AttributeError(f"module 'keras_mnist7' has no attribute {name!r}")
