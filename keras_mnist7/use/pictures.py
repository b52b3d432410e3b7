"""A real picture of one digit -> a 28x28 uint8 image prepared the way MNIST's were.

MNIST digits are light on dark, fitted into a 20x20 box keeping their aspect, and centred by
centre of mass in a 28x28 frame. Photos, scans and screenshots are none of that: this module
turns one into the other with NumPy and Pillow only. No Keras: the model does the rest.
"""

import io
import os
import stat
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
WORKING_SIZE = 160  # the longer side a picture is brought to first: fast, and detail enough
BOX, FRAME = 20, 28
# Refused from the header, before any decoding: a 48-megapixel phone photo still passes, a
# decompression bomb (a small file that decodes to gigabytes) never reaches Pillow's decoder.
MAX_PIXELS = 50_000_000
MAX_FILE_BYTES = 50 * 1024 * 1024
# Also from the header: a side longer than a 100-megapixel camera's, or a strip thinner than
# any picture of one digit, is refused before it is decoded or resized.
MAX_SIDE = 20_000
MAX_ASPECT = 50
# What a name that is not a regular file turns out to be (os.stat's file types).
SPECIAL_FILES = ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"),
                 (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                 (stat.S_ISDIR, "a folder"))


class ImageError(Exception):
    """This file cannot be turned into a digit image; the message says why, in one line."""


def image_files(paths):
    """Files named, plus the entries of the folders named whose names end like a picture's
    (sorted); a folder so named is listed too, so that reading it is refused in its own line."""
    files = []
    for path in map(Path, paths):
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        else:
            files.append(path)
    return files


def _kind(mode):
    return next((kind for test, kind in SPECIAL_FILES if test(mode)), "not a regular file")


def read_bytes(path):
    """A picture file's bytes; ImageError for what is no regular file of a sane size. A pipe,
    socket or device (or a link to one) is refused from its status, never opened; the file is
    opened without blocking and checked again, in case it changed in between."""
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):
            raise ImageError(f"{_kind(mode)}, not a picture")
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
                             | getattr(os, "O_NOCTTY", 0))
        with os.fdopen(descriptor, "rb") as file:
            status = os.fstat(file.fileno())
            if not stat.S_ISREG(status.st_mode):
                raise ImageError(f"{_kind(status.st_mode)}, not a picture")
            if status.st_size > MAX_FILE_BYTES:
                raise ImageError(f"{status.st_size:,} bytes: more than the {MAX_FILE_BYTES:,} "
                                 "a picture may have")
            return file.read(MAX_FILE_BYTES + 1)[:MAX_FILE_BYTES]
    except OSError as err:
        raise ImageError(f"cannot read it ({err.strerror or err})") from None


