"""Classify real pictures of digits: each file prepared MNIST-style (pictures.py), then one
batch through the model. A file that cannot be read gets its own error; the others go on."""

import json

import numpy as np

from keras_mnist7.use.pictures import ImageError, image_files, prepare


def classify_files(model, paths):
    """One record per file, in order: {"path", "digit", "probability"} or {"path", "error"}."""
    records, images = [], []
    for path in image_files(paths):
        try:
            images.append(prepare(path))
            records.append({"path": str(path)})
        except ImageError as err:
            records.append({"path": str(path), "error": str(err)})
    readable = [record for record in records if "error" not in record]
    if readable:
        probabilities = model.predict(np.stack(images), verbose=0)
        for record, row in zip(readable, probabilities):
            record["digit"] = int(row.argmax())
            record["probability"] = round(float(row.max()), 4)
    return records


def printable(path):
    """A file name on one line: control characters (a newline, a tab) and backslashes escaped
    as Python writes them in a string, so one file is always one line. --json keeps names as
    they are."""
    if path.isprintable() and "\\" not in path:
        return path
    return path.encode("unicode_escape", "backslashreplace").decode("ascii")


def format_records(records, as_json=False):
    """(stdout text, stderr lines): 'path<TAB>digit<TAB>probability' lines, or one JSON list;
    errors as 'error: path: why' lines (in the JSON list with --json)."""
    if as_json:
        return json.dumps(records, indent=1), []
    lines = [f"{printable(r['path'])}\t{r['digit']}\t{r['probability']:.4f}" for r in records
             if "error" not in r]
    errors = [f"error: {printable(r['path'])}: {r['error']}" for r in records if "error" in r]
    return "\n".join(lines), errors
