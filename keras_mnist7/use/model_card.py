"""pretrained/README.md: a card for each shipped model, written from the files beside it
(its metrics.json, --mode=evaluate's evaluation.json, --mode=export's export.json)."""

import json
from pathlib import Path

from keras_mnist7.output.files import write_text

# The same calls as export.run_litert / run_onnx, which test each exported file.
LOAD_SNIPPETS = """```python
import keras                                   # Keras 3, any backend; not this package
model = keras.saving.load_model("pretrained/{name}.keras")
probabilities = model.predict(images_uint8)    # [N, 28, 28] uint8, raw 0-255 pixels
```

```python
from ai_edge_litert.interpreter import Interpreter   # pip install ai-edge-litert
interpreter = Interpreter("{export}/model.tflite")
(source,), (result,) = interpreter.get_input_details(), interpreter.get_output_details()
interpreter.resize_tensor_input(source["index"], images_uint8.shape)
interpreter.allocate_tensors()
interpreter.set_tensor(source["index"], images_uint8)
interpreter.invoke()
probabilities = interpreter.get_tensor(result["index"])
```

```python
import onnxruntime                                    # pip install onnxruntime
session = onnxruntime.InferenceSession("{export}/model.onnx")
probabilities = session.run(None, {{session.get_inputs()[0].name: images_uint8}})[0]
```"""

LIMITS = """- One digit per picture, light or dark ink on a plain ground. `--mode=predict` prepares a
  picture the way MNIST's digits were (grey levels, light on dark, lighting evened out, cropped
  to the ink, fitted into 20x20, centred by centre of mass in 28x28): two digits, a digit
  touching the border or a busy background are outside what it was trained on.
- Called directly (Keras, LiteRT, ONNX), the model expects that preparation already done:
  28x28 MNIST-like images, white digit on black, values 0-255.
- Trained and tested on MNIST only (handwriting of US Census staff and students); its
  accuracy on other handwriting is not measured here."""


def model_card(folder, name):
    """The card of <folder>/<name>.keras, or None if its files are not all there."""
    folder = Path(folder)
    paths = {"metrics": folder / f"{name}.metrics.json",
             "evaluation": folder / f"{name}_evaluation" / "evaluation.json",
             "export": folder / f"{name}_export" / "export.json"}
    if not all(path.is_file() for path in paths.values()):
        return None
    metrics, evaluation, exported = (json.loads(paths[key].read_text())
                                     for key in ("metrics", "evaluation", "export"))
    params, summary = metrics["params"], metrics["summary"]
    per_digit = " | ".join(f"{pct:.2f}" for pct in evaluation["per_class_accuracy_pct"])
    lines = [
        f"## {name}.keras", "",
        f"Stage {metrics['stage']}, seed {metrics['seed']}, the model after its last epoch "
        f"({summary['epochs_run']}; not the best epoch). Made by `{metrics['command']}` "
        f"(revision {metrics['revision']}), then copied here by `scripts/benchmarks.sh "
        "pretrained`.", "",
        f"- Params (Keras' `count_params()`): {params['total']:,} ({params['trainable']:,} "
        f"trainable, {params['non_trainable']:,} BatchNorm statistics)",
        f"- Receptive field: {metrics['receptive_field']} px; input: raw uint8 pixels "
        "[N, 28, 28], normalized inside the model; output: 10 probabilities",
        f"- Test accuracy ({evaluation['images']:,} MNIST test images, `python main.py "
        f"--mode=evaluate --model={folder}/{name}.keras --output_dir={folder}/{name}_evaluation`): "
        f"**{evaluation['accuracy_pct']:.2f}%** "
        f"({len(evaluation['mistakes'])} mistakes), loss {evaluation['loss']:.4f}", "",
        "| digit | " + " | ".join(map(str, range(10))) + " |",
        "|---|" + "--:|" * 10, f"| test accuracy % | {per_digit} |", "",
        f"![confusion matrix]({name}_evaluation/confusion.png)", "",
        f"![misclassified test digits]({name}_evaluation/mistakes.png)",
        "", "### Exports", "",
        f"`python main.py --mode=export --model={folder}/{name}.keras "
        f"--export_dir={folder}/{name}_export`; each file is run on the "
        f"{exported['test_images']:,} test images by its own runtime, never by Keras "
        f"(`{name}_export/export.json`; the files themselves are not committed).", "",
        "| format | file | bytes | test accuracy % | same argmax as Keras % | max abs "
        "probability difference |", "|---|---|--:|--:|--:|--:|"]
    for fmt, row in exported["formats"].items():
        lines.append(f"| {fmt} | `{row['file']}` | {row['bytes']:,} | {row['accuracy_pct']:.2f} "
                     f"| {row['same_argmax_as_keras_pct']:.2f} | "
                     f"{row['max_abs_probability_difference']:.1e} |")
    int8 = exported["formats"]["litert_int8"]
    lines += ["", f"The int8 file is {'kept' if int8['kept'] else 'not kept'} (it may lose at "
                  "most 0.3 points against the float file).", "",
              "### Load it", "",
              LOAD_SNIPPETS.format(name=name, export=f"pretrained/{name}_export"), "",
              "### Limits", "", LIMITS]
    return "\n".join(lines)


def write_model_cards(folder="pretrained", names=("m5", "m6")):
    """pretrained/README.md with the card of every shipped model whose files are there."""
    cards = [card for name in names if (card := model_card(folder, name))]
    text = "\n\n".join(["# Shipped models",
                        "Written by `python main.py --mode=report` from the files in this "
                        "folder; every number comes from them.", *cards]) + "\n"
    write_text(Path(folder) / "README.md", text)
    return text
