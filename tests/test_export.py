"""Every export format, run by its own runtime (never Keras), agrees with Keras."""

import json
import shutil
import tempfile
import unittest
from pathlib import Path

import keras
import numpy as np

from keras_mnist7.use import export
from tests.helpers import REPO, full_tier, mnist_subset

IMAGES = 1000


@full_tier("real MNIST and every runtime")
class ExportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = Path(tempfile.mkdtemp())
        (x_train, _), (cls.images, cls.labels) = mnist_subset(200, IMAGES)
        cls.model = keras.saving.load_model(REPO / "pretrained" / "m5.keras")
        cls.export_dir = cls.tmp / "exported"
        cls.report = export.export_model(cls.model, cls.export_dir, (cls.images, cls.labels),
                                         calibration_images=x_train, source="m5.keras")
        cls.reference = cls.model.predict(cls.images, verbose=0)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def test_float_formats_match_keras_in_their_own_runtimes(self):
        for name, run, file_name in (("saved_model", export.run_saved_model, "saved_model"),
                                     ("litert", export.run_litert, "model.tflite"),
                                     ("onnx", export.run_onnx, "model.onnx")):
            with self.subTest(format=name):
                probabilities = run(self.export_dir / file_name, self.images)
                np.testing.assert_array_equal(probabilities.argmax(1), self.reference.argmax(1))
                np.testing.assert_allclose(probabilities, self.reference, atol=1e-4)
                self.assertEqual(self.report["formats"][name]["same_argmax_as_keras_pct"], 100.0)

    def test_int8_is_kept_only_within_the_tolerance(self):
        int8 = self.report["formats"]["litert_int8"]
        self.assertEqual(int8["kept"], int8["loss_vs_float_pct"] <= export.INT8_TOLERANCE_PCT)
        self.assertEqual((self.export_dir / "model_int8.tflite").exists(), int8["kept"])
        if int8["kept"]:
            self.assertLess((self.export_dir / "model_int8.tflite").stat().st_size,
                            (self.export_dir / "model.tflite").stat().st_size)

    def test_report_is_written_and_no_staging_folder_is_left(self):
        on_disk = json.loads((self.export_dir / "export.json").read_text())
        self.assertEqual(on_disk["test_images"], IMAGES)
        self.assertEqual(on_disk["keras"]["accuracy_pct"],
                         round(100 * float(np.mean(self.reference.argmax(1) == self.labels)), 2))
        self.assertEqual(sorted(p.name for p in self.tmp.iterdir()), ["exported"])
        self.assertIn("int8 LiteRT", export.describe(on_disk))

    def test_an_int8_loss_is_printed_as_a_negative_change(self):
        row = {"file": "f", "bytes": 1, "accuracy_pct": 99.0, "same_argmax_as_keras_pct": 100.0,
               "max_abs_probability_difference": 0.0}
        report = {"formats": {"litert": row, "litert_int8": dict(
            row, accuracy_pct=98.97, loss_vs_float_pct=0.03, kept=True)}}
        self.assertIn("int8 LiteRT: -0.03 points against float, kept", export.describe(report))


if __name__ == "__main__":
    unittest.main()
