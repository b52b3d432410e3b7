"""Every stage against the seed's torchsummary tables, row by row; the registry's recipes."""

import dataclasses
import re
import unittest
from pathlib import Path

from keras import layers

from keras_mnist7 import STAGES, build_model
from keras_mnist7.model.builders import param_counts
from keras_mnist7.spec.architecture import POOL, Conv
from keras_mnist7.spec.stages import M5_SGD_RECIPE, Recipe, get_stage
from tests.helpers import run_python

TORCH_TYPE = {
    layers.Conv2D: "Conv2d", layers.ReLU: "ReLU", layers.BatchNormalization: "BatchNorm2d",
    layers.MaxPooling2D: "MaxPool2d", layers.Dropout: "Dropout",
    layers.GlobalAveragePooling2D: "AdaptiveAvgPool2d",
}
# Layers the seed's tables do not show: the raw-pixel input, its normalization, the softmax.
NOT_IN_SEED_TABLE = (layers.InputLayer, layers.Rescaling, layers.Softmax)
SEED_TABLE_OF_STAGE = {"m1": "M1", "m2": "M2", "m3": "M2", "m4": "M2"}
SEED_STAGES = tuple(SEED_TABLE_OF_STAGE)


def seed_tables():
    """{"M1": [(type, [C, H, W], params), ...], "M2": [...]} parsed from the verbatim tables."""
    tables, current = {}, None
    row = re.compile(r"^\s*(\w+)-\d+\s+\[-1, ([\d, ]+)\]\s+([\d,]+)$")
    for line in (Path(__file__).parent / "seed_tables.txt").read_text().splitlines():
        if re.fullmatch(r"\[M\d\]", line):
            current = tables.setdefault(line.strip("[]"), [])
        elif match := row.match(line):
            shape = [int(v) for v in match.group(2).split(",")]
            current.append((match.group(1), shape, int(match.group(3).replace(",", ""))))
    return tables


def keras_rows(model):
    """The model's layers in the seed's terms: (torch type, [C, H, W], trainable params)."""
    rows = []
    for layer in model.layers:
        if isinstance(layer, NOT_IN_SEED_TABLE):
            continue
        shape = layer.output.shape
        chw = [shape[-1], 1, 1] if len(shape) == 2 else [shape[3], shape[1], shape[2]]
        trainable = sum(int(w.numpy().size) for w in layer.trainable_weights)
        rows.append((TORCH_TYPE[type(layer)], chw, trainable))
    return rows


class SeedTablesTest(unittest.TestCase):
    def test_the_fixture_holds_both_seed_tables(self):
        tables = seed_tables()
        self.assertEqual((len(tables["M1"]), len(tables["M2"])), (12, 29))
        self.assertEqual(sum(params for *_, params in tables["M1"]), 1622)
        self.assertEqual(sum(params for *_, params in tables["M2"]), 7905)

    def test_every_seed_stage_matches_its_seed_table_layer_for_layer(self):
        tables = seed_tables()
        for stage in SEED_STAGES:
            with self.subTest(stage=stage):
                expected = tables[SEED_TABLE_OF_STAGE[stage]]
                actual = keras_rows(build_model(stage))
                self.assertEqual(len(actual), len(expected))
                for index, (got, want) in enumerate(zip(actual, expected), start=1):
                    self.assertEqual(got, want, f"{stage} row {index}")


