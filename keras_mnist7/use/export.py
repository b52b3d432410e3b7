"""A trained model for other runtimes, with Keras' own exporters, each file checked by the
runtime that will serve it -- never by Keras.

  saved_model/       TensorFlow SavedModel, `serve` signature: uint8 [N, 28, 28] -> probabilities
  model.tflite       LiteRT, float, run with the ai-edge-litert interpreter
  model_int8.tflite  LiteRT with int8 weights and activations (calibrated on training images)
  model.onnx         ONNX, run with onnxruntime
  export.json        each file's test accuracy and its agreement with Keras

TensorFlow is imported here, besides the tf.data pipeline: `tf.saved_model.load` is the
SavedModel's own runtime, and the int8 converter takes TensorFlow's option values.
"""

import logging
import os
import shutil
from pathlib import Path

import keras
import numpy as np

from keras_mnist7.output.files import write_json

# Raw pixels, any batch size, no channel axis: what a caller outside Python has at hand.
PIXELS = keras.InputSpec(shape=(None, 28, 28), dtype="uint8")
# int8 is kept only if it loses at most this many points of accuracy against the float file.
INT8_TOLERANCE_PCT = 0.3
CALIBRATION_IMAGES = 500


def run_saved_model(path, images):
    import tensorflow as tf

    loaded = tf.saved_model.load(str(path))  # kept alive while its function runs
    return loaded.serve(tf.constant(images)).numpy()


def run_litert(path, images):
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    (source,), (result,) = interpreter.get_input_details(), interpreter.get_output_details()
    interpreter.resize_tensor_input(source["index"], images.shape)
    interpreter.allocate_tensors()
    interpreter.set_tensor(source["index"], images)
    interpreter.invoke()
    return interpreter.get_tensor(result["index"])


def run_onnx(path, images):
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: images})[0]


def compare(probabilities, reference, labels):
    """Test accuracy, and agreement with Keras' probabilities on the same images."""
    predicted = probabilities.argmax(axis=1)
    return {
        "accuracy_pct": round(100.0 * float(np.mean(predicted == labels)), 2),
        "same_argmax_as_keras_pct": round(100.0 * float(np.mean(
            predicted == reference.argmax(axis=1))), 2),
        "max_abs_probability_difference": float(np.abs(probabilities - reference).max()),
    }


def write_formats(model, folder, calibration_images):
    """Every format into `folder`: {format: (path, runner)}."""
    import tensorflow as tf

    def calibration():
        for image in calibration_images:
            yield [image[None]]

    folder = Path(folder)
    model.export(folder / "saved_model", format="tf_saved_model", input_signature=[PIXELS],
                 verbose=False)
    model.export(folder / "model.tflite", format="litert", input_signature=[PIXELS],
                 verbose=False)
    model.export(folder / "model_int8.tflite", format="litert", input_signature=[PIXELS],
                 verbose=False, optimizations=[tf.lite.Optimize.DEFAULT],
                 representative_dataset=calibration)
    logging.getLogger("tf2onnx").setLevel(logging.WARNING)  # its INFO lines would bury the table
    model.export(folder / "model.onnx", format="onnx", input_signature=[PIXELS], verbose=False)
    return {"saved_model": ("saved_model", run_saved_model),
            "litert": ("model.tflite", run_litert),
            "litert_int8": ("model_int8.tflite", run_litert),
            "onnx": ("model.onnx", run_onnx)}


def export_model(model, export_dir, test_data, calibration_images, source=None):
    """Writes every format of `model` to `export_dir` (which must not exist yet: it appears
    whole, by a rename, once every file is written and checked); returns export.json's content.
    `source`: where the model came from, for the report."""
    export_dir = Path(export_dir)
    images, labels = test_data
    reference = model.predict(images, batch_size=1000, verbose=0)
    staging = export_dir.with_name(f".{export_dir.name}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        formats = write_formats(model, staging, calibration_images[:CALIBRATION_IMAGES])
        report = {"model": str(source or model.name), "test_images": len(labels),
                  "keras": compare(reference, reference, labels), "formats": {}}
        for name, (file_name, run) in formats.items():
            path = staging / file_name
            size = (sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
                    if path.is_dir() else path.stat().st_size)
            report["formats"][name] = {"file": file_name, "bytes": size,
                                       **compare(run(path, images), reference, labels)}
        int8 = report["formats"]["litert_int8"]
        int8["loss_vs_float_pct"] = round(
            report["formats"]["litert"]["accuracy_pct"] - int8["accuracy_pct"], 2)
        int8["kept"] = int8["loss_vs_float_pct"] <= INT8_TOLERANCE_PCT
        if not int8["kept"]:
            os.remove(staging / int8["file"])
        write_json(staging / "export.json", report)
        os.replace(staging, export_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return report


def describe(report):
    """The table --mode=export prints."""
    lines = [f"{'format':<12} {'file':<18} {'bytes':>9} {'test acc %':>10} "
             f"{'same argmax %':>13} {'max |p - keras|':>15}"]
    for name, row in report["formats"].items():
        lines.append(f"{name:<12} {row['file']:<18} {row['bytes']:>9,} {row['accuracy_pct']:>10.2f} "
                     f"{row['same_argmax_as_keras_pct']:>13.2f} "
                     f"{row['max_abs_probability_difference']:>15.2e}")
    int8 = report["formats"]["litert_int8"]
    verdict = "kept" if int8["kept"] else f"removed (more than {INT8_TOLERANCE_PCT} points lost)"
    # Printed as int8 minus float, so that a loss reads as a negative number.
    lines.append(f"int8 LiteRT: {-int8['loss_vs_float_pct']:+.2f} points against float, {verdict}")
    return "\n".join(lines)
