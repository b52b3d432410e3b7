"""A real picture of one digit -> a 28x28 uint8 image prepared the way MNIST's were.

MNIST digits are light on dark, fitted into a 20x20 box keeping their aspect, and centred by
centre of mass in a 28x28 frame. Photos, scans and screenshots are none of that: this module
turns one into the other with NumPy and Pillow only. No Keras: the model does the rest.
"""

from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
WORKING_SIZE = 160  # the longer side a picture is brought to first: fast, and detail enough
BOX, FRAME = 20, 28


class ImageError(Exception):
    """This file cannot be turned into a digit image; the message says why, in one line."""


def image_files(paths):
    """Files named, plus the image files (by suffix, sorted) of the folders named."""
    files = []
    for path in map(Path, paths):
        if path.is_dir():
            files += sorted(p for p in path.iterdir()
                            if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        else:
            files.append(path)
    return files


def read_grayscale(path):
    """The picture as float grey levels 0-255; transparency is laid on white, like paper."""
    path = Path(path)
    try:
        if path.stat().st_size == 0:
            raise ImageError("empty file")
        with Image.open(path) as image:
            image.load()
            image = ImageOps.exif_transpose(image)
            if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
                image = image.convert("RGBA")
                paper = Image.new("RGBA", image.size, "white")
                image = Image.alpha_composite(paper, image)
            image = image.convert("L")
    except UnidentifiedImageError:
        raise ImageError("not an image Pillow can read (PNG or JPEG expected)") from None
    except OSError as err:
        raise ImageError(f"cannot read it ({err.strerror or err})") from None
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