class ParamCountTest(unittest.TestCase):
    EXPECTED = {  # trainable (as the seed counts), non-trainable (BN moving stats), total
        "m1": (1622, 0, 1622), "m2": (7905, 170, 8075), "m3": (7905, 170, 8075),
        "m4": (7905, 170, 8075), "m5": (7742, 164, 7906), "m6": (4696, 264, 4960),
    }

    def test_params_of_every_stage(self):
        self.assertEqual(set(STAGES), set(self.EXPECTED))
        for stage, (trainable, non_trainable, total) in self.EXPECTED.items():
            with self.subTest(stage=stage):
                model = build_model(stage)
                self.assertEqual(param_counts(model), {
                    "trainable": trainable, "non_trainable": non_trainable, "total": total})
                self.assertEqual(model.count_params(), total)

    def test_every_stage_keeps_its_parameter_limit_by_keras_own_count(self):
        self.assertEqual({name: get_stage(name).max_params for name in STAGES},
                         {"m1": None, "m2": None, "m3": None, "m4": None, "m5": 7999,
                          "m6": 5000})
        for name in STAGES:
            if get_stage(name).max_params:
                self.assertLessEqual(build_model(name).count_params(), get_stage(name).max_params)

    def test_m6_has_separable_convs_after_the_pool(self):
        model = build_model("m6")
        separable = [l.name for l in model.layers if isinstance(l, layers.SeparableConv2D)]
        self.assertEqual(separable, ["conv2", "conv3", "conv4", "conv5"])
        self.assertEqual(get_stage("m6").recipe, dataclasses.replace(
            M5_SGD_RECIPE, batch_size=16, lr=0.0125, translation_pixels=1.0))

    def test_m5_puts_batchnorm_before_each_relu(self):
        names = [layer.name for layer in build_model("m5").layers]
        for index in range(1, 7):
            with self.subTest(conv=index):
                self.assertEqual(names[names.index(f"conv{index}"):][:3],
                                 [f"conv{index}", f"bn{index}", f"relu{index}"])

    def test_seed_batchnorm_settings(self):
        for layer in build_model("m2").layers:
            if isinstance(layer, layers.BatchNormalization):
                self.assertEqual((layer.momentum, layer.epsilon), (0.9, 1e-5))


