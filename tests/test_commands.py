"""The modes' own behaviour beyond main.py's flag checks: a damaged model file is one line."""

import tempfile
import unittest
import zipfile
from pathlib import Path

from keras_mnist7.use.commands import load_model
from tests.helpers import REPO


class LoadModelTest(unittest.TestCase):
    def test_a_damaged_keras_file_is_a_one_line_error(self):
        with tempfile.TemporaryDirectory() as tmp:
            damaged = Path(tmp, "damaged.keras")
            with zipfile.ZipFile(damaged, "w") as archive:
                archive.writestr("config.json", '{"class_name": "Nothing"}')
            with self.assertRaisesRegex(ValueError,
                                        f"^--model {damaged}: Keras cannot load it") as caught:
                load_model(damaged)
        self.assertNotIn("\n", str(caught.exception))

    def test_the_shipped_model_loads(self):
        self.assertEqual(load_model(REPO / "pretrained" / "m5.keras").output_shape, (None, 10))


if __name__ == "__main__":
    unittest.main()
