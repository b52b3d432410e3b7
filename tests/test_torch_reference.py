import dataclasses
import importlib.util
import json
import math
import tempfile
import unittest
from pathlib import Path

import numpy as np

from keras_mnist7.spec.architecture import Architecture, parse_plan
from keras_mnist7.spec.stages import STAGES, check_torch_recipe, get_stage
from tests.helpers import full_tier, mnist_subset, run_python

TORCH = importlib.util.find_spec("torch") is not None


def copy_weights(model, network):
    """The Keras model's weights into the PyTorch network, layer by layer in plan order."""
    import keras
    import torch

    # Keras kernels [k, k, in, out] to PyTorch's [out, in, k, k]; a depthwise kernel
    # [k, k, channels, 1] to [channels, 1, k, k]. A separable conv is two PyTorch convs.
    kernels, biases = [], {}
    for conv in (l for l in model.layers if l.name.startswith("conv")):
        if isinstance(conv, keras.layers.SeparableConv2D):
            kernels += [conv.depthwise_kernel.numpy().transpose(2, 3, 0, 1),
                        conv.pointwise_kernel.numpy().transpose(3, 2, 0, 1)]
        else:
            kernels.append(conv.kernel.numpy().transpose(3, 2, 0, 1))
        if conv.use_bias:
            biases[len(kernels) - 1] = conv.bias.numpy()
    bns = {l.name[2:]: l for l in model.layers if l.name.startswith("bn")}
    torch_convs = [m for m in network.modules() if isinstance(m, torch.nn.Conv2d)]
    torch_bns = [m for m in network.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    with torch.no_grad():
        for index, (kernel, torch_conv) in enumerate(zip(kernels, torch_convs, strict=True)):
            torch_conv.weight.copy_(torch.tensor(kernel))
            if index in biases:
                torch_conv.bias.copy_(torch.tensor(biases[index]))
        for bn, torch_bn in zip(bns.values(), torch_bns, strict=True):
            gamma, beta, mean, variance = [torch.tensor(np.asarray(w)) for w in bn.weights]
            torch_bn.weight.copy_(gamma), torch_bn.bias.copy_(beta)
            torch_bn.running_mean.copy_(mean), torch_bn.running_var.copy_(variance)


@unittest.skipUnless(TORCH, "PyTorch not installed: pip install -r requirements-backends.txt")
@full_tier("PyTorch")
class NetworkTest(unittest.TestCase):
    def test_every_stage_counts_the_same_params_as_keras(self):
        from keras_mnist7.model.builders import build_model, param_counts
        from keras_mnist7.study.reference.torch_reference import Network
        from keras_mnist7.study.reference.torch_reference import param_counts as torch_counts

        for stage in STAGES:
            spec = get_stage(stage)
            with self.subTest(stage=stage):
                self.assertEqual(torch_counts(Network(spec.architecture, spec.recipe.dropout)),
                                 param_counts(build_model(stage)))

    def test_same_weights_give_the_same_probabilities_as_keras(self):
        import torch

        from keras_mnist7.model.builders import build_network
        from keras_mnist7.study.reference.torch_reference import Network

        (x, _), _ = mnist_subset(64, 1)
        separable = Architecture(plan=parse_plan("8v,P,12sv,12s,10x1l"), bn_before_relu=True)
        # no BN; ReLU -> BN with biases; BN -> ReLU, valid; separable convs with biases
        for stage in ("m1", "m4", "m5", "separable"):
            spec = get_stage("m5") if stage == "separable" else get_stage(stage)
            if stage == "separable":
                spec = dataclasses.replace(spec, architecture=separable)
            model = build_network(spec.architecture, stage, spec.recipe.dropout)
            # Moving statistics away from 0 / 1, so that eval-mode BN is really compared.
            for bn in (l for l in model.layers if l.name.startswith("bn")):
                bn.moving_mean.assign(np.full(bn.moving_mean.shape, 0.3, "float32"))
                bn.moving_variance.assign(np.full(bn.moving_variance.shape, 2.0, "float32"))
            network = Network(spec.architecture, spec.recipe.dropout).eval()
            copy_weights(model, network)
            with self.subTest(stage=stage), torch.no_grad():
                keras_probs = np.asarray(model.predict(x, verbose=0))
                torch_probs = network(torch.tensor(x, dtype=torch.float32)[:, None]).exp()
                np.testing.assert_allclose(torch_probs.numpy(), keras_probs, atol=2e-5)

    def test_rotation_matches_keras_random_rotation(self):
        import keras
        import torch

        from keras_mnist7.study.reference.torch_reference import rotate

        (x, _), _ = mnist_subset(32, 1)
        images = x.astype("float32")
        for degrees in (8.0, -5.0):
            layer = keras.layers.RandomRotation((degrees / 360, degrees / 360),
                                                fill_mode="constant", fill_value=0.0)
            by_keras = np.asarray(layer(images[..., None], training=True))[..., 0]
            by_torch = rotate(torch.tensor(images)[:, None],
                              torch.full((len(images),), math.radians(degrees)))[:, 0].numpy()
            with self.subTest(degrees=degrees):
                self.assertGreater(np.abs(by_keras - images).mean(), 5)  # it did turn them
                np.testing.assert_allclose(by_torch, by_keras, atol=0.01)  # of 0-255


@unittest.skipUnless(TORCH, "PyTorch not installed: pip install -r requirements-backends.txt")
@full_tier("PyTorch")
class TorchInitTest(unittest.TestCase):
    """--init=torch gives Keras convs PyTorch's Conv2d bounds: U(+-1/sqrt(fan_in))."""

    def test_keras_torch_init_has_pytorchs_bounds(self):
        import keras
        import torch

        from keras_mnist7.model.blocks import conv_initializers

        fan_in = 8 * 3 * 3  # a 3x3 conv of 8 input channels
        bound = 1 / math.sqrt(fan_in)
        own = torch.nn.Conv2d(8, 64, 3)  # PyTorch's own default initialisation
        conv = keras.layers.Conv2D(64, 3, **conv_initializers("torch", fan_in))
        conv.build((None, 7, 7, 8))
        for name, keras_values, torch_values in (
                ("kernel", np.asarray(conv.kernel), own.weight.detach().numpy()),
                ("bias", np.asarray(conv.bias), own.bias.detach().numpy())):
            with self.subTest(name):
                for values in (keras_values, torch_values):
                    self.assertLessEqual(np.abs(values).max(), bound + 1e-7)
                self.assertGreater(np.abs(keras_values).max(), 0.9 * bound)
                self.assertAlmostEqual(keras_values.std(), torch_values.std(), delta=0.2 * bound)

    def test_the_stages_convs_take_it_with_their_own_fan_in(self):
        from keras_mnist7.model.builders import build_network

        model = build_network(get_stage("m4").architecture_with(init="torch"), name="m4")
        conv = model.get_layer("conv4")  # 3x3 over 8 channels, after the pool
        bound = 1 / math.sqrt(3 * 3 * 8)
        for weights in (conv.kernel, conv.bias):
            self.assertLessEqual(np.abs(np.asarray(weights)).max(), bound + 1e-7)
            self.assertGreater(np.abs(np.asarray(weights)).max(), 0.5 * bound)

    def test_keras_init_keeps_glorot_kernels_and_zero_biases(self):
        from keras_mnist7.model.builders import build_network
        from keras_mnist7.spec.architecture import Architecture, Conv

        model = build_network(Architecture(plan=(Conv(10),)), name="x")
        conv = model.get_layer("conv1")
        self.assertEqual(type(conv.kernel_initializer).__name__, "GlorotUniform")
        self.assertFalse(np.asarray(conv.bias).any())

    def test_init_is_part_of_a_runs_identity_and_old_runs_read_as_keras(self):
        import dataclasses

        from keras_mnist7.run.run_state import _recorded, run_identity
        from keras_mnist7.spec.run_spec import RunSpec

        spec = RunSpec.of_stage("m2", "x", architecture=get_stage("m2").architecture_with(
            init="torch"))
        self.assertEqual(run_identity(spec, 1, 1)["architecture"]["init"], "torch")
        old = dataclasses.asdict(get_stage("m2").architecture)
        del old["init"]
        self.assertEqual(_recorded("architecture", json.loads(json.dumps(old)))["init"], "keras")

    def test_unknown_init_is_refused(self):
        with self.assertRaisesRegex(ValueError, "--init must be one of keras, torch"):
            get_stage("m2").architecture_with(init="he")


class RecipeCheckTest(unittest.TestCase):
    def test_seed_stages_are_trained_and_m5_is_refused_in_one_line(self):
        for stage in ("m1", "m2", "m3", "m4"):
            check_torch_recipe(get_stage(stage).recipe)
        with self.assertRaisesRegex(ValueError,
                                    r"not --weight_decay, --optimizer=adamw, --schedule=cosine$"):
            check_torch_recipe(get_stage("m5").recipe)


@unittest.skipUnless(TORCH, "PyTorch not installed: pip install -r requirements-backends.txt")
@full_tier("PyTorch trainings")
class ModeTorchTest(unittest.TestCase):
    def test_trains_seeds_into_the_keras_format_and_finds_them_finished(self):
        with tempfile.TemporaryDirectory() as output_dir:
            command = ["main.py", "--mode=torch", "--stage=m3", "--seeds=0,1", "--epochs=2",
                       "--train_size=512", "--threads=1", "--init=torch",
                       f"--output_dir={output_dir}"]
            first = run_python(command)
            self.assertEqual(first.returncode, 0, first.stderr)
            folder = Path(output_dir) / "m3" / "torch"
            result = json.loads((folder / "seeds.json").read_text())
            self.assertEqual([run["seed"] for run in result["runs"]], [0, 1])
            self.assertEqual(len(result["runs"][0]["test_acc"]), 2)
            self.assertEqual(result["architecture"]["init"], "torch")
            self.assertEqual(result["params"]["total"], 8075)
            self.assertNotEqual(result["runs"][0]["test_acc"], result["runs"][1]["test_acc"])
            metrics = json.loads((folder / "seed0" / "metrics.json").read_text())
            self.assertEqual(metrics["framework"], "torch")
            self.assertEqual(metrics["history"][1]["learning_rate"], 0.01)
            self.assertTrue((folder / "seed0" / "curves.png").is_file())
            again = run_python(command)
            self.assertEqual(again.returncode, 0, again.stderr)
            self.assertNotIn("[torch] m3 seed 0 epoch", again.stdout)  # not trained again
            self.assertEqual(json.loads((folder / "seeds.json").read_text())["runs"],
                             result["runs"])

    def test_a_recipe_beyond_the_reference_is_refused_before_any_work(self):
        with tempfile.TemporaryDirectory() as output_dir:
            result = run_python(["main.py", "--mode=torch", "--stage=m5",
                                 f"--output_dir={output_dir}"])
            self.assertEqual(result.returncode, 2)
            self.assertEqual(result.stderr.strip().count("\n"), 0, result.stderr)
            self.assertIn("error: --mode=torch trains the seed stages' recipes", result.stderr)
            self.assertEqual(list(Path(output_dir).iterdir()), [])


if __name__ == "__main__":
    unittest.main()
