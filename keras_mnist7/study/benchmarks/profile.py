"""Where a training step's time goes: m4's Keras (TensorFlow) step under TensorFlow's profiler,
the PyTorch reference's step under PyTorch's, each op's own time grouped by what it does. A
benchmark (results/profile/<machine>.json and .md), never a test.

Both train m4 as --mode=speed times it (batch 128, rotation, the stage's recipe), on one
thread so that ops run one after another and their times add up to the step: whatever the
step's wall time holds beyond its ops is Python, the framework's loop and callbacks. Then
both again on two threads: which parts each framework spreads over a second core (ops may then
overlap, so parts can add up to more than the step). Each side runs in a process of its own;
wall times are medians of ROUNDS rounds, the rows alternated. (XLA is a lever of the speed
benchmark: Keras compiles nothing with it while op determinism is on, as it is here.)
"""

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from keras_mnist7.output.files import write_json, write_text

STAGE = "m4"
WARMUP_STEPS = 30  # traced, compiled and cached before timing
STEPS = 100
ROUNDS = 3  # the wall times: rows alternated, each row's median kept
PARTS = ("convolution", "BatchNorm", "ReLU", "pooling", "dropout", "head, loss and accuracy",
         "input and rotation", "optimizer", "other ops")
OUTSIDE = "outside the ops (Python, the training loop, callbacks)"


def keras_part(op_type, name):
    """The part of m4's Keras step a TensorFlow op belongs to, from its type and the name of
    the layer it sits in (the builders name every layer: conv3, bn3, pool1, ...)."""
    if "Conv2D" in op_type:  # oneDNN fuses the ReLU after a conv into the conv's kernel
        return "convolution"
    if op_type.startswith(("Dataset", "ImageProjectiveTransform")) or "Iterator" in name:
        return "input and rotation"
    layers = [match[1] for scope in name.split("/") if (match := _LAYER.fullmatch(scope))]
    if layers:
        return _LAYER_PARTS[layers[-1]]
    lowered = name.lower()
    if "loss" in lowered or "metrics" in lowered:
        return "head, loss and accuracy"
    if "sgd" in lowered or "optimizer" in lowered or op_type.startswith("ResourceApply"):
        return "optimizer"
    return "other ops"


_LAYER = re.compile(r"(conv|bn|relu|pool|dropout|gap|probabilities)\d*(_\d+)?")
_LAYER_PARTS = {"conv": "convolution", "bn": "BatchNorm", "relu": "ReLU", "pool": "pooling",
                "dropout": "dropout", "gap": "head, loss and accuracy",
                "probabilities": "head, loss and accuracy"}


def torch_part(op_name, ancestors):
    """The part of the PyTorch reference's step an aten op belongs to, from its name, the
    autograd function it computes a gradient for, and the record_function scopes it ran under
    ("input", "head", "optimizer")."""
    for scope in ("optimizer", "input", "head"):
        if scope in ancestors:
            return _TORCH_SCOPES[scope]
    names = [op_name.lower(), *(name.lower() for name in ancestors)]
    for name in names:
        for key, part in _TORCH_OPS:
            if key in name:
                return part
    return "other ops"


_TORCH_SCOPES = {"optimizer": "optimizer", "input": "input and rotation",
                 "head": "head, loss and accuracy"}
_TORCH_OPS = (("convolution", "convolution"), ("batch_norm", "BatchNorm"),
              ("batchnorm", "BatchNorm"), ("relu", "ReLU"), ("threshold", "ReLU"),
              ("max_pool", "pooling"), ("maxpool", "pooling"), ("dropout", "dropout"),
              ("log_softmax", "head, loss and accuracy"), ("logsoftmax", "head, loss and accuracy"),
              ("nll_loss", "head, loss and accuracy"), ("nllloss", "head, loss and accuracy"),
              ("mean", "head, loss and accuracy"))


