"""The speed benchmark's arithmetic and table (its timings are measured by --mode=speed, never
asserted here)."""

import json
import os
import tempfile
import unittest
from unittest import mock

from keras_mnist7.run import environment, isa
from keras_mnist7.study.benchmarks import speed
from keras_mnist7.study.benchmarks.speed import (
    combine_rounds,
    lever_sentence,
    speed_table,
    summarize,
    target_sentence,
)
from tests.helpers import full_tier, run_python


class SpeedTest(unittest.TestCase):
    EPOCHS = [{"train_seconds": 20.0, "eval_seconds": 2.0, "test_acc": 98.0},
              {"train_seconds": 10.0, "eval_seconds": 1.0, "test_acc": 99.0},
              {"train_seconds": 12.0, "eval_seconds": 1.5, "test_acc": 99.1}]

    def test_steady_state_is_the_median_after_the_first_epoch(self):
        row = summarize("keras tensorflow", self.EPOCHS, 60000)
        self.assertEqual(row, {"name": "keras tensorflow", "train_seconds": 11.0,
                               "eval_seconds": 1.25, "first_epoch_extra_seconds": 9.0,
                               "images_per_second": 5455, "final_test_acc": 99.1})

    def test_ratios_are_to_the_pytorch_reference(self):
        report = {"epochs": 3, "machine": {"cpu": "EPYC", "cores": 2, "gpu": "no GPU"}, "runs": [
            {**summarize("keras tensorflow", self.EPOCHS, 60000), "input": "dataset"},
            summarize("pytorch reference", [{**e, "train_seconds": 2 * e["train_seconds"]}
                                            for e in self.EPOCHS], 60000)]}
        table = speed_table(report)
        self.assertIn("| keras tensorflow | dataset | 11.00 | 1.25 | 9.00 | 5,455 | 0.50 | 99.10 |",
                      table)
        self.assertIn("| pytorch reference | - | 22.00 |", table)
        self.assertIn("| 1.00 |", table)

    def test_each_lever_is_a_change_from_the_tensorflow_row(self):
        faster = [{**e, "train_seconds": 0.75 * e["train_seconds"]} for e in self.EPOCHS]
        report = {"runs": [summarize("keras tensorflow", self.EPOCHS, 60000),
                           summarize("keras jax", self.EPOCHS, 60000),
                           summarize("keras tensorflow, mixed_bfloat16", faster, 60000)]}
        self.assertEqual(lever_sentence(report),
                         "Levers on the TensorFlow backend, against its 11.00 s "
                         "per training epoch (99.10% test): mixed_bfloat16 -25% (99.10% test).")
        self.assertIsNone(lever_sentence({"runs": report["runs"][:2]}))

    def test_the_target_sentence_names_the_fastest_keras_row_and_a_missing_gpu(self):
        runs = [{"name": "keras tensorflow", "ratio_to_pytorch": 1.79},
                {"name": "keras tensorflow, input=arrays", "ratio_to_pytorch": 1.35},
                {"name": "pytorch reference", "ratio_to_pytorch": 1.0}]
        text = target_sentence({"machine": {"gpu": "CPU (EPYC), no GPU visible"}, "runs": runs})
        self.assertEqual(text, "Target, a Keras training epoch in at most 0.8 times the PyTorch "
                               "reference's: not met on this machine; the fastest Keras row "
                               "(keras tensorflow, input=arrays) takes 1.35 times. No GPU "
                               "figure yet: no GPU machine has been lent to a run of this "
                               "benchmark.")
        runs[1]["ratio_to_pytorch"] = 0.75
        self.assertIn(": met on this machine", target_sentence({"machine": {"gpu": "H100"},
                                                                 "runs": runs}))
        self.assertIsNone(target_sentence({"machine": {"gpu": "-"}, "runs": runs[2:]}))

    def test_levers_reach_the_run_as_arguments_or_environment(self):
        calls = []

        def fake_run(command, env, **kwargs):
            calls.append((command[-1], env))
            return mock.Mock(stdout="SPEED " + json.dumps({"epochs": []}))

        with mock.patch.object(speed.subprocess, "run", fake_run):
            speed.run_keras_backend("tensorflow", 3, "oneDNN off")
            speed.run_keras_backend("tensorflow", 3, "input=arrays, steps_per_execution=1")
        self.assertEqual(calls[0][1]["TF_ENABLE_ONEDNN_OPTS"], "0")
        self.assertIn("time_this_backend(3, 'input=arrays, steps_per_execution=1')", calls[1][0])
        self.assertNotEqual(calls[1][1].get("TF_ENABLE_ONEDNN_OPTS"), "0")

    def test_bfloat16_is_measured_only_where_the_hardware_has_it(self):
        with mock.patch.object(speed, "accelerators", return_value=[]):
            for cpu, applies in (("AMD EPYC, AVX2", False), ("AMD EPYC, AVX-512 with BF16", True)):
                with mock.patch.object(speed, "cpu_name", return_value=cpu):
                    self.assertEqual(speed.lever_applies("mixed_bfloat16"), applies)
                    self.assertTrue(speed.lever_applies("input=arrays"))

    def test_rounds_give_medians_and_a_ratio_paired_round_by_round(self):
        def rounds(name, seconds):
            return [summarize(name, [{**e, "train_seconds": t} for e in self.EPOCHS], 60000)
                    for t in seconds]
        # the machine is twice as slow in round 2: each round's ratio is 0.5, whatever the medians
        reference = rounds("pytorch reference", [20.0, 40.0, 22.0])
        row = combine_rounds(rounds("keras tensorflow", [10.0, 20.0, 11.0]), reference)
        self.assertEqual((row["train_seconds"], row["train_seconds_range"], row["rounds"]),
                         (11.0, [10.0, 20.0], 3))
        self.assertEqual(row["ratio_to_pytorch"], 0.5)
        report = {"epochs": 3, "rounds": 3, "runs": [row, combine_rounds(reference)],
                  "machine": {"cpu": "EPYC", "cores": 2, "gpu": "no GPU"}}
        table = speed_table(report)
        self.assertIn("every row run 3 times, the rows alternated", table)
        self.assertIn("| keras tensorflow | - | 11.00 (10.00–20.00) | 1.25 |", table)
        self.assertIn("| 0.50 | 99.10 |", table)


    def test_only_the_rows_the_expression_matches_run(self):
        ran = []

        def keras_row(backend, epochs, lever=None):
            ran.append(f"keras {backend}" + (f", {lever}" if lever else ""))
            return {"input": "dataset", "epochs": self.EPOCHS}

        def torch_row(epochs, threads):
            ran.append("pytorch reference")
            return self.EPOCHS

        with tempfile.TemporaryDirectory() as results, \
                mock.patch.multiple(speed, run_keras_backend=keras_row,
                                    run_torch_reference=torch_row, busy_others=list), \
                mock.patch.object(speed.importlib.util, "find_spec", return_value=True):
            report = speed.speed_benchmark(3, results, rounds=2,
                                           rows="keras tensorflow$|autotune|pytorch")
        self.assertEqual(ran, ["keras tensorflow", "keras tensorflow, tf.data autotune on",
                               "pytorch reference"] * 2)
        self.assertEqual([row["name"] for row in report["runs"]], ran[:3])
        with self.assertRaisesRegex(ValueError, "matches none of the rows"):
            speed.speed_benchmark(3, "unused", rows="no such row")

