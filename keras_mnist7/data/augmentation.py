"""Keras' own random augmentation layers, for either input path: mapped over tf.data batches
(--input=dataset), or the first layers of the model, inside the compiled training step
(--input=arrays). At inference they pass images through untouched.
"""

import keras


def rotation(degrees, seed):
    """Keras' own random rotation, up to +-degrees, background filled with 0 (black, as MNIST's)."""
    return keras.layers.RandomRotation(degrees / 360.0, fill_mode="constant", fill_value=0.0,
                                       interpolation="bilinear", seed=seed, name="rotation")


def translation(pixels, seed):
    """Keras' own random shift, up to +-pixels each way, background filled with 0."""
    factor = pixels / 28.0
    return keras.layers.RandomTranslation(factor, factor, fill_mode="constant", fill_value=0.0,
                                          interpolation="bilinear", seed=seed, name="translation")


def zoom(fraction, seed):
    """Keras' own random scale, by up to +-fraction, the same both ways (the aspect kept)."""
    return keras.layers.RandomZoom((-fraction, fraction), fill_mode="constant", fill_value=0.0,
                                   interpolation="bilinear", seed=seed, name="zoom")


def augmentation(rotation_degrees, translation_pixels, seed, zoom_fraction=0.0):
    """The augmentation layers a recipe asks for, in order (rotate, scale, then shift)."""
    layers = []
    if rotation_degrees:
        layers.append(rotation(rotation_degrees, seed))
    if zoom_fraction:
        layers.append(zoom(zoom_fraction, seed + 2))
    if translation_pixels:
        layers.append(translation(translation_pixels, seed + 1))
    return layers
