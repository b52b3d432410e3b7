"""What a run ran on: device, library versions, and the git revision of this code."""

import functools
import importlib.metadata
import os
import platform
import subprocess
import sys
from pathlib import Path

import keras

from keras_mnist7.run.isa import isa_cap


def _cpuinfo_field(name):
    """The first value of `name` in /proc/cpuinfo, or None (not Linux, or not there)."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.split(":", 1)[0].strip() == name:
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def vector_extensions(flags):
    """The widest SIMD the CPU flags offer, as a name: machines sold under the same model name
    ("AMD EPYC") differ in it, and CPU epoch times differ with it several times over."""
    flags = set(flags.split())
    if "avx512f" in flags:
        return "AVX-512 with BF16" if "avx512_bf16" in flags else "AVX-512"
    return "AVX2" if "avx2" in flags else None


def cpu_name():
    """The CPU's model name and its widest SIMD, e.g. "AMD EPYC, AVX2", and the cap on its
    kernels' ISA if one is set (isa_cap): figures made under a cap name it."""
    name = _cpuinfo_field("model name") or platform.processor() or platform.machine()
    simd = vector_extensions(_cpuinfo_field("flags") or "")
    cap = isa_cap()
    return ", ".join(filter(None, [name, simd, cap and f"kernels capped at {cap}"]))


def accelerators():
    """The GPUs the backend sees. keras.distribution, which lists devices, exists only for the
    TensorFlow and JAX backends; PyTorch is asked itself."""
    if keras.config.backend() == "torch":
        import torch

        return [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    return [d for d in keras.distribution.list_devices()
            if d.lower().startswith(("gpu", "cuda"))]


def describe_device():
    """The GPU(s) the backend sees, else the CPU: Keras places work on a GPU by itself."""
    gpus = accelerators()
    if gpus:
        return f"GPU ({', '.join(gpus)})"
    return f"CPU ({cpu_name()}), no GPU visible"


def limit_threads(threads):
    """Caps the CPU threads a run uses (0: the library's default, every core), so that runs
    sharing a machine do not fight over its cores. TensorFlow's intra- and inter-op pools (also
    tf.data's) and PyTorch's take it; JAX reads its threads only when it starts (XLA_FLAGS).
    TensorFlow accepts it only before its first op: call this before building the model."""
    if not threads:
        return
    if keras.config.backend() == "torch":
        import torch

        torch.set_num_threads(threads)
    if "tensorflow" in sys.modules or keras.config.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)


def versions():
    found = {"python": platform.python_version(), "keras": keras.__version__,
             "backend": keras.config.backend()}
    for package in ("tensorflow", "jax", "torch", "numpy"):
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            pass
    if found["backend"] == "tensorflow":  # its kernels differ with it (keras_mnist7/__init__)
        found["tf_onednn"] = os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default")
    return found


# Set by a Ray driver for its workers (keras_mnist7.run.cluster): they run a copy of its code,
# uploaded outside git, so the revision is the driver's.
REVISION_ENV = "KERAS_MNIST7_REVISION"


@functools.cache
def source_revision():
    """The git commit of this code, "+dirty" if it has uncommitted changes; None outside git.

    Read once per process, when the first run starts: that is the code the process loaded.
    Result files (results/, pretrained/) are data, not code: a benchmark rewrites them as it
    goes, so they do not count as changes.
    """
    if os.environ.get(REVISION_ENV):
        return os.environ[REVISION_ENV]
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=here, text=True,
                                capture_output=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--",
                                ":(top)", ":(top,exclude)results", ":(top,exclude)pretrained"],
                               cwd=here, text=True, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return commit + ("+dirty" if dirty.strip() else "")
