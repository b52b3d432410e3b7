import tempfile
import unittest
from pathlib import Path

from keras_mnist7.output.plots import plot_curves, plot_stage_comparison


class PlotCurvesTest(unittest.TestCase):
    def test_writes_a_png_and_replaces_it(self):
        history = [{"epoch": e, "accuracy": 0.9 + e / 100, "val_accuracy": 0.95 + e / 100,
                    "loss": 0.3 / e, "val_loss": 0.2 / e} for e in (1, 2, 3)]
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp, "curves.png")
            plot_curves(history[:1], path, "m0")
            first = path.read_bytes()
            plot_curves(history, path, "m0")
            self.assertTrue(path.read_bytes().startswith(b"\x89PNG"))
            self.assertNotEqual(first, path.read_bytes())
            self.assertEqual([p.name for p in Path(tmp).iterdir()], ["curves.png"])


    def test_stage_comparison_figure(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp, "stages.png")
            plot_stage_comparison({"m1": [97.0, 98.0], "m2": [98.5, 99.1, 99.3]}, path)
            self.assertTrue(path.read_bytes().startswith(b"\x89PNG"))


if __name__ == "__main__":
    unittest.main()
