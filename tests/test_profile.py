"""The step profile: which part each op is put in, and the table (its timings are measured by
--mode=profile, never asserted here, beyond a short run that must yield every part)."""

import importlib.util
import json
import tempfile
import unittest
from pathlib import Path
from unittest import mock

from keras_mnist7.study.benchmarks import profile
from keras_mnist7.study.benchmarks.profile import OUTSIDE, PARTS, keras_part, profile_table, torch_part
from keras_mnist7.study.report import pages
from tests.helpers import full_tier


class PartsTest(unittest.TestCase):
    def test_tensorflow_ops_go_by_type_then_by_the_layer_they_sit_in(self):
        cases = {
            ("_MklNativeFusedConv2D", "StatefulPartitionedCall/m4_1/relu8_1/Relu"): "convolution",
            ("_MklNativeConv2DBackpropInput",
             "StatefulPartitionedCall/gradient_tape/m4_1/conv3_1/convolution/Conv2DBackpropInput"):
                "convolution",
            ("BroadcastTo", "StatefulPartitionedCall/gradient_tape/m4_1/bn8_1/moments/BroadcastTo"):
                "BatchNorm",
            ("SquaredDifference", "StatefulPartitionedCall/m4_1/bn12/moments/SquaredDifference"):
                "BatchNorm",
            ("ReluGrad", "StatefulPartitionedCall/gradient_tape/m4_1/relu2_1/ReluGrad"): "ReLU",
            ("_MklNativeMaxPoolGrad", "StatefulPartitionedCall/gradient_tape/m4_1/pool1_1/x"):
                "pooling",
            ("SelectV2", "StatefulPartitionedCall/gradient_tape/m4_1/dropout1_1/SelectV2"):
                "dropout",
            ("BroadcastTo", "StatefulPartitionedCall/gradient_tape/m4_1/gap_1/BroadcastTo"):
                "head, loss and accuracy",
            ("Sum", "StatefulPartitionedCall/compile_loss/sparse_categorical_crossentropy/Sum"):
                "head, loss and accuracy",
            ("AssignVariableOp", "StatefulPartitionedCall/sgd/AssignVariableOp_30"): "optimizer",
            ("Dataset", "Iterator::Root::Prefetch::BatchV2"): "input and rotation",
            ("AddN", "StatefulPartitionedCall/AddN_13"): "other ops",
        }
        for (op_type, name), part in cases.items():
            self.assertEqual(keras_part(op_type, name), part, name)

    def test_pytorch_ops_go_by_scope_then_by_name_or_the_gradient_they_compute(self):
        cases = {
            ("aten::mkldnn_convolution", ()): "convolution",
            ("aten::mul", ("autograd::engine::evaluate_function: NativeBatchNormBackward0",)):
                "BatchNorm",
            ("aten::threshold_backward", ()): "ReLU",
            ("aten::max_pool2d_with_indices_backward", ()): "pooling",
            ("aten::native_dropout", ()): "dropout",
            ("aten::_log_softmax", ()): "head, loss and accuracy",
            ("aten::add_", ("optimizer", "Optimizer.step#SGD.step")): "optimizer",
            ("aten::grid_sampler_2d", ("input",)): "input and rotation",
            ("aten::div", ()): "other ops",
        }
        for (name, ancestors), part in cases.items():
            self.assertEqual(torch_part(name, set(ancestors)), part, name)

    def test_the_table_adds_what_lies_outside_the_ops_and_the_ratio(self):
        side = {"wall_ms": 10.0, "parts_ms": dict.fromkeys(PARTS, 0.5)}
        other = {"wall_ms": 5.0, "parts_ms": {**dict.fromkeys(PARTS, 0.5), "ReLU": 0.0}}
        table = profile_table({"keras": side, "torch": other})
        self.assertIn(f"| {OUTSIDE} | 5.50 | 1.00 | 5.5 |", table)
        self.assertIn("| ReLU | 0.50 | 0.00 | - |", table)
        self.assertIn("| **the step (wall)** | **10.00** | **5.00** | **2.00** |", table)

    def test_two_threads_are_columns_of_their_own(self):
        one = {"wall_ms": 10.0, "parts_ms": dict.fromkeys(PARTS, 0.5)}
        two = {"wall_ms": 4.0, "parts_ms": dict.fromkeys(PARTS, 0.25)}
        table = profile_table({"keras": one, "torch": one,
                               "two_threads": {"keras": one, "torch": two}})
        self.assertIn("| part of the step | Keras (TensorFlow), 1 thread, ms | PyTorch "
                      "reference, 1 thread, ms | ratio | Keras (TensorFlow), 2 threads, ms |",
                      table)
        self.assertIn("| convolution | 0.50 | 0.50 | 1.0 | 0.50 | 0.25 | 2.0 |", table)
        self.assertIn("| **the step (wall)** | **10.00** | **10.00** | **1.00** | **10.00** | "
                      "**4.00** | **2.50** |", table)

    def test_the_results_page_shows_each_machines_profile_and_whether_it_was_idle(self):
        side = {"wall_ms": 10.0, "parts_ms": dict.fromkeys(PARTS, 0.5)}
        report = {"command": "python main.py --mode=profile", "steps": 100, "warmup_steps": 30,
                  "idle": False, "keras": side, "torch": side}
        with tempfile.TemporaryDirectory() as results:
            (Path(results) / "profile").mkdir()
            (Path(results) / "profile" / "cpu-x.json").write_text(json.dumps(report))
            text = "\n".join(pages.profile_section(results))
        self.assertIn("### Where a step's time goes: cpu-x", text)
        self.assertIn("**Not idle**", text)
        self.assertIn("| **the step (wall)** | **10.00** | **10.00** | **1.00** |", text)
        self.assertEqual(pages.profile_section("/nonexistent"), [])

    def test_the_benchmark_writes_its_files_in_a_folder_of_its_own(self):
        side = {"wall_ms": 10.0, "parts_ms": dict.fromkeys(PARTS, 0.5)}
        with tempfile.TemporaryDirectory() as results, \
                mock.patch.object(profile, "_in_own_process", return_value=side):
            report = profile.profile_benchmark(results)
            kind = report["machine"]["kind"]
            for suffix in (".json", ".md"):
                self.assertTrue((Path(results) / "profile" / f"{kind}{suffix}").is_file())
        self.assertEqual((report["keras"], report["torch"]), (side, side))
        self.assertEqual(report["two_threads"], {"keras": side, "torch": side})


@full_tier("trains m4 for a few steps on each side")
class ShortProfileTest(unittest.TestCase):
    @unittest.skipIf(importlib.util.find_spec("torch") is None, "needs torch "
                     "(requirements-backends.txt)")
    def test_both_sides_time_their_steps_and_put_time_in_every_main_part(self):
        with mock.patch.multiple(profile, WARMUP_STEPS=2, STEPS=3, ROUNDS=1):
            # threads=0: TensorFlow has started in this process (its threads are set before)
            keras_side = profile.profile_keras(threads=0)
            # two rows: warm-up and one round each, then the profiled steps; no more
            self.assertEqual(keras_side["steps_trained"], 2 * (2 + 3) + 3)
            for side in (keras_side, profile.profile_torch()):
                self.assertGreater(side["wall_ms"], 0)
                for part in ("convolution", "BatchNorm", "pooling", "optimizer"):
                    self.assertGreater(side["parts_ms"][part], 0, part)


if __name__ == "__main__":
    unittest.main()
