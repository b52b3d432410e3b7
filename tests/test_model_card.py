import json
import tempfile
import unittest
from pathlib import Path

from keras_mnist7.use.model_card import model_card, write_model_cards


def fake_pretrained(folder):
    """The three files a shipped model's card is written from, with made-up numbers."""
    (folder / "m5_export").mkdir()
    (folder / "m5.metrics.json").write_text(json.dumps({
        "stage": "m5", "seed": 100, "command": "python main.py --stage=m5 --seeds=100",
        "revision": "abc1234", "receptive_field": 18, "summary": {"epochs_run": 15},
        "params": {"trainable": 7742, "non_trainable": 164, "total": 7906}}))
    (folder / "m5_evaluation").mkdir()
    (folder / "m5_evaluation" / "evaluation.json").write_text(json.dumps({
        "images": 10000, "accuracy_pct": 99.47, "loss": 0.01711,
        "per_class_accuracy_pct": [99.9] * 10, "mistakes": [{}] * 53}))
    row = {"file": "model.onnx", "bytes": 36438, "accuracy_pct": 99.47,
           "same_argmax_as_keras_pct": 100.0, "max_abs_probability_difference": 8e-07}
    (folder / "m5_export" / "export.json").write_text(json.dumps({
        "test_images": 10000, "keras": {"accuracy_pct": 99.47},
        "formats": {"onnx": row, "litert": {**row, "file": "model.tflite"}, "litert_int8": {
            **row, "file": "model_int8.tflite", "accuracy_pct": 99.1, "kept": False}}}))


class ModelCardTest(unittest.TestCase):
    def test_every_number_comes_from_the_files(self):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            fake_pretrained(folder)
            card = model_card(folder, "m5")
            written = write_model_cards(folder)
            self.assertEqual((folder / "README.md").read_text(), written)
        self.assertIn(card, written)
        for expected in ("Stage m5, seed 100, the model after its last epoch (15",
                         "`python main.py --stage=m5 --seeds=100` (revision abc1234)",
                         "7,906 (7,742 trainable, 164 BatchNorm statistics)",
                         "**99.47%** (53 mistakes), loss 0.0171",
                         "| test accuracy % | 99.90 | 99.90 |",
                         "| onnx | `model.onnx` | 36,438 | 99.47 | 100.00 | 8.0e-07 |",
                         "The int8 file is not kept", f"--export_dir={folder}/m5_export",
                         f"--output_dir={folder}/m5_evaluation`", "(m5_evaluation/confusion.png)",
                         "InferenceSession(\"pretrained/m5_export/model.onnx\")", "### Limits"):
            self.assertIn(expected, card)

    def test_a_model_without_its_files_gets_no_card(self):
        with tempfile.TemporaryDirectory() as tmp:
            self.assertIsNone(model_card(tmp, "m5"))
            self.assertNotIn("## m5", write_model_cards(tmp))


if __name__ == "__main__":
    unittest.main()