def profile_keras(threads=1):
    """m4's Keras step in this process: the wall time of STEPS steps fed by the run's tf.data
    pipeline and of STEPS fed one batch over and over (tf.data works on threads of its own,
    beside the step: the difference is what it costs the step), then each part's op time per
    step from TensorFlow's profiler over another STEPS of the latter."""
    import keras
    import tensorflow as tf
    from tensorflow.python.profiler.internal import _pywrap_profiler_plugin as plugin

    from keras_mnist7.data.mnist import load_mnist
    from keras_mnist7.run.training import compiled_model, fit_inputs
    from keras_mnist7.spec.run_spec import RunSpec

    spec = RunSpec.of_stage(STAGE, "unused", threads=threads, input="dataset")
    data = load_mnist()
    model = compiled_model(spec, len(data[0][0]))
    pipeline = fit_inputs(spec, data)["x"].repeat()
    one_batch = tf.data.Dataset.from_tensors(next(iter(pipeline))).repeat()
    schedule = keras.callbacks.LearningRateScheduler(spec.recipe.learning_rate)

    def fit(dataset, steps):
        # take(): an epoch that ends with its data. Given steps_per_epoch instead, Keras runs
        # whole calls of model.steps_per_execution steps, more than `steps`.
        started = time.perf_counter()
        model.fit(dataset.take(steps), epochs=1, verbose=0, callbacks=[schedule],
                  shuffle=False)  # the pipeline shuffles itself, with its seed
        return 1e3 * (time.perf_counter() - started) / steps

    rows = {"wall": lambda steps: fit(pipeline, steps),
            "one_batch": lambda steps: fit(one_batch, steps)}
    for row in rows.values():
        row(WARMUP_STEPS)
    times = {name: [] for name in rows}
    for _ in range(ROUNDS):
        for name, row in rows.items():
            times[name].append(row(STEPS))
    wall, without_input = (statistics.median(times[name]) for name in rows)
    with tempfile.TemporaryDirectory() as logdir:
        tf.profiler.experimental.start(logdir)
        fit(one_batch, STEPS)
        tf.profiler.experimental.stop()
        traces = [str(path) for path in Path(logdir).rglob("*.xplane.pb")]
        table, _ = plugin.xspace_to_tools_data(traces, "framework_op_stats", {})
    stats = json.loads(table)[0]
    columns = [column["id"] for column in stats["cols"]]
    parts = dict.fromkeys(PARTS, 0.0)
    for row in stats["rows"]:
        op = dict(zip(columns, (cell.get("v") for cell in row["c"])))
        part = keras_part(op["type"], op["operation"])
        if op["type"] != "IDLE" and part != "input and rotation":
            parts[part] += op["total_self_time"] / 1e3 / STEPS
    parts["input and rotation"] = max(0.0, wall - without_input)
    return {"wall_ms": wall, "wall_ms_one_batch": without_input, "parts_ms": parts,
            "steps_trained": int(model.optimizer.iterations)}


def profile_torch(threads=1):
    """The PyTorch reference's m4 step in this process, as profile_keras measures Keras'."""
    import torch
    import torch.nn.functional as F

    from keras_mnist7.data.mnist import load_mnist
    from keras_mnist7.spec.stages import get_stage
    from keras_mnist7.study.reference import torch_reference

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    stage = get_stage(STAGE)
    recipe = stage.recipe
    (x_train, y_train), _ = load_mnist()
    images = torch.tensor(x_train, dtype=torch.float32).unsqueeze(1)
    labels = torch.tensor(y_train, dtype=torch.int64)
    network = torch_reference.Network(stage.architecture, recipe.dropout)
    optimizer = torch.optim.SGD(network.parameters(), lr=recipe.lr, momentum=recipe.momentum)
    generator = torch.Generator().manual_seed(0)
    network.train()

    def step():
        with torch.profiler.record_function("input"):
            batch = torch.randint(len(images), (recipe.batch_size,), generator=generator)
            x = torch_reference.rotate(images[batch], torch_reference.random_angles(
                len(batch), recipe.rotation_degrees, generator))
        optimizer.zero_grad(set_to_none=True)
        out = network(x)
        with torch.profiler.record_function("head"):
            loss = F.nll_loss(out, labels[batch])
        loss.backward()
        with torch.profiler.record_function("optimizer"):
            optimizer.step()
        with torch.profiler.record_function("head"):
            loss.item(), (out.argmax(1) == labels[batch]).sum().item()

    for _ in range(WARMUP_STEPS):
        step()
    walls = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for _ in range(STEPS):
            step()
        walls.append((time.perf_counter() - started) / STEPS)
    wall = statistics.median(walls)
    parts = dict.fromkeys(PARTS, 0.0)
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as trace:
        for _ in range(STEPS):
            step()
    for event in trace.events():
        ancestors, parent = set(), event.cpu_parent
        while parent is not None:
            ancestors.add(parent.name)
            parent = parent.cpu_parent
        if event.name.startswith("aten::"):
            parts[torch_part(event.name, ancestors)] += event.self_cpu_time_total / 1e3
    return {"wall_ms": 1e3 * wall, "parts_ms": {k: v / STEPS for k, v in parts.items()}}


