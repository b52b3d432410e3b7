"""Averaged weights evaluated with BatchNorm statistics of their own.

Keras' SwapEMAWeights evaluates the optimizer's moving average of the weights with the moving
statistics the raw weights collected, which belong to other weights: the slower the average,
the further apart. As stochastic weight averaging does, the statistics are recomputed for the
average itself, here at each epoch's end over a fixed set of training images.
"""

import keras
import numpy as np

BATCH_SIZE = 512  # images per forward pass while the statistics are gathered


def batch_norm_layers(model):
    return [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]


def _moments_model(model, layer):
    """The model up to `layer`'s input, giving that input's per-channel mean and (biased, as
    Keras' BatchNormalization computes it) variance over one batch."""
    inputs = layer.input
    axes = [axis for axis in range(len(inputs.shape)) if axis != layer.axis % len(inputs.shape)]
    return keras.Model(model.inputs, [keras.ops.mean(inputs, axis=axes),
                                      keras.ops.var(inputs, axis=axes)])


class StatisticsProbe:
    """Sets every BatchNormalization layer's moving mean and variance to those of its input over
    `images`, layer by layer from the input up, in inference mode: each layer's input is
    computed with the statistics just set below it, as inference will compute it (no dropout,
    no batch statistics). Batch moments combine exactly, weighted by the batches' sizes.
    """

    def __init__(self, model, images, batch_size=BATCH_SIZE):
        self.batches = np.array_split(images, -(-len(images) // batch_size))
        self.layers = batch_norm_layers(model)
        self.probes = [_moments_model(model, layer) for layer in self.layers]

    def recompute(self):
        weights = np.array([len(batch) for batch in self.batches], dtype="float64")[:, None]
        weights /= weights.sum()
        for layer, probe in zip(self.layers, self.probes):
            moments = [[keras.ops.convert_to_numpy(m).astype("float64")
                        for m in probe.predict_on_batch(batch)] for batch in self.batches]
            means = np.stack([mean for mean, _ in moments])
            squares = np.stack([variance + mean ** 2 for mean, variance in moments])
            mean = (weights * means).sum(axis=0)
            variance = np.maximum((weights * squares).sum(axis=0) - mean ** 2, 0.0)
            layer.moving_mean.assign(mean.astype("float32"))
            layer.moving_variance.assign(variance.astype("float32"))


def statistics(model):
    """Copies of every BatchNormalization layer's moving mean and variance."""
    return [keras.ops.convert_to_numpy(variable).copy() for layer in batch_norm_layers(model)
            for variable in (layer.moving_mean, layer.moving_variance)]


def set_statistics(model, values):
    variables = [variable for layer in batch_norm_layers(model)
                 for variable in (layer.moving_mean, layer.moving_variance)]
    for variable, value in zip(variables, values, strict=True):
        variable.assign(value)


class AveragedWeightsOwnStatistics(keras.callbacks.Callback):
    """Evaluation, checkpoints and the epoch's files see the optimizer's moving average of the
    weights with statistics recomputed for it over `images`; training goes on from the raw
    weights with theirs.

    The average goes in when the epoch's evaluation begins; the raw state comes back at the
    epoch's end by `restorer()`, a second callback listed after the checkpoints and writers
    and before BackupAndRestore: the backup is a plain training state (raw weights and
    statistics, the average in the optimizer), so a resumed run needs nothing from here.
    Swaps copy values exactly, so the raw weights train exactly as they would without the
    average.

    `validation`: (images, integer labels) the evaluation reads; the raw weights are scored on
    them first, as val_raw_accuracy and val_raw_loss (plain cross-entropy): the run without
    the average, on the very same trajectory. Listed before the writers, it puts them into the
    epoch's logs.
    """

    def __init__(self, images, validation=None):
        super().__init__()
        self.images = np.asarray(images, dtype="float32")
        self.validation = validation
        self._raw_statistics = None
        self._raw_scores = {}
        self._probe = None

    def score_raw(self):
        """Scores the raw weights on the validation images (before the average goes in)."""
        images, labels = self.validation
        batches = range(0, len(images), 1000)
        probabilities = np.concatenate([keras.ops.convert_to_numpy(self.model.predict_on_batch(
            np.asarray(images[start:start + 1000], dtype="float32"))) for start in batches])
        loss = keras.losses.sparse_categorical_crossentropy(labels, probabilities)
        self._raw_scores = {
            "raw_accuracy": float(np.mean(probabilities.argmax(axis=1) == labels)),
            "raw_loss": float(np.mean(keras.ops.convert_to_numpy(loss)))}

    def _swap_weights(self):
        optimizer = self.model.optimizer
        for variable, average in zip(optimizer._trainable_variables,
                                     optimizer._model_variables_moving_average, strict=True):
            raw = keras.ops.convert_to_numpy(variable).copy()
            variable.assign(average)
            average.assign(raw)

    def on_test_begin(self, logs=None):
        if self._raw_statistics is not None:
            return
        if self._probe is None:
            self._probe = StatisticsProbe(self.model, self.images)
        if self.validation is not None:
            self.score_raw()
        self._raw_statistics = statistics(self.model)
        self._swap_weights()
        self._probe.recompute()

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs.update({f"val_{name}": value for name, value in self._raw_scores.items()})

    def restorer(self):
        """The callback that puts the raw weights and statistics back at the epoch's end."""
        return _RestoreRaw(self)

    def _restore_raw(self):
        if self._raw_statistics is None:
            return
        self._swap_weights()
        set_statistics(self.model, self._raw_statistics)
        self._raw_statistics = None



class _RestoreRaw(keras.callbacks.Callback):
    def __init__(self, averaged):
        super().__init__()
        self.averaged = averaged

    def on_epoch_end(self, epoch, logs=None):
        self.averaged._restore_raw()

    def on_train_end(self, logs=None):
        self.averaged._restore_raw()
