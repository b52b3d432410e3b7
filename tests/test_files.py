import json
import tempfile
import unittest
from pathlib import Path

from keras_mnist7.output import files as artifacts


class WriteAtomicTest(unittest.TestCase):
    def test_failed_write_keeps_the_old_file_and_leaves_no_temp(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp, "metrics.json")
            artifacts.write_json(path, {"epoch": 1})

            def broken(temp):
                Path(temp).write_text('{"epo')
                raise OSError("disk full")

            with self.assertRaises(OSError):
                artifacts.write_atomic(path, broken)
            self.assertEqual(json.loads(path.read_text()), {"epoch": 1})
            self.assertEqual(sorted(p.name for p in Path(tmp).iterdir()), ["metrics.json"])


class RunDirTest(unittest.TestCase):
    def test_created_under_output_dir_or_refused_in_one_line(self):
        with tempfile.TemporaryDirectory() as tmp:
            run_dir = artifacts.prepare_run_dir(Path(tmp, "runs"), "m3")
            self.assertEqual(run_dir, Path(tmp, "runs", "m3"))
            self.assertEqual(list(run_dir.iterdir()), [])
            blocker = Path(tmp, "file")
            blocker.write_text("keep me")
            with self.assertRaisesRegex(OSError, f"^cannot write to {blocker}/m3 .*--output_dir$"):
                artifacts.prepare_run_dir(blocker, "m3")
            self.assertEqual(blocker.read_text(), "keep me")


class SummaryTest(unittest.TestCase):
    def test_headline_numbers(self):
        history = [{"accuracy": a / 100, "val_accuracy": v / 100, "epoch_seconds": s}
                   for a, v, s in [(90, 95, 10), (95, 99.5, 12), (96, 99.1, 11), (97, 99.2, 30),
                                   (98, 99.3, 9)]]
        summary = artifacts.summarize_history(history)
        self.assertEqual(summary["best_test_acc"], {"epoch": 2, "pct": 99.5})
        self.assertEqual(summary["last4_test_acc"], [99.5, 99.1, 99.2, 99.3])
        self.assertEqual((summary["final_test_acc"], summary["best_train_acc"]), (99.3, 98.0))
        self.assertEqual((summary["epochs_run"], summary["median_epoch_seconds"]), (5, 11))


class ModelFileTest(unittest.TestCase):
    def test_missing_or_foreign_files_are_refused_before_keras_loads(self):
        with tempfile.TemporaryDirectory() as tmp:
            text = Path(tmp, "notes.keras")
            text.write_text("not a model")
            with self.assertRaisesRegex(ValueError, "no such file; train a model first"):
                artifacts.check_model_file(Path(tmp, "missing.keras"))
            with self.assertRaisesRegex(ValueError, "not a Keras model file"):
                artifacts.check_model_file(text)


class OutcomeTest(unittest.TestCase):
    def test_a_stopped_run_says_why_and_where_its_best_model_is(self):
        metrics = {"summary": {"best_test_acc": {"epoch": 1, "pct": 11.35}},
                   "stopped": "the loss became NaN or infinite in epoch 2 (TerminateOnNaN)"}
        self.assertEqual(artifacts.describe_outcome("m1", "runs/m1", metrics),
                         "[stopped] m1: the loss became NaN or infinite in epoch 2 "
                         "(TerminateOnNaN); try a lower --lr. best.keras keeps epoch 1 "
                         "(11.35% test) -> runs/m1/")


if __name__ == "__main__":
    unittest.main()
