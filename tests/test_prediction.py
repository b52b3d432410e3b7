"""Real pictures through the shipped model: each sample's digit, and bad files one by one."""

import io
import json
import os
import socket
import tempfile
import unittest
from pathlib import Path

import keras
from PIL import Image

from keras_mnist7.use.prediction import classify_files, format_records
from tests.helpers import REPO, full_tier, run_python

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

    def test_a_name_with_a_newline_or_tab_stays_on_one_line(self):
        records = [{"path": "a\nb.png", "digit": 1, "probability": 0.5},
                   {"path": "c\td\\e.png", "error": "empty file"}]
        text, errors = format_records(records)
        self.assertEqual(text, "a\\nb.png\t1\t0.5000")
        self.assertEqual(errors, ["error: c\\td\\\\e.png: empty file"])
        self.assertEqual(json.loads(format_records(records, as_json=True)[0]), records)

    def test_only_bad_files_make_no_prediction(self):
        records = classify_files(self.model, ["/no/such/digit.png"])
        self.assertEqual(list(records[0]), ["path", "error"])


# main.py under an address-space limit: a picture that made it allocate more would fail.
UNDER_MEMORY_LIMIT = """
import resource, runpy, sys
limit = 3 * 1024 ** 3
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
sys.argv = ["main.py", *sys.argv[1:]]
runpy.run_path("main.py", run_name="__main__")
"""


@full_tier("main.py with TensorFlow")
class PredictCommandTest(unittest.TestCase):
    def test_hostile_files_each_get_a_line_and_the_good_ones_are_still_predicted(self):
        from tests.test_pictures import lying_header

        with tempfile.TemporaryDirectory() as tmp:
            pics = Path(tmp)
            bomb = io.BytesIO()
            Image.new("1", (40000, 40000)).save(bomb, format="PNG")
            gif = io.BytesIO()
            Image.new("L", (30, 30)).save(gif, format="GIF", save_all=True,
                                          append_images=[Image.new("L", (30, 30), 255)])
            large = io.BytesIO()  # 49 megapixels, under the cap: decoded within the limit
            Image.new("L", (7000, 7000), 255).save(large, format="PNG")
            seven = (REPO / "samples" / "seven_scan.png").read_bytes()
            files = {"a_bomb.png": bomb.getvalue(), "b_empty.png": b"", "c_text.jpg": b"words",
                     "d_cut.png": seven[:200], "e_animated.gif": gif.getvalue(),
                     "g_strip.png": lying_header(seven, 49_000_000, 1),
                     "h_large.png": large.getvalue(), "y_new\nline.png": seven,
                     "z_seven.png": seven}
            for name, data in files.items():
                (pics / name).write_bytes(data)
            (pics / "f_folder.png").mkdir()
            os.mkfifo(pics / "i_pipe.png")
            listening = socket.socket(socket.AF_UNIX)
            self.addCleanup(listening.close)
            listening.bind(str(pics / "j_socket.png"))
            result = run_python(["-c", UNDER_MEMORY_LIMIT, "--mode=predict",
                                 f"--model={REPO / 'pretrained' / 'm5.keras'}",
                                 f"--images={pics},{REPO / 'samples'}"], timeout=300)
        self.assertEqual(result.returncode, 1, result.stderr[-2000:])
        self.assertNotIn("Traceback", result.stderr)
        errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
        reasons = ["more pixels than", "empty file", "not an image", "cannot read it",
                   "an animation of 2 frames", "a folder, not a picture",
                   "49,000,000 x 1 pixels: a side longer", "no digit found",
                   "a named pipe, not a picture", "a socket, not a picture"]
        self.assertEqual(len(errors), len(reasons), errors)
        for line, reason in zip(errors, reasons):
            self.assertIn(reason, line)
        predicted = result.stdout.splitlines()
        self.assertEqual(len(predicted), 2 + len(list((REPO / "samples").glob("*.*g"))))
        self.assertRegex(predicted[0], r"/y_new\\nline\.png\t7\t0\.\d{4}$")
        self.assertRegex(predicted[1], r"/z_seven\.png\t7\t0\.\d{4}$")


if __name__ == "__main__":
    unittest.main()
