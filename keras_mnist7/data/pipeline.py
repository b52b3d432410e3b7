"""tf.data pipelines from the uint8 arrays (--input=dataset): a module that imports tensorflow.

Work is done on whole batches in graph ops; there is no per-image Python in the hot path.
"""

import keras
import tensorflow as tf

from keras_mnist7.data.augmentation import augmentation
from keras_mnist7.spec.architecture import NUM_CLASSES


def make_deterministic(seed):
    """Seeds Python, NumPy and the backend, and turns on TensorFlow's op determinism.

    Determinism makes kernels reduce in a fixed order and tf.data run the stateful rotation map
    in a fixed order, so a seeded CPU run repeats exactly (measured: no slower on CPU). It lives
    here because this is the module allowed to import tensorflow.
    """
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def without_autotune(dataset):
    """The dataset with tf.data's autotuning model off (prefetch buffers still adapt by
    themselves).

    Keras makes a new iterator for each epoch and each evaluation, and a dropped iterator
    waits for its autotuning thread's next wake-up, whose period doubles up to seconds: whole
    seconds lost per epoch (docs/backends.md, "tf.data's autotuning thread"). The map runs in
    order and the buffers are small, so the model has nothing to tune.
    """
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)


def train_dataset(images, labels, batch_size, seed, rotation_degrees=0.0,
                  translation_pixels=0.0, zoom=0.0):
    """uint8 arrays -> cache -> seeded shuffle (new order each epoch) -> batch -> augment ->
    prefetch.

    Augmented batches are float32 pixels in 0-255; without augmentation they stay uint8. The
    model normalizes either, so training and test data enter it on the same 0-255 scale.
    """
    dataset = tf.data.Dataset.from_tensor_slices((images[..., None], labels)).cache()
    dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size)
    layers = augmentation(rotation_degrees, translation_pixels, seed, zoom)
    if layers:
        def augment(x, y):
            x = tf.cast(x, tf.float32)
            for layer in layers:
                x = layer(x, training=True)
            return x, y
        # One map call per batch, in order: the layers draw from seeded stateful generators,
        # so a parallel map would only be serialized again by op determinism.
        dataset = dataset.map(augment)
    return without_autotune(dataset.prefetch(tf.data.AUTOTUNE))


def epochs_dataset(images, labels, recipe, seed, start_epoch=0):
    """Epochs start_epoch..recipe.epochs-1 as one stream, for a recipe whose last
    `clean_epochs` are not augmented (fit it with steps_per_epoch): epoch e is shuffled with
    seed + e, batched, and augmented unless it is one of the clean ones. A resumed run starts
    the stream at its first epoch still to train, so the clean epochs stay clean."""
    layers = augmentation(recipe.rotation_degrees, recipe.translation_pixels, seed, recipe.zoom)
    base = tf.data.Dataset.from_tensor_slices((images[..., None], labels)).cache()

    def augment(x, y):
        for layer in layers:
            x = layer(x, training=True)
        return x, y

    last_augmented = recipe.epochs - recipe.clean_epochs
    stream = None
    for index in range(start_epoch, recipe.epochs):
        # A Python seed per epoch: op determinism refuses a shuffle seeded by a tensor.
        epoch = base.shuffle(len(images), seed=seed * 1000 + index).batch(recipe.batch_size)
        epoch = epoch.map(lambda x, y: (tf.cast(x, tf.float32), y))
        if index < last_augmented:
            epoch = epoch.map(augment)
        stream = epoch if stream is None else stream.concatenate(epoch)
    return without_autotune(stream.prefetch(tf.data.AUTOTUNE))


def one_hot(dataset):
    """Labels as one-hot rows, for a loss with label smoothing."""
    return dataset.map(lambda x, y: (x, tf.one_hot(y, NUM_CLASSES)))


def test_dataset(images, labels, batch_size):
    """uint8 arrays -> batch -> cache -> prefetch; never augmented."""
    dataset = tf.data.Dataset.from_tensor_slices((images[..., None], labels))
    return without_autotune(dataset.batch(batch_size).cache().prefetch(tf.data.AUTOTUNE))
