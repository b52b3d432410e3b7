"""BatchNormalization on TensorFlow's fused kernel: the same numbers as Keras' path (as close to
exact float64 arithmetic as Keras' own float32 path is), the same moving statistics, the same
inference, and a saved model that is Keras' built-in layer."""

import tempfile
import unittest
from pathlib import Path

import keras
import numpy as np

from keras_mnist7.run.training import compiled_model
from keras_mnist7.spec.run_spec import RunSpec
from keras_mnist7.spec.stages import get_stage
from tests.helpers import full_tier, run_python
from tests.test_training import RELOAD_ELSEWHERE

ON_TENSORFLOW = keras.config.backend() == "tensorflow"


def network(stage, fused, dtype="float32", weights=None):
    """The stage's network without dropout (so that float64 draws no other masks), its
    weights `weights` if given, with or without the fused kernel."""
    from keras_mnist7.run import fused_batch_norm

    keras.config.set_dtype_policy(dtype)
    try:
        recipe = get_stage(stage).recipe_with(dropout=0.0)
        model = compiled_model(RunSpec.of_stage(stage, "unused", recipe=recipe), 1024)
    finally:
        keras.config.set_dtype_policy("float32")
    if weights is not None:
        model.set_weights([w.astype(dtype) for w in weights])
    taken = fused_batch_norm.use_fused_kernel(model) if fused else 0
    return model, taken


def loss_and_gradients(model, images, labels):
    import tensorflow as tf

    with tf.GradientTape() as tape:
        probabilities = model(images.astype(model.dtype_policy.compute_dtype), training=True)
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(labels, probabilities))
    gradients = tape.gradient(loss, model.trainable_variables)
    return float(loss), [g.numpy().astype("float64") for g in gradients]


def relative_error(got, exact):
    return max(np.abs(g - e).max() / np.abs(e).max() for g, e in zip(got, exact))


@unittest.skipUnless(ON_TENSORFLOW, "the fused kernel is TensorFlow's")
class FusedKernelTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        rng = np.random.RandomState(0)
        # Digit-like inputs: mostly black, strokes near 255.
        cls.images = (rng.rand(64, 28, 28, 1) > 0.8).astype("float32") * 255
        cls.labels = rng.randint(0, 10, 64)

    def test_every_batch_norm_of_the_stages_takes_the_kernel(self):
        for stage, count in (("m4", 8), ("m5", 6)):
            _, taken = network(stage, fused=True)
            self.assertEqual(taken, count, stage)

    def test_loss_and_gradients_are_as_exact_as_keras_own_float32_path(self):
        """Float32 rounding differs between the two paths; how far each lands from float64
        arithmetic on the same weights is the measure. The network's gradient at its
        initialisation amplifies rounding (Keras' own path lands a few percent from float64
        there), so the fused path is held to at most 3 times Keras' own error."""
        for stage in ("m4", "m5"):
            keras_model, _ = network(stage, fused=False)
            weights = keras_model.get_weights()
            exact = loss_and_gradients(network(stage, False, "float64", weights)[0],
                                       self.images, self.labels)
            plain = loss_and_gradients(keras_model, self.images, self.labels)
            fused = loss_and_gradients(network(stage, True, weights=weights)[0], self.images,
                                       self.labels)
            loss_error = [abs(loss - exact[0]) / exact[0] for loss in (plain[0], fused[0])]
            self.assertLess(loss_error[1], max(3 * loss_error[0], 1e-5), stage)
            gradient_error = [relative_error(g, exact[1]) for g in (plain[1], fused[1])]
            self.assertLess(gradient_error[1], max(3 * gradient_error[0], 1e-4), stage)

    def test_moving_statistics_follow_keras_rule_and_inference_is_keras_own(self):
        keras_model, _ = network("m5", fused=False)
        fused_model, _ = network("m5", fused=True, weights=keras_model.get_weights())
        np.testing.assert_array_equal(fused_model.predict(self.images, verbose=0),
                                      keras_model.predict(self.images, verbose=0))
        for model in (keras_model, fused_model):  # two images: Bessel's n / (n - 1) shows
            model(self.images[:2], training=True)
        for plain, fused in zip(keras_model.non_trainable_weights,
                                fused_model.non_trainable_weights):
            np.testing.assert_allclose(fused.numpy(), plain.numpy(), rtol=1e-4, atol=1e-5,
                                       err_msg=plain.path)

    @full_tier("subprocesses that start TensorFlow")
    def test_a_model_trained_fused_saves_keras_layers_and_reloads_without_the_package(self):
        model, _ = network("m5", fused=True)
        model.fit(self.images, self.labels, batch_size=16, epochs=1, verbose=0)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp, "fused.keras")
            model.save(path)
            config = model.get_config()
            batch_norms = [layer for layer in config["layers"]
                           if layer["class_name"] == "BatchNormalization"]
            self.assertEqual(len(batch_norms), 6)
            self.assertTrue(all(layer["module"] == "keras.layers" for layer in batch_norms))
            np.save(Path(tmp, "images.npy"), self.images[..., 0].astype("uint8"))
            result = run_python(["-c", RELOAD_ELSEWHERE, str(path), "images.npy", "probs.npy"],
                                cwd=tmp)
            self.assertEqual(result.returncode, 0, result.stderr[-2000:])
            np.testing.assert_allclose(np.load(Path(tmp, "probs.npy")),
                                       model.predict(self.images, verbose=0), atol=1e-6)


if __name__ == "__main__":
    unittest.main()
