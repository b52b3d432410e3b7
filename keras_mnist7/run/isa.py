"""Caps on the instruction set of the kernels that libraries choose at run time: oneDNN's
(TensorFlow's and PyTorch's convolutions, BatchNorm, pooling) and PyTorch's own (ATen). A
module without Keras, so that the command line can name the caps before anything starts."""

import os

# On an AVX-512 machine, "avx2" runs the kernels an AVX2 machine would pick; the CPU's cores,
# caches and memory stay this machine's.
ISA_CAPS = {"avx2": {"ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2"}}


def cap_isa(name):
    """Caps this process's kernels, and those of the processes it starts, at ISA_CAPS[name];
    libraries read the cap when they first pick a kernel, so call it before they do."""
    os.environ.update(ISA_CAPS[name])


def isa_cap():
    """The ISA oneDNN's kernels are capped at in this environment, e.g. "AVX2", or None."""
    cap = os.environ.get("ONEDNN_MAX_CPU_ISA") or os.environ.get("DNNL_MAX_CPU_ISA")
    return None if cap in (None, "", "ALL") else cap
