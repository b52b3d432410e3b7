"""Draws the sample pictures in samples/: hand-drawn-looking digits, photographed or scanned.

Each is a pen path drawn thick on uneven paper (or a dark screen), off-centre, with noise, the
way a phone photo, a scan or a screenshot of a digit looks -- nothing like MNIST's 28x28
frames, which is the point: `main.py --mode=predict` has to prepare them.

    .venv/bin/python scripts/make_samples.py     # rewrites samples/*.png, samples/*.jpg
"""

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

SAMPLES = Path(__file__).resolve().parent.parent / "samples"

# Pen paths in a unit box (x right, y down), one list of points per stroke.
STROKES = {
    2: [[(.22, .32), (.3, .17), (.45, .1), (.6, .11), (.74, .2), (.78, .33), (.72, .48),
         (.55, .63), (.35, .78), (.2, .9), (.5, .89), (.85, .88)]],
    3: [[(.2, .18), (.4, .1), (.62, .12), (.72, .25), (.62, .42), (.42, .48), (.62, .52),
         (.76, .66), (.7, .84), (.48, .92), (.22, .85)]],
    4: [[(.6, .1), (.4, .4), (.18, .62), (.55, .62), (.85, .6)], [(.65, .3), (.64, .6), (.63, .92)]],
    7: [[(.18, .12), (.5, .11), (.82, .12), (.7, .35), (.58, .6), (.5, .9)]],
    0: [[(.5 + .27 * np.sin(t), .5 - .4 * np.cos(t)) for t in np.linspace(0, 2 * np.pi, 41)]],
}


def draw_digit(digit, size, box, pen, ink, paper, tilt, rng):
    """The digit's strokes, `pen` px wide, inside `box` = (left, top, width, height) of a
    `size` canvas of colour `paper`, turned by `tilt` degrees."""
    canvas = Image.new("RGB", size, paper)
    mask = Image.new("L", size, 0)
    draw = ImageDraw.Draw(mask)
    left, top, width, height = box
    for stroke in STROKES[digit]:
        points = [(left + x * width + rng.normal(0, pen / 8), top + y * height + rng.normal(0, pen / 8))
                  for x, y in stroke]
        draw.line(points, fill=255, width=pen, joint="curve")
        for x, y in (points[0], points[-1]):
            draw.ellipse((x - pen / 2, y - pen / 2, x + pen / 2, y + pen / 2), fill=255)
    mask = mask.rotate(tilt, resample=Image.BICUBIC).filter(ImageFilter.GaussianBlur(pen / 6))
    canvas.paste(Image.new("RGB", size, ink), mask=mask)
    return canvas


def uneven_light(image, strength, rng):
    """A lamp from one side, a shadow in a corner, and sensor noise."""
    pixels = np.asarray(image, dtype=np.float32)
    height, width = pixels.shape[:2]
    rows, cols = np.mgrid[0:height, 0:width]
    light = 1 - strength * (cols / width * 0.6 + rows / height * 0.4)
    pixels = pixels * light[..., None] + rng.normal(0, 6, pixels.shape)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def main():
    rng = np.random.default_rng(7)
    SAMPLES.mkdir(exist_ok=True)
    two = draw_digit(2, (300, 400), (40, 150, 150, 210), pen=18, ink=(30, 40, 110),
                     paper=(236, 232, 220), tilt=-6, rng=rng)
    uneven_light(two, 0.35, rng).save(SAMPLES / "two_photo.jpg", quality=80)

    seven = draw_digit(7, (420, 380), (190, 60, 170, 250), pen=26, ink=(20, 20, 20),
                       paper=(225, 225, 225), tilt=4, rng=rng)
    uneven_light(seven, 0.25, rng).convert("L").save(SAMPLES / "seven_scan.png")

    four = draw_digit(4, (256, 256), (30, 90, 110, 140), pen=12, ink=(235, 235, 235),
                      paper=(32, 34, 40), tilt=0, rng=rng)
    four.save(SAMPLES / "four_screenshot.png")

    three = draw_digit(3, (360, 480), (120, 60, 170, 300), pen=14, ink=(90, 90, 95),
                       paper=(245, 240, 230), tilt=8, rng=rng)
    uneven_light(three, 0.45, rng).save(SAMPLES / "three_pencil.jpg", quality=75)

    zero = draw_digit(0, (200, 240), (30, 30, 120, 170), pen=16, ink=(0, 0, 0),
                      paper=(255, 255, 255), tilt=-10, rng=rng)
    alpha = Image.eval(zero.convert("L"), lambda v: 255 - v)  # ink opaque, paper transparent
    zero.putalpha(alpha)
    zero.save(SAMPLES / "zero_transparent.png")


if __name__ == "__main__":
    main()