def _in_own_process(function, threads):
    code = (f"import json; from keras_mnist7.study.benchmarks.profile import {function}; "
            f"print('PROFILE ' + json.dumps({function}(threads={threads})))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2",
                                             "KERAS_BACKEND": "tensorflow"})
    line = next(l for l in result.stdout.splitlines() if l.startswith("PROFILE "))
    return json.loads(line[len("PROFILE "):])


def with_outside(side):
    """A side's parts, with the time its step spends outside the ops as a part of its own."""
    parts = dict(side["parts_ms"])
    parts[OUTSIDE] = max(0.0, side["wall_ms"] - sum(parts.values()))
    return parts


def profile_table(report):
    """Markdown: milliseconds per step of each part, Keras against the PyTorch reference, on
    one thread and, where the report has them, on two."""
    columns = [("", report)]
    if "two_threads" in report:
        columns = [(", 1 thread", report), (", 2 threads", report["two_threads"])]
    parts = [(with_outside(c["keras"]), with_outside(c["torch"])) for _, c in columns]

    def cells(mine, theirs, bold=False):
        ratio = f"{mine / theirs:.2f}" if bold else f"{mine / theirs:.1f}" if theirs >= 0.05 \
            else "-"
        mark = "**" if bold else ""
        return f" {mark}{mine:.2f}{mark} | {mark}{theirs:.2f}{mark} | {mark}{ratio}{mark} |"

    lines = ["| part of the step |" + "".join(f" Keras (TensorFlow){label}, ms | PyTorch "
                                             f"reference{label}, ms | ratio |"
                                             for label, _ in columns),
             "|---|" + "--:|--:|--:|" * len(columns)]
    for part in (*PARTS, OUTSIDE):
        lines.append(f"| {part} |" + "".join(cells(k[part], t[part]) for k, t in parts))
    lines.append("| **the step (wall)** |" + "".join(
        cells(c["keras"]["wall_ms"], c["torch"]["wall_ms"], bold=True) for _, c in columns))
    return "\n".join(lines)


def profile_benchmark(results_dir):
    """Profiles both sides, each in a process of its own, and writes the report to
    <results_dir>/profile/<machine kind>.json and .md; returns it."""
    from keras_mnist7.run.environment import source_revision, versions
    from keras_mnist7.study.benchmarks.speed import load_record, machine_record

    loads = [load_record("before")]
    report = {"stage": STAGE, "threads": 1, "warmup_steps": WARMUP_STEPS, "steps": STEPS,
              "keras": _in_own_process("profile_keras", 1),
              "torch": _in_own_process("profile_torch", 1),
              "two_threads": {side: _in_own_process(f"profile_{side}", 2)
                              for side in ("keras", "torch")}}
    loads.append(load_record("after"))
    busy = sorted({command for load in loads for command, _ in load["busy_others"]})
    report.update(machine=machine_record(), load=loads, idle=not busy, versions=versions(),
                  revision=source_revision(), command=" ".join(["python", "main.py", *sys.argv[1:]]))
    folder = Path(results_dir) / "profile"
    folder.mkdir(parents=True, exist_ok=True)
    write_json(folder / f"{report['machine']['kind']}.json", report)
    idle = "" if report["idle"] else "\n\n**Not idle**: other processes ran beside it."
    write_text(folder / f"{report['machine']['kind']}.md",
               f"`{report['command']}` on {report['machine']['kind']}, one thread and two, "
               f"{STEPS} steps after {WARMUP_STEPS}:\n\n{profile_table(report)}{idle}\n")
    return report
