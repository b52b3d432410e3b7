"""How a trained model does on the test set: accuracy, loss, accuracy per digit, what it
confuses, and its mistakes -- numbers, two figures and evaluation.json.

Any model that maps uint8 [N, 28, 28] images to 10 probabilities will do: a model of this
package reloaded from its .keras file needs nothing else.
"""

from pathlib import Path

import keras
import numpy as np

from keras_mnist7.output.files import write_json
from keras_mnist7.output.plots import plot_confusion, plot_mistakes
from keras_mnist7.spec.architecture import NUM_CLASSES


def evaluate(model, images, labels, batch_size=1000):
    """Accuracy and loss (as fit() reports them), per-digit accuracy, the confusion matrix and
    every mistake, most confident first."""
    probabilities = model.predict(images, batch_size=batch_size, verbose=0)
    predicted = probabilities.argmax(axis=1)
    labels = np.asarray(labels)
    loss = keras.losses.SparseCategoricalCrossentropy()(labels, probabilities)
    confusion = np.bincount(labels * NUM_CLASSES + predicted,
                            minlength=NUM_CLASSES ** 2).reshape(NUM_CLASSES, NUM_CLASSES)
    wrong = np.flatnonzero(predicted != labels)
    confidence = probabilities[wrong, predicted[wrong]]
    mistakes = [{"index": int(i), "true": int(labels[i]), "predicted": int(predicted[i]),
                 "confidence": round(float(p), 4)}
                for i, p in sorted(zip(wrong, confidence), key=lambda pair: -pair[1])]
    return {
        "images": len(labels),
        "accuracy_pct": round(100.0 * float(np.mean(predicted == labels)), 2),
        "loss": round(float(keras.ops.convert_to_numpy(loss)), 5),
        "per_class_accuracy_pct": [round(100.0 * confusion[d, d] / max(confusion[d].sum(), 1), 2)
                                   for d in range(NUM_CLASSES)],
        "confusion": confusion.tolist(),
        "mistakes": mistakes,
    }


def write_evaluation(model, images, labels, output_dir, title):
    """evaluate(), then confusion.png, mistakes.png and evaluation.json in `output_dir`."""
    output_dir = Path(output_dir)
    result = evaluate(model, images, labels)
    plot_confusion(np.array(result["confusion"]), output_dir / "confusion.png", title)
    plot_mistakes(images, result["mistakes"], output_dir / "mistakes.png", title)
    write_json(output_dir / "evaluation.json", {"model": title, **result})
    return result


def describe(result, dataset="test"):
    """The lines --mode=evaluate prints; `dataset` names the images the result is on."""
    per_class = "  ".join(f"{digit}: {pct:.2f}" for digit, pct in
                          enumerate(result["per_class_accuracy_pct"]))
    return (f"{dataset} accuracy {result['accuracy_pct']:.2f}% ({len(result['mistakes'])} mistakes "
            f"in {result['images']:,} images), loss {result['loss']:.4f}\n"
            f"per digit (%): {per_class}")