class RegistryTest(unittest.TestCase):
    def test_recipes_follow_the_seed(self):
        self.assertEqual(STAGES, ("m1", "m2", "m3", "m4", "m5", "m6"))
        m1, m2, m3, m4 = (get_stage(s).recipe for s in SEED_STAGES)
        for recipe in (m1, m2, m3, m4):
            self.assertEqual((recipe.epochs, recipe.batch_size, recipe.momentum), (15, 128, 0.9))
        self.assertEqual([r.lr for r in (m1, m2, m3, m4)], [0.01, 0.01, 0.01, 0.05])
        self.assertEqual([r.rotation_degrees for r in (m1, m2, m3, m4)], [0, 0, 8, 8])
        self.assertEqual([r.step_size for r in (m1, m2, m3, m4)], [None, None, None, 6])
        self.assertIsNone(m1.dropout)
        self.assertEqual({r.schedule for r in (m1, m2, m3, m4)}, {"step"})
        for stage in STAGES:
            self.assertTrue(get_stage(stage).target)

    def test_only_m1_starts_from_pytorchs_initialisation(self):
        # Without BatchNorm, the initial scale is what closes m1's gap to PyTorch (docs/fidelity.md).
        self.assertEqual({s: get_stage(s).architecture.init for s in STAGES},
                         {"m1": "torch", "m2": "keras", "m3": "keras", "m4": "keras",
                          "m5": "keras", "m6": "keras"})

    def test_step_decay_is_pytorch_steplr(self):
        recipe = get_stage("m4").recipe
        lrs = [recipe.learning_rate(epoch) for epoch in range(15)]
        self.assertEqual(lrs[:6], [0.05] * 6)
        for epoch in range(6, 12):
            self.assertAlmostEqual(lrs[epoch], 0.005)
        for epoch in range(12, 15):
            self.assertAlmostEqual(lrs[epoch], 0.0005)
        self.assertEqual(get_stage("m3").recipe.learning_rate(14), 0.01)

    def test_overrides_replace_defaults_and_none_keeps_them(self):
        recipe = get_stage("m3").recipe_with(lr=0.02, epochs=None, step_size=3)
        self.assertEqual((recipe.lr, recipe.epochs, recipe.step_size), (0.02, 15, 3))

    def test_bad_values_are_refused_with_the_flag_named(self):
        bad = {"lr": 0, "epochs": 0, "step_size": 0, "gamma": 1.5, "batch_size": 0,
               "momentum": 1.0, "dropout": 1.0, "rotation_degrees": -1, "translation_pixels": 15,
               "ema_momentum": 1.0}
        for name, value in bad.items():
            with self.subTest(flag=name):
                with self.assertRaisesRegex(ValueError, f"^--{name} must be .*, got {value}$"):
                    get_stage("m4").recipe_with(**{name: value})
        self.assertEqual(Recipe(gamma=1.0).gamma, 1.0)

    def test_schedule_settings_belong_to_their_schedule(self):
        cosine = get_stage("m5").recipe
        self.assertEqual((cosine.schedule, cosine.warmup_epochs, cosine.epochs), ("cosine", 2, 15))
        self.assertEqual((cosine.cooldown_epochs, cosine.min_lr), (0, 0.0))
        cases = [({"schedule": "linear"}, "--schedule must be one of step, cosine"),
                 ({"step_size": 3}, "--step_size must be unset with --schedule=cosine"),
                 ({"warmup_epochs": 15}, "--warmup_epochs must be < --epochs - --cooldown"),
                 ({"min_lr": 0.2}, r"--min_lr must be in \[0, --lr\)")]
        for overrides, message in cases:
            with self.subTest(**overrides):
                with self.assertRaisesRegex(ValueError, message):
                    get_stage("m5").recipe_with(**overrides)
        for name, value in (("warmup_epochs", 1), ("cooldown_epochs", 1), ("min_lr", 0.001)):
            with self.assertRaisesRegex(ValueError, f"--{name} must be 0 with --schedule=step"):
                get_stage("m4").recipe_with(**{name: value})

    def test_bn_order_override(self):
        m4 = get_stage("m4")
        self.assertIs(m4.architecture_with(bn_before_relu=None), m4.architecture)
        self.assertEqual(m4.architecture_with(bn_momentum=0.99).bn_momentum, 0.99)
        plan = (Conv(8), POOL, Conv(10))
        self.assertEqual(get_stage("m1").architecture_with(plan=plan).plan, plan)
        with self.assertRaisesRegex(ValueError, r"^--bn_momentum must be in \[0, 1\), got 1.0$"):
            m4.architecture_with(bn_momentum=1.0)
        with self.assertRaisesRegex(ValueError, "^--bn_momentum: stage m1 has no BatchNorm"):
            get_stage("m1").architecture_with(bn_momentum=0.99)
        self.assertFalse(m4.architecture.bn_before_relu)
        self.assertTrue(m4.architecture_with(bn_before_relu=True).bn_before_relu)
        self.assertFalse(get_stage("m5").architecture_with(bn_before_relu=False).bn_before_relu)
        with self.assertRaisesRegex(ValueError, "--bn_before_relu: stage m1 has no BatchNorm"):
            get_stage("m1").architecture_with(bn_before_relu=True)

    def test_dropout_on_a_stage_without_dropout_is_refused(self):
        with self.assertRaisesRegex(ValueError, "stage m1 has no dropout layers"):
            get_stage("m1").recipe_with(dropout=0.1)

    def test_unknown_stage_lists_the_valid_ones(self):
        with self.assertRaisesRegex(ValueError, "unknown stage 'm9'; choose one of m1, m2, m3, m4, m5"):
            get_stage("m9")

    def test_the_registry_loads_without_tensorflow(self):
        result = run_python(["-c", "import sys; import keras_mnist7.spec.stages, keras_mnist7; "
                                   "assert 'keras' not in sys.modules, 'keras imported'; "
                                   "assert 'tensorflow' not in sys.modules, 'TF imported'"])
        self.assertEqual(result.returncode, 0, result.stderr)


if __name__ == "__main__":
    unittest.main()
