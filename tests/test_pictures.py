"""Whatever bytes arrive, the picture reader answers a 28x28 digit image or one ImageError:
arbitrary bytes, and generated pictures of every mode, size and format (hypothesis), then the
hostile files a user meets, one by one; and real pictures made MNIST-style (polarity, uneven
ground, crop, 20x20 box, centre of mass). No Keras."""

import io
import os
import socket
import tempfile
import time
import unittest
import zlib
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from keras_mnist7.use.pictures import ImageError, image_files, prepare, prepare_bytes
from tests.helpers import REPO

MODES = ("1", "L", "P", "RGB", "RGBA", "LA", "PA", "CMYK", "YCbCr", "LAB", "HSV", "I", "F",
         "I;16", "La", "RGBa")
FORMATS = ("PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP")
SETTINGS = settings(max_examples=150, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


def encode(image, image_format, **options):
    data = io.BytesIO()
    image.save(data, format=image_format, **options)
    return data.getvalue()


def answer(data):
    """'image' or the ImageError's message: anything else fails the test that calls it."""
    try:
        image = prepare_bytes(data)
    except ImageError as err:
        message = str(err)
        assert message and "\n" not in message, repr(message)
        return message
    assert image.shape == (28, 28) and image.dtype == np.uint8
    return "image"


@st.composite
def pictures(draw):
    """A picture of any mode and size, random pixels or a drawn stroke, in any format that
    can hold it (the ones that cannot are skipped: that is Pillow's refusal, not ours)."""
    mode = draw(st.sampled_from(MODES))
    width, height = draw(st.integers(1, 300)), draw(st.integers(1, 300))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    if draw(st.booleans()):  # a stroke on a plain ground, more like a digit
        pixels[:] = 255
        pixels[height // 4:3 * height // 4, width // 2:width // 2 + max(1, width // 8)] = 0
    image = Image.fromarray(pixels).convert(mode) if mode not in ("I;16", "LAB", "HSV", "La",
                                                                   "RGBa") else None
    if image is None:
        image = Image.new(mode, (width, height))
    image_format = draw(st.sampled_from(FORMATS))
    try:
        return encode(image, image_format)
    except (OSError, ValueError, KeyError, TypeError):
        return encode(Image.new("RGB", (width, height)), "PNG")


def lying_header(png, width, height):
    """The PNG with its header's size replaced (and the header's checksum made to match), the
    pixel data left as it was: a file that claims far more pixels than it holds."""
    header = png[12:16] + width.to_bytes(4, "big") + height.to_bytes(4, "big") + png[24:29]
    return png[:12] + header + zlib.crc32(header).to_bytes(4, "big") + png[33:]


class PropertyTest(unittest.TestCase):
    @SETTINGS
    @given(st.binary(max_size=4096))
    def test_arbitrary_bytes(self, data):
        answer(data)

    @SETTINGS
    @given(pictures())
    def test_generated_pictures_of_every_mode_size_and_format(self, data):
        answer(data)

    @SETTINGS
    @given(pictures(), st.data())
    def test_pictures_cut_short_or_with_bytes_flipped(self, data, more):
        cut = more.draw(st.integers(0, len(data)))
        answer(data[:cut])
        flipped = bytearray(data)
        for index in more.draw(st.lists(st.integers(0, len(data) - 1), max_size=8)):
            flipped[index] ^= 0xFF
        answer(bytes(flipped))


class HostileFilesTest(unittest.TestCase):
    """Each file a user meets, with the reason it is refused, or the digit it still gives."""

    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp())

    def write(self, name, data):
        (self.tmp / name).write_bytes(data)
        return self.tmp / name

    def test_refused_with_their_reason(self):
        stroke = np.full((60, 60), 255, np.uint8)
        stroke[10:50, 28:34] = 0
        png = encode(Image.fromarray(stroke), "PNG")
        (self.tmp / "folder.png").mkdir()
        cases = {
            "empty.png": (b"", "empty file"),
            "text.png": (b"just some words", "not an image"),
            "truncated.png": (png[:len(png) // 2], "cannot read it"),
            "bomb.png": (encode(Image.new("1", (40000, 40000)), "PNG"), "more pixels than"),
            "lying-header.png": (lying_header(png, 8000, 8000), "8,000 x 8,000 pixels: more than"),
            "animated.gif": (encode(Image.new("L", (30, 30)), "GIF", save_all=True,
                                    append_images=[Image.new("L", (30, 30), 255)]),
                             "an animation of 2 frames"),
        }
        for name, (data, _) in cases.items():
            self.write(name, data)
        cases["folder.png"] = (None, "a folder, not a picture")
        cases["missing.png"] = (None, "cannot read it")
        for name, (_, reason) in cases.items():
            with self.subTest(name=name), self.assertRaisesRegex(ImageError, reason):
                prepare(self.tmp / name)
        self.assertIn(self.tmp / "folder.png", image_files([self.tmp]))

    @unittest.skipUnless(hasattr(os, "mkfifo"), "named pipes and sockets are POSIX files")
    def test_special_files_are_refused_without_being_opened(self):
        """A pipe nobody writes to would block a reader forever: each is refused from its
        status, within a second, and so are links to them."""
        os.mkfifo(self.tmp / "pipe.png")
        listening = socket.socket(socket.AF_UNIX)
        self.addCleanup(listening.close)
        listening.bind(str(self.tmp / "socket.png"))
        (self.tmp / "link.png").symlink_to(self.tmp / "pipe.png")
        cases = {self.tmp / "pipe.png": "a named pipe, not a picture",
                 self.tmp / "socket.png": "a socket, not a picture",
                 self.tmp / "link.png": "a named pipe, not a picture",
                 Path(os.devnull): "a character device, not a picture"}
        for path, reason in cases.items():
            with self.subTest(path=path.name):
                start = time.monotonic()
                with self.assertRaisesRegex(ImageError, f"^{reason}$"):
                    prepare(path)
                self.assertLess(time.monotonic() - start, 1.0)
        self.assertLessEqual(set(cases) - {Path(os.devnull)}, set(image_files([self.tmp])))

    def test_extreme_shapes_are_refused_from_the_header(self):
        stroke = encode(Image.new("L", (4, 4), 255), "PNG")
        cases = {(49_000_000, 1): "49,000,000 x 1 pixels: a side longer than the 20,000",
                 (30_000, 30): "30,000 x 30 pixels: a side longer than the 20,000",
                 (10_000, 100): "10,000 x 100 pixels: longer than 50 times its width",
                 (1, 2_000): "1 x 2,000 pixels: longer than 50 times its width"}
        for (width, height), reason in cases.items():
            with self.subTest(size=(width, height)):
                path = self.write("strip.png", lying_header(stroke, width, height))
                with self.assertRaisesRegex(ImageError, f"^{reason}"):
                    prepare(path)

    @unittest.skipIf(os.geteuid() == 0, "root reads every file whatever its permissions")
    def test_unreadable_permissions(self):
        path = self.write("locked.png", b"\x89PNG")
        path.chmod(0)
        with self.assertRaisesRegex(ImageError, "Permission denied"):
            prepare(path)

    def test_modes_that_still_give_the_digit(self):
        """16-bit, CMYK, palette, alpha and EXIF-rotated pictures of one stroke all read as the
        same upright stroke (a vertical bar: ink in the middle columns only)."""
        stroke = np.full((60, 60), 255, np.uint8)
        stroke[10:50, 28:34] = 0
        grey = Image.fromarray(stroke)
        sideways = grey.rotate(90, expand=True)  # stored lying down, EXIF says turn it back
        exif = Image.Exif()
        exif[0x0112] = 8  # orientation: rotate 90 clockwise to view
        rgba = Image.new("RGBA", grey.size, (0, 0, 0, 0))
        rgba.putalpha(Image.fromarray(255 - stroke))
        variants = {
            "16-bit": encode(Image.fromarray(stroke.astype(np.uint16) * 257), "PNG"),
            "CMYK": encode(grey.convert("CMYK"), "JPEG", quality=95),
            "palette": encode(grey.convert("P"), "PNG"),
            "alpha": encode(rgba, "PNG"),
            "EXIF-rotated": encode(sideways.convert("RGB"), "JPEG", quality=95, exif=exif),
        }
        for name, data in variants.items():
            with self.subTest(name):
                image = prepare_bytes(data)
                columns = np.nonzero(image.max(axis=0) > 64)[0]
                rows = np.nonzero(image.max(axis=1) > 64)[0]
                self.assertGreater(np.ptp(rows), 3 * np.ptp(columns))  # upright, not lying


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