def decode(data):
    """A picture's bytes -> float grey levels 0-255, whatever its mode: transparency is laid on
    white, like paper; 16-bit and float pictures are scaled from their own range; EXIF
    rotation is undone. Every way the bytes can be bad is one ImageError."""
    if not data:
        raise ImageError("empty file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ImageError(f"{width:,} x {height:,} pixels: more than the {MAX_PIXELS:,} "
                                 "a picture may have")
            if max(width, height) > MAX_SIDE:
                raise ImageError(f"{width:,} x {height:,} pixels: a side longer than the "
                                 f"{MAX_SIDE:,} a picture may have")
            if max(width, height) > MAX_ASPECT * min(width, height):
                raise ImageError(f"{width:,} x {height:,} pixels: longer than {MAX_ASPECT} "
                                 "times its width, no picture of a digit")
            if getattr(image, "n_frames", 1) > 1:
                raise ImageError(f"an animation of {image.n_frames} frames: send one still "
                                 "picture")
            image.load()
            image = ImageOps.exif_transpose(image)
            return _grey(image)
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError("not an image Pillow can read (PNG or JPEG expected)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(f"more pixels than the {MAX_PIXELS:,} a picture may have") from None
    except MemoryError:
        raise ImageError("too large to decode") from None
    except Exception as err:  # noqa: BLE001 - Pillow's decoders raise many kinds for bad bytes
        reason = (str(err).strip().splitlines() or [type(err).__name__])[0][:120]
        raise ImageError(f"cannot read it ({reason})") from None


def _grey(image):
    """A loaded Pillow image as float grey levels 0-255."""
    if image.mode in ("I", "I;16", "I;16L", "I;16B", "I;16N", "F"):
        values = np.asarray(image, dtype=np.float64)
        low, high = float(values.min()), float(values.max())
        if not np.isfinite([low, high]).all():
            raise ImageError("pixels that are not numbers (NaN or infinite)")
        scaled = (values - low) * (255.0 / (high - low)) if high > low else values * 0
        return scaled.astype(np.float32)
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info:
        image = image.convert("RGBA")
        paper = Image.new("RGBA", image.size, "white")
        image = Image.alpha_composite(paper, image)
    elif image.mode not in ("L", "RGB", "1", "P", "CMYK", "YCbCr"):
        image = image.convert("RGB")
    return np.asarray(image.convert("L"), dtype=np.float32)


def read_grayscale(path):
    """The picture file at `path` as float grey levels 0-255 (decode)."""
    return shrink(decode(read_bytes(path)))


def shrink(grey):
    """Brings the longer side down to WORKING_SIZE (never up): fast, and detail enough."""
    image = Image.fromarray(np.clip(np.round(grey), 0, 255).astype(np.uint8))
    scale = WORKING_SIZE / max(image.size)
    if scale < 1:
        image = image.resize((max(1, round(image.width * scale)),
                              max(1, round(image.height * scale))), Image.LANCZOS)
    return np.asarray(image, dtype=np.float32)


def light_on_dark(grey):
    """Inverts dark-on-light pictures (paper, screenshots): the border says which the ground is."""
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    return 255.0 - grey if np.median(border) > 127 else grey


def remove_background(grey):
    """Subtracts the slowly varying ground (uneven light on paper): a grey opening with a window
    wider than a pen stroke keeps the ground and drops the strokes (a top-hat transform)."""
    window = max(3, (min(grey.shape) // 4) | 1)
    image = Image.fromarray(grey.astype(np.uint8))
    ground = image.filter(ImageFilter.MinFilter(window)).filter(ImageFilter.MaxFilter(window))
    return np.clip(grey - np.asarray(ground, dtype=np.float32), 0, None)


def otsu_threshold(values):
    """The grey level that best splits ink from ground (Otsu's method, 256 bins)."""
    counts, edges = np.histogram(values, bins=256, range=(0, max(float(values.max()), 1e-6)))
    centres = (edges[:-1] + edges[1:]) / 2
    weight = np.cumsum(counts)
    mean = np.cumsum(counts * centres)
    total, total_mean = weight[-1], mean[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (total_mean * weight - mean * total) ** 2 / (weight * (total - weight))
    return float(centres[np.nanargmax(between)])


def ink_box(ink):
    """Bounding box of 99% of the ink: a few specks of noise do not stretch it."""
    def span(mass):
        cumulative = np.cumsum(mass) / mass.sum()
        return int(np.searchsorted(cumulative, 0.005)), int(np.searchsorted(cumulative, 0.995))
    (top, bottom), (left, right) = span(ink.sum(axis=1)), span(ink.sum(axis=0))
    return top, bottom + 1, left, right + 1


def mnist_style(grey):
    """Grey picture -> 28x28 uint8, light digit on black, in a 20x20 box, centred by mass."""
    ink = remove_background(light_on_dark(grey))
    if ink.max() < 16:
        raise ImageError("no digit found: the picture is blank")
    threshold = otsu_threshold(ink)
    strokes = ink >= threshold
    ink = np.where(ink >= threshold / 2, ink, 0.0)
    ink = np.clip(ink / np.percentile(ink[strokes], 90), 0, 1) * 255
    top, bottom, left, right = ink_box(ink)
    crop = Image.fromarray(ink[top:bottom, left:right].astype(np.uint8))
    scale = BOX / max(crop.size)
    crop = crop.resize((max(1, round(crop.width * scale)), max(1, round(crop.height * scale))),
                       Image.LANCZOS)
    patch = np.asarray(crop, dtype=np.float32)
    rows, cols = np.indices(patch.shape)
    mass = patch.sum()
    centre = (rows * patch).sum() / mass, (cols * patch).sum() / mass
    frame = np.zeros((FRAME, FRAME), np.float32)
    top = int(round(FRAME / 2 - centre[0]))
    left = int(round(FRAME / 2 - centre[1]))
    # Paste, clipping whatever a lopsided centre of mass pushes past the frame.
    r0, c0 = max(top, 0), max(left, 0)
    r1, c1 = min(top + patch.shape[0], FRAME), min(left + patch.shape[1], FRAME)
    frame[r0:r1, c0:c1] = patch[r0 - top:r1 - top, c0 - left:c1 - left]
    return np.clip(frame, 0, 255).astype(np.uint8)


def prepare(path):
    """The file at `path` as MNIST's 28x28 uint8; ImageError with the reason if it cannot be."""
    return mnist_style(read_grayscale(path))


def prepare_bytes(data):
    """A picture's bytes (an upload) as MNIST's 28x28 uint8, exactly as prepare() does a file."""
    return mnist_style(shrink(decode(data)))
