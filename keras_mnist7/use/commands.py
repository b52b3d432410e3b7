"""The modes that use a trained model -- evaluate, predict, demo, export -- once main.py has
accepted their flags: plain values in, lines out. Imports Keras."""

import signal
import sys
from pathlib import Path

import keras

from keras_mnist7.run import evaluation
from keras_mnist7.use import demo, export, prediction


def load_model(path):
    """keras.saving.load_model, with a one-line error for a file it cannot read."""
    try:
        return keras.saving.load_model(path)
    except Exception as err:  # Keras raises many kinds for a damaged file: all mean the same
        reason = (str(err).strip().splitlines() or [type(err).__name__])[0][:160]
        raise ValueError(f"--model {path}: Keras cannot load it ({reason})") from None


def evaluate_model(model_path, output_dir, test_data):
    model = load_model(model_path)
    result = evaluation.write_evaluation(model, *test_data, output_dir, Path(model_path).name)
    print(f"{model_path}: {evaluation.describe(result)}")
    print(f"[done] confusion.png, mistakes.png, evaluation.json -> {output_dir}/")


def predict_files(model_path, paths, as_json):
    """Prints one line (or one JSON object) per file; returns the exit status: 1 if any failed."""
    records = prediction.classify_files(load_model(model_path), paths)
    text, errors = prediction.format_records(records, as_json)
    if text:
        print(text)
    for line in errors:
        print(line, file=sys.stderr)
    return int(any("error" in record for record in records))


def serve_demo(model_path, host, port):
    """The draw-a-digit page for the model, until Ctrl-C or SIGTERM; a port in use is a
    one-line error."""
    model = load_model(model_path)
    try:
        server = demo.DemoServer(model, Path(model_path).name, host, port)
    except OSError as err:
        raise OSError(f"--host {host} --port {port}: cannot serve there "
                      f"({err.strerror or err})") from None
    print(f"[demo] {model_path} at http://{host}:{server.port}/ (Ctrl-C to stop)", flush=True)
    # uvicorn shuts down on either signal, then raises it again: both end here, as Ctrl-C.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        server.serve()
    except KeyboardInterrupt:
        pass
    print("[demo] stopped", flush=True)


def export_model(model_path, export_dir, data):
    (x_train, _), test = data
    report = export.export_model(load_model(model_path), export_dir, test,
                                 calibration_images=x_train, source=model_path)
    print(export.describe(report))
    print(f"[done] {export_dir}/ (export.json: the numbers above)")