class MachineTest(unittest.TestCase):
    def test_a_kind_of_machine_is_a_file_name(self):
        self.assertEqual(speed.machine_kind("Intel(R) Xeon(R) Processor, AVX-512 with BF16", 2),
                         "intel-xeon-processor-avx-512-with-bf16-2-cores")
        self.assertEqual(speed.machine_kind("AMD EPYC, AVX2", 2), "amd-epyc-avx2-2-cores")

    def test_a_cap_on_the_kernels_isa_is_in_the_machine_s_name(self):
        with mock.patch.dict(os.environ, {"ONEDNN_MAX_CPU_ISA": "ALL"}):
            uncapped = environment.cpu_name()
        with mock.patch.dict(os.environ):
            isa.cap_isa("avx2")
            capped = environment.cpu_name()
            self.assertFalse(speed.lever_applies("mixed_bfloat16"))
        self.assertEqual(capped, f"{uncapped}, kernels capped at AVX2")
        self.assertNotEqual(speed.machine_kind(capped, 2), speed.machine_kind(uncapped, 2))

    @full_tier("starts TensorFlow and PyTorch in a subprocess")
    def test_the_cap_reaches_onednn_and_pytorch_in_a_process_the_benchmark_starts(self):
        child = ("import tensorflow as tf, torch; "
                 "tf.nn.conv2d(tf.ones([1, 8, 8, 8]), tf.ones([3, 3, 8, 8]), 1, 'SAME'); "
                 "print('torch', torch.backends.cpu.get_cpu_capability())")
        parent = ("import subprocess, sys; from keras_mnist7.run.isa import cap_isa; "
                  f"cap_isa('avx2'); subprocess.run([sys.executable, '-c', {child!r}], check=True)")
        with mock.patch.dict(os.environ, {"ONEDNN_VERBOSE": "1"}):
            result = run_python(["-c", parent])
        self.assertEqual(result.returncode, 0, result.stderr[-2000:])
        self.assertIn("torch AVX2", result.stdout)
        self.assertIn("isa:Intel AVX2", result.stdout + result.stderr)

    def test_a_busy_process_beside_the_benchmark_is_seen(self):
        import signal
        import subprocess
        import sys

        # Started by a shell that exits at once: a process that is not the test's descendant.
        pid = int(subprocess.run(["bash", "-c", f"{sys.executable} -c 'while True: pass' "
                                  ">/dev/null 2>&1 & echo $!"], capture_output=True, text=True,
                                 check=True).stdout)
        self.addCleanup(os.kill, pid, signal.SIGKILL)
        busy = speed.busy_others(seconds=1.0, share=0.3)
        self.assertTrue(any(command.startswith("python") for command, _ in busy), busy)

    def test_a_report_says_whether_the_machine_was_idle(self):
        self.assertEqual(speed.idle_sentence({}), "")
        self.assertIn("No other process", speed.idle_sentence({"idle": True, "load": []}))
        self.assertIn("NOT IDLE", speed.idle_sentence({"idle": False, "load": [
            {"busy_others": [["stress", 1.0]]}]}))


if __name__ == "__main__":
    unittest.main()
