"""How fast m4 trains, on each installed Keras backend and in the PyTorch reference, one right
after the other on this machine: a benchmark (results/speed/<machine>.json and .md), never a test.

Each backend runs in a process of its own, with KERAS_BACKEND set before Keras is imported:
the same network, recipe, rotation and batch size as `--stage=m4`, the same input path as
`main.py` would take, timed per epoch with the evaluation apart.
"""

import importlib.util
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import keras

from keras_mnist7.data.mnist import load_mnist
from keras_mnist7.output.files import write_json, write_text
from keras_mnist7.run.callbacks import EpochTimer
from keras_mnist7.run.environment import (
    accelerators,
    cpu_name,
    describe_device,
    source_revision,
    versions,
)
from keras_mnist7.run.isa import isa_cap
from keras_mnist7.spec.run_spec import RunSpec, resolve_input
from keras_mnist7.spec.stages import get_stage

BACKENDS = ("tensorflow", "jax", "torch")
# Levers measured on the TensorFlow backend against its default row, one at a time.
# "steps_per_execution=1" calls the compiled step once a batch (the default runs
# STEPS_PER_EXECUTION batches a call). "oneDNN off" is what TensorFlow
# does by itself on CPUs without AVX-512 VNNI (keras_mnist7/__init__ turns oneDNN on);
# "tf.data autotune on" is tf.data's default, which the package's pipelines turn off;
# "inter-op threads=1" runs one op at a time, with every core for it; "Keras BatchNorm" trains
# on Keras' own BatchNormalization instead of TensorFlow's fused kernel (the default); "XLA"
# compiles the training step with XLA (jit_compile), with op determinism off, which Keras
# requires for it (so not a lever a seeded run could keep).
LEVERS = ("Keras BatchNorm", "steps_per_execution=1", "mixed_bfloat16", "input=arrays",
          "oneDNN off", "tf.data autotune on",
          "inter-op threads=1", "XLA")
LEVER_ENV = {"oneDNN off": {"TF_ENABLE_ONEDNN_OPTS": "0"}}
STAGE = "m4"


def time_this_backend(epochs, lever=None):
    """Trains m4 for `epochs` in this process, as main.py would (no run files written), or
    with levers moved (comma-separated): "steps_per_execution=1" (one training step per call
    into the compiled function), "mixed_bfloat16" (Keras' dtype policy: bfloat16 maths, float32
    weights), "input=arrays" (rotation inside the compiled step instead of a tf.data map),
    "tf.data autotune on" (the pipelines' autotuning model back on), "inter-op threads=1"
    (TensorFlow runs one op at a time), "Keras BatchNorm" (Keras' own BatchNormalization
    instead of TensorFlow's fused kernel), "XLA" (the step compiled by XLA). Levers that are
    environment variables (LEVER_ENV) are set by run_keras_backend."""
    from keras_mnist7.run.training import compiled_model, fit_inputs

    moved = set((lever or "").split(", "))
    if moved & {"inter-op threads=1", "tf.data autotune on"}:
        import tensorflow as tf
    if "inter-op threads=1" in moved:
        tf.config.threading.set_inter_op_parallelism_threads(1)
    if "mixed_bfloat16" in moved:
        keras.config.set_dtype_policy("mixed_bfloat16")
    recipe = get_stage(STAGE).recipe_with(epochs=epochs)
    spec = RunSpec.of_stage(STAGE, "unused", recipe=recipe, input="arrays" if "input=arrays"
                            in moved else resolve_input("auto"))
    data = load_mnist()
    model = compiled_model(spec, len(data[0][0]),
                           steps_per_execution=1 if "steps_per_execution=1" in moved else None,
                           fused_batch_norm="Keras BatchNorm" not in moved)
    inputs = fit_inputs(spec, data)
    if "XLA" in moved:  # Keras compiles nothing with XLA while op determinism is on
        from tensorflow.python.framework.config import disable_op_determinism

        disable_op_determinism()
        model.jit_compile = True
    if "tf.data autotune on" in moved:
        options = tf.data.Options()
        options.autotune.enabled = True
        inputs.update(x=inputs["x"].with_options(options),
                      validation_data=inputs["validation_data"].with_options(options))
    timer = EpochTimer()
    model.fit(**inputs, epochs=epochs, verbose=0,
              callbacks=[timer, keras.callbacks.LearningRateScheduler(recipe.learning_rate)])
    return {"backend": keras.config.backend(), "input": spec.input, "epochs": timer.rows}


