"""GPU figures, for a machine with JAX and no TensorFlow (`--mode=gpu`; scripts/gpu.sh runs it
there).

m4 and m5 for 15 epochs on the arrays path (augmentation inside the compiled step), three ways:
fit() with one training step per call into the compiled function, fit() with 32
(steps_per_execution), and with the whole dataset on the device (run/device_epochs.py: one
compiled scan per epoch, no batch copied from the host). The whole run timed, evaluation
included, and each epoch's training and evaluation seconds apart. One JSON file per run, and
one for the device. Fewer epochs or training images make a check of the script on a CPU
before a GPU is lent (`"dry_run": true` in every file), never a figure.

    KERAS_BACKEND=jax python main.py --mode=gpu --data_dir=.mnist --results_dir=results
"""

import json
import statistics
import tempfile
import time
from pathlib import Path

# (stage, how): fit() with that many steps_per_execution, or "device" (the data on the device)
RUNS = (("m4", 1), ("m4", 32), ("m4", "device"), ("m5", 1), ("m5", 32), ("m5", "device"))


def timed_run(stage, how, data, epochs):
    """One run of `stage` on the arrays path, timed; nothing written but the returned record.
    `how`: fit() with that many steps_per_execution, or "device" (device_epochs)."""
    import keras

    from keras_mnist7.run.callbacks import EpochTimer, LearningRateLogger
    from keras_mnist7.run.device_epochs import train_on_device
    from keras_mnist7.run.training import compiled_model, fit_inputs
    from keras_mnist7.spec.run_spec import RunSpec
    from keras_mnist7.spec.stages import get_stage

    recipe = get_stage(stage).recipe_with(epochs=epochs)
    with tempfile.TemporaryDirectory() as folder:
        spec = RunSpec.of_stage(stage, folder, recipe=recipe, input="arrays", tensorboard=False)
        (x_train, _), _ = data
        model = compiled_model(spec, len(x_train),
                               steps_per_execution=1 if how == "device" else how)
        start = time.perf_counter()
        if how == "device":
            rows = train_on_device(model, recipe, data, spec.seed)
        else:
            timer = EpochTimer()
            schedule = (keras.callbacks.LearningRateScheduler(recipe.learning_rate)
                        if recipe.schedule == "step" else LearningRateLogger())
            model.fit(**fit_inputs(spec, data), epochs=epochs, verbose=0,
                      callbacks=[timer, schedule])
            rows = timer.rows
        total = time.perf_counter() - start
    train = [row["train_seconds"] for row in rows]
    steady = statistics.median(train[1:]) if len(train) > 1 else train[0]
    return {"stage": stage, "epochs": epochs, "train_images": len(x_train),
            "batch_size": recipe.batch_size,
            "loop": "data on the device" if how == "device" else "fit",
            "steps_per_execution": None if how == "device" else how,
            "seconds_total": round(total, 2),
            "first_epoch_seconds": round(train[0] + rows[0]["eval_seconds"], 2),
            "train_seconds_per_epoch": round(steady, 3),
            "eval_seconds_per_epoch": round(statistics.median(
                row["eval_seconds"] for row in rows), 3),
            "images_per_second": round(len(x_train) / steady),
            "test_acc": [row["test_acc"] for row in rows]}


def device_record():
    import jax
    import keras

    from keras_mnist7.run.environment import versions

    devices = jax.devices()
    return {"backend": keras.config.backend(), "platform": devices[0].platform,
            "devices": [getattr(d, "device_kind", str(d)) for d in devices],
            "versions": versions()}


def gpu_benchmark(data, out, epochs=15, train_size=None):
    """Every run of RUNS on `data` (MNIST's arrays) into `out`: device.json and one
    <stage>-<how>.json each; each run's line printed as it ends. A ValueError (one line) on
    a backend other than JAX."""
    import keras

    if keras.config.backend() != "jax":
        raise ValueError("--mode=gpu runs on JAX: set KERAS_BACKEND=jax (scripts/gpu.sh does)")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    dry_run = epochs < 15 or train_size is not None
    if train_size is not None:
        (x_train, y_train), (x_test, y_test) = data
        data = (x_train[:train_size], y_train[:train_size]), (x_test[:500], y_test[:500])
    device = {**device_record(), "dry_run": dry_run}
    (out / "device.json").write_text(json.dumps(device, indent=1) + "\n")
    print(f"[gpu] {device['platform']}: {', '.join(device['devices'])}", flush=True)
    for stage, how in RUNS:
        record = {**timed_run(stage, how, data, epochs), "device": device["devices"][0],
                  "dry_run": dry_run}
        name = f"{stage}-device" if how == "device" else f"{stage}-spe{how}"
        (out / f"{name}.json").write_text(json.dumps(record, indent=1) + "\n")
        way = ("the data on the device" if how == "device" else
               f"fit, steps_per_execution {how}")
        print(f"[gpu] {stage}, {way}: {record['seconds_total']:.1f} s for {epochs} epochs "
              f"(evaluation included), {record['images_per_second']:,} images/s, test "
              f"{record['test_acc'][-1]:.2f}%", flush=True)
