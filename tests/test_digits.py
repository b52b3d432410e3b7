"""Real pictures -> MNIST-style 28x28: polarity, uneven ground, crop, 20x20 box, centre of mass."""

import tempfile
import unittest
from pathlib import Path

import numpy as np
from PIL import Image

from keras_mnist7.use.pictures import ImageError, image_files, prepare
from tests.helpers import REPO

SAMPLES = REPO / "samples"


def centre_of_mass(image):
    rows, cols = np.indices(image.shape)
    mass = image.astype(float).sum()
    return (rows * image).sum() / mass, (cols * image).sum() / mass


class PrepareTest(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.tmp = Path(tmp.name)

    def test_every_sample_becomes_an_mnist_style_digit(self):
        samples = image_files([SAMPLES])
        self.assertGreaterEqual(len(samples), 5)
        for path in samples:
            with self.subTest(path=path.name):
                image = prepare(path)
                self.assertEqual((image.shape, image.dtype), ((28, 28), np.uint8))
                self.assertEqual(image.max(), 255)
                self.assertEqual(image[0].max() + image[-1].max(), 0)  # dark ground at the edges
                ink_rows, ink_cols = np.nonzero(image)
                self.assertLessEqual(max(np.ptp(ink_rows), np.ptp(ink_cols)) + 1, 20)
                for axis in centre_of_mass(image):
                    self.assertLess(abs(axis - 14), 1.0)

    def test_dark_on_light_and_light_on_dark_give_the_same_digit(self):
        grey = np.full((120, 90), 230, np.uint8)
        grey[20:100, 40:52] = 20  # a thick dark "1" on light paper
        Image.fromarray(grey).save(self.tmp / "paper.png")
        Image.fromarray(255 - grey).save(self.tmp / "screen.png")
        paper, screen = prepare(self.tmp / "paper.png"), prepare(self.tmp / "screen.png")
        np.testing.assert_array_equal(paper, screen)
        self.assertEqual(np.ptp(np.nonzero(paper)[0]) + 1, 20)  # the tall side fills the box

    def test_an_uneven_ground_is_not_taken_for_ink(self):
        ramp = np.linspace(120, 250, 200)[None, :].repeat(160, axis=0)  # lamp on the right
        ramp[40:120, 90:104] = 10
        Image.fromarray(ramp.astype(np.uint8)).save(self.tmp / "lamp.png")
        image = prepare(self.tmp / "lamp.png")
        ink_cols = np.nonzero(image.max(axis=0))[0]
        self.assertLessEqual(np.ptp(ink_cols) + 1, 8)  # the stroke only, not the bright side

    def test_pictures_that_are_no_digit_are_refused_with_the_reason(self):
        Image.new("L", (50, 50), 200).save(self.tmp / "blank.png")
        (self.tmp / "notes.png").write_text("not a picture")
        (self.tmp / "empty.jpg").write_bytes(b"")
        png = (SAMPLES / "four_screenshot.png").read_bytes()
        (self.tmp / "cut.png").write_bytes(png[:len(png) // 2])
        for name, reason in (("blank.png", "no digit found"), ("notes.png", "not an image"),
                             ("empty.jpg", "empty file"), ("cut.png", "cannot read it"),
                             ("missing.png", "cannot read it")):
            with self.subTest(name=name), self.assertRaisesRegex(ImageError, reason):
                prepare(self.tmp / name)

    def test_folders_give_their_image_files_sorted(self):
        for name in ("b.png", "a.JPG", "readme.txt"):
            (self.tmp / name).write_text("")
        self.assertEqual([p.name for p in image_files([self.tmp, "x.png"])],
                         ["a.JPG", "b.png", "x.png"])


if __name__ == "__main__":
    unittest.main()