def summarize(name, epochs, images):
    """Median steady-state (epochs after the first) training and evaluation seconds, the first
    epoch's extra time (tracing, compiling), images per second."""
    train = [row["train_seconds"] for row in epochs]
    steady = statistics.median(train[1:])
    return {"name": name, "train_seconds": round(steady, 2),
            "eval_seconds": round(statistics.median(row["eval_seconds"] for row in epochs[1:]), 2),
            "first_epoch_extra_seconds": round(train[0] - steady, 2),
            "images_per_second": round(images / steady),
            "final_test_acc": epochs[-1]["test_acc"]}


def combine_rounds(rounds, reference=None):
    """One row from the same run's summaries in several rounds (summarize's rows): medians of
    its seconds, and the range of its training seconds. `reference`: the PyTorch reference's
    summaries of the same rounds; the ratio to it is the median of the rounds' ratios, each
    taken between two runs close in time, so that a machine slower in one round than in
    another cancels out."""
    def median(key):
        return round(statistics.median(r[key] for r in rounds), 2)

    row = {"name": rounds[0]["name"], "rounds": len(rounds),
           "train_seconds": median("train_seconds"),
           "train_seconds_range": [min(r["train_seconds"] for r in rounds),
                                   max(r["train_seconds"] for r in rounds)],
           "eval_seconds": median("eval_seconds"),
           "first_epoch_extra_seconds": median("first_epoch_extra_seconds"),
           "images_per_second": round(statistics.median(r["images_per_second"] for r in rounds)),
           "final_test_acc": rounds[-1]["final_test_acc"]}
    if reference:
        row["ratio_to_pytorch"] = round(statistics.median(
            mine["train_seconds"] / theirs["train_seconds"]
            for mine, theirs in zip(rounds, reference)), 2)
    return row


def lever_applies(lever):
    """bfloat16 maths pays only where the hardware has it (AVX-512 BF16, a GPU); emulated on
    an AVX2 CPU, or under a cap on the kernels' ISA, it would only cost the benchmark time."""
    return ("mixed_bfloat16" not in lever or ("BF16" in cpu_name() and not isa_cap())
            or bool(accelerators()))


def run_keras_backend(backend, epochs, lever=None):
    code = ("import json; from keras_mnist7.study.benchmarks.speed import time_this_backend; "
            f"print('SPEED ' + json.dumps(time_this_backend({epochs}, {lever!r})))")
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "2",
           **LEVER_ENV.get(lever, {})}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True, check=True)
    line = next(l for l in result.stdout.splitlines() if l.startswith("SPEED "))
    return json.loads(line[len("SPEED "):])


def time_torch_reference(epochs, threads):
    """m4 for `epochs` in the package's own PyTorch reference (torch_reference.py), in this
    process: each epoch's training and evaluation seconds and its test accuracy."""
    from keras_mnist7.study.reference import torch_reference

    recipe = get_stage(STAGE).recipe_with(epochs=epochs)
    with tempfile.TemporaryDirectory() as folder:
        spec = RunSpec.of_stage(STAGE, folder, recipe=recipe, threads=threads)
        history = torch_reference.train(spec, load_mnist(), verbose=False)["history"]
    return [{"train_seconds": row["epoch_seconds"] - row["eval_seconds"],
             "eval_seconds": row["eval_seconds"], "test_acc": round(100 * row["val_accuracy"], 2)}
            for row in history]


