"""Real pictures through the shipped model: each sample's digit, and bad files one by one."""

import json
import tempfile
import unittest
from pathlib import Path

import keras

from keras_mnist7.prediction import classify_files, format_records
from tests.helpers import REPO

# samples/<name>_<kind>.<ext>: the digit each was drawn as (scripts/make_samples.py).
DIGITS = {"zero": 0, "two": 2, "three": 3, "four": 4, "seven": 7}


class ClassifyFilesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = keras.saving.load_model(REPO / "pretrained" / "m5.keras")

    def test_samples_are_read_right_and_bad_files_fail_alone(self):
        with tempfile.TemporaryDirectory() as tmp:
            bad = Path(tmp, "notes.png")
            bad.write_text("not a picture")
            records = classify_files(self.model, [str(REPO / "samples"), str(bad)])
        self.assertEqual(records[-1], {"path": str(bad),
                                       "error": "not an image Pillow can read (PNG or JPEG "
                                                "expected)"})
        for record in records[:-1]:
            expected = DIGITS[Path(record["path"]).stem.split("_")[0]]
            with self.subTest(path=record["path"]):
                self.assertEqual(record["digit"], expected)
                self.assertGreater(record["probability"], 0.5)

    def test_lines_and_json(self):
        records = [{"path": "a.png", "digit": 3, "probability": 0.98765},
                   {"path": "b.png", "error": "empty file"}]
        text, errors = format_records(records)
        self.assertEqual(text, "a.png\t3\t0.9877")
        self.assertEqual(errors, ["error: b.png: empty file"])
        text, errors = format_records(records, as_json=True)
        self.assertEqual((json.loads(text), errors), (records, []))

    def test_only_bad_files_make_no_prediction(self):
        records = classify_files(self.model, ["/no/such/digit.png"])
        self.assertEqual(list(records[0]), ["path", "error"])


if __name__ == "__main__":
    unittest.main()