def run_torch_reference(epochs, threads):
    """time_torch_reference in a process of its own, as each Keras backend runs in its own."""
    code = ("import json; from keras_mnist7.study.benchmarks.speed import time_torch_reference; "
            f"print('SPEED ' + json.dumps(time_torch_reference({epochs}, {threads})))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    line = next(l for l in result.stdout.splitlines() if l.startswith("SPEED "))
    return json.loads(line[len("SPEED "):])


def idle_sentence(report):
    """Whether the machine was idle while the benchmark ran ("" when it was not recorded)."""
    if "idle" not in report:
        return ""
    if report["idle"]:
        return "No other process used a tenth of a core before or between the rounds."
    busy = sorted({command for load in report["load"] for command, _ in load["busy_others"]})
    return (f"**NOT IDLE: other processes were busy while it ran ({', '.join(busy)}); its "
            "seconds are not a clean measure.**")


def speed_table(report):
    rounds = report.get("rounds", 1)
    lines = [f"m4 ({report['epochs']} epochs, batch 128, rotation, 60,000 images) on "
             f"{report['machine']['cpu']} ({report['machine']['cores']} cores), "
             f"{report['machine']['gpu']}" + (f"; every row run {rounds} times, the rows "
                                              "alternated" if rounds > 1 else "") + ". "
             + idle_sentence(report), "",
             "| run | input | training s/epoch (median, after the first) | evaluation s | first "
             "epoch extra s | images/s | ratio to PyTorch | test % after the last epoch |",
             "|---|---|--:|--:|--:|--:|--:|--:|"]
    torch_seconds = next((r["train_seconds"] for r in report["runs"]
                          if r["name"] == "pytorch reference"), None)
    for row in report["runs"]:
        ratio = (f"{row['ratio_to_pytorch']:.2f}" if "ratio_to_pytorch" in row else
                 f"{row['train_seconds'] / torch_seconds:.2f}" if torch_seconds else "-")
        low_high = row.get("train_seconds_range", (0, 0))
        spread = f" ({low_high[0]:.2f}–{low_high[1]:.2f})" if rounds > 1 else ""
        lines.append(f"| {row['name']} | {row.get('input', '-')} | "
                     f"{row['train_seconds']:.2f}{spread} | {row['eval_seconds']:.2f} | "
                     f"{row['first_epoch_extra_seconds']:.2f} | "
                     f"{row['images_per_second']:,} | {ratio} | {row['final_test_acc']:.2f} |")
    return "\n".join(lines)


def lever_sentence(report):
    """What each lever row did to the TensorFlow backend's training epoch, in one sentence."""
    rows = {row["name"]: row for row in report["runs"]}
    base = rows.get("keras tensorflow")
    levers = [(name.split(", ", 1)[1], row) for name, row in rows.items()
              if name.startswith("keras tensorflow, ")]
    if base is None or not levers:
        return None
    parts = [f"{lever} {row['train_seconds'] / base['train_seconds'] - 1:+.0%} "
             f"({row['final_test_acc']:.2f}% test)" for lever, row in levers]
    return (f"Levers on the TensorFlow backend, against its {base['train_seconds']:.2f} s "
            f"per training epoch ({base['final_test_acc']:.2f}% test): " + "; ".join(parts) + ".")


def target_sentence(report, target=0.8):
    """Whether the fastest Keras row trains an epoch in at most `target` times the PyTorch
    reference's, and whether the figures include a GPU."""
    ratios = {row["name"]: row["ratio_to_pytorch"] for row in report["runs"]
              if row["name"].startswith("keras") and "ratio_to_pytorch" in row}
    if not ratios:
        return None
    fastest = min(ratios, key=ratios.get)
    verdict = "met" if ratios[fastest] <= target else "not met"
    gpu = ("" if "no GPU" not in report["machine"]["gpu"] else
           " No GPU figure yet: no GPU machine has been lent to a run of this benchmark.")
    return (f"Target, a Keras training epoch in at most {target:g} times the PyTorch "
            f"reference's: {verdict} on this machine; the fastest Keras row ({fastest}) takes "
            f"{ratios[fastest]:.2f} times." + gpu)


def machine_kind(cpu, cores):
    """A file name for a kind of machine: its CPU model and SIMD, and its cores
    ("intel-xeon-processor-avx-512-with-bf16-2-cores")."""
    words = re.sub(r"\(r\)|\(tm\)", "", f"{cpu} {cores} cores".lower())
    return re.sub(r"[^a-z0-9]+", "-", words).strip("-")


def cpu_seconds_of_others(own):
    """{pid: (command, CPU seconds so far)} of the processes not in `own` (a set of pids)."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = stat.read_text().split("(", 1)[1].rsplit(")", 1)[0]
        except OSError:
            continue
        pid = int(stat.parent.name)
        if pid not in own:
            found[pid] = (command, (int(fields[11]) + int(fields[12])) / ticks)
    return found


def own_processes():
    """This process and its descendants: what the benchmark itself runs."""
    children = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(stat.parent.name))
    own, todo = set(), [os.getpid()]
    while todo:
        pid = todo.pop()
        own.add(pid)
        todo += children.get(pid, [])
    return own


def busy_others(seconds=2.0, share=0.1):
    """Other processes that used more than `share` of a core over `seconds`: what makes a
    machine not idle. [(command, share of a core)], busiest first."""
    before = cpu_seconds_of_others(own_processes())
    time.sleep(seconds)
    after = cpu_seconds_of_others(own_processes())
    used = [(after[pid][0], round((after[pid][1] - before[pid][1]) / seconds, 2))
            for pid in after.keys() & before.keys()]
    return sorted([u for u in used if u[1] > share], key=lambda u: -u[1])


def load_record(label):
    """The load average and the busy other processes at one moment of the benchmark."""
    return {"when": label, "load_average": [round(x, 2) for x in os.getloadavg()],
            "busy_others": busy_others()}


def machine_record():
    cpu = cpu_name()
    return {"cpu": cpu, "cores": os.cpu_count(), "gpu": describe_device(),
            "kind": machine_kind(cpu, os.cpu_count())}


def speed_benchmark(epochs, results_dir, threads=2, rounds=3, rows=None):
    """Every installed Keras backend and lever, then the PyTorch reference if torch is installed
    (those whose name the regular expression `rows` matches, if given), in that order, `rounds`
    times over (one run's time on a shared machine says little: the
    rows are alternated and their medians kept). Other processes' load is read before the
    first row and after each round: a machine that was not idle is said so in the results,
    which are written to <results_dir>/speed/<machine kind>.json and .md; returns the report."""
    timers = [(f"keras {backend}" + (f", {lever}" if lever else ""),
               lambda backend=backend, lever=lever: run_keras_backend(backend, epochs, lever))
              for backend, lever in [(b, None) for b in BACKENDS] +
              [("tensorflow", lever) for lever in LEVERS if lever_applies(lever)]
              if importlib.util.find_spec(backend) is not None]
    if importlib.util.find_spec("torch") is not None:
        timers.append(("pytorch reference", lambda: {
            "input": "-", "epochs": run_torch_reference(epochs, threads)}))
    timers = [(name, timer) for name, timer in timers if re.search(rows or "", name)]
    if not timers:
        raise ValueError(f"--speed_rows={rows} matches none of the rows this machine can run")
    measured = {name: [] for name, _ in timers}
    loads = [load_record("before")]
    for round_number in range(rounds):
        for name, timer in timers:
            timed = timer()
            measured[name].append({**summarize(name, timed["epochs"], 60000),
                                   "input": timed["input"], "epochs": timed["epochs"]})
        loads.append(load_record(f"after round {round_number + 1}"))
    reference = measured.get("pytorch reference")
    runs = [{**combine_rounds(summaries, reference), "input": summaries[0]["input"],
             "per_round": summaries} for summaries in measured.values()]
    busy = sorted({command for load in loads for command, _ in load["busy_others"]})
    report = {"stage": STAGE, "epochs": epochs, "rounds": rounds, "runs": runs,
              # what the default row's BatchNorm trains on (files before the fused kernel
              # lack it)
              "batch_norm": "fused",
              "machine": machine_record(), "load": loads, "idle": not busy,
              "versions": versions(), "revision": source_revision(),
              "command": " ".join(["python", "main.py", *sys.argv[1:]])}
    folder = Path(results_dir) / "speed"
    folder.mkdir(parents=True, exist_ok=True)
    write_json(folder / f"{report['machine']['kind']}.json", report)
    write_text(folder / f"{report['machine']['kind']}.md", speed_table(report) + "\n")
    return report
