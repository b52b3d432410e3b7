"""The command line: flags refused before any work starts, in one line, with nothing written;
and a real run killed with SIGKILL, checked file by file, then resumed by the same command."""

import csv
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

import keras
import matplotlib.image

from keras_mnist7.run.training import learning_rate_for
from keras_mnist7.spec.stages import get_stage
from tests.helpers import REPO, full_tier, run_python


def assert_refused(test, flags, message):
    """main.py with `flags` exits 2 with one 'error: ...' line, and writes nothing."""
    with tempfile.TemporaryDirectory() as tmp:
        output_dir = Path(tmp, "runs")
        result = run_python(["main.py", *flags, f"--output_dir={output_dir}"])
        test.assertEqual(result.returncode, 2, result.stderr)
        lines = result.stderr.strip().splitlines()
        test.assertEqual(len(lines), 1, result.stderr)
        test.assertRegex(lines[0], f"^error: .*{message}")
        test.assertNotIn("Traceback", result.stderr)
        test.assertFalse(output_dir.exists(), "a refused run must write nothing")


class FlagRejectionTest(unittest.TestCase):
    def test_unknown_stage_lists_the_stages(self):
        assert_refused(self, ["--stage=bogus"], "value should be one of <m1|m2|m3|m4|m5>")

    def test_bad_recipe_values(self):
        assert_refused(self, ["--stage=m3", "--lr=0", "--epochs=3"], "--lr must be > 0, got 0.0")
        assert_refused(self, ["--gamma=1.5"], r"--gamma must be in \(0, 1\], got 1.5")
        assert_refused(self, ["--stage=m1", "--bn_before_relu"],
                       "--bn_before_relu: stage m1 has no BatchNorm layers")

    def test_a_speed_row_expression_that_does_not_compile(self):
        assert_refused(self, ["--mode=speed", "--speed_rows=keras ("],
                       "--speed_rows must be a regular expression")

    def test_explicit_data_dir_that_does_not_exist(self):
        assert_refused(self, ["--data_dir=/no/such/mnist"], "--data_dir /no/such/mnist: no such")

    @full_tier("real MNIST")
    def test_output_dir_that_cannot_be_written(self):
        with tempfile.NamedTemporaryFile() as not_a_folder:
            result = run_python(["main.py", f"--output_dir={not_a_folder.name}"])
        self.assertEqual(result.returncode, 2)
        self.assertRegex(result.stderr.strip(), f"^error: cannot write to {not_a_folder.name}/m3 "
                                                ".*choose another --output_dir$")


class HoldoutFlagTest(unittest.TestCase):
    def test_a_holdout_must_leave_training_images_and_is_for_training_only(self):
        assert_refused(self, ["--holdout=60000"], "--holdout must leave images to train on")
        assert_refused(self, ["--holdout=10", "--mode=evaluate",
                              f"--model={REPO / 'pretrained' / 'm5.keras'}"],
                       "--holdout and --cv are for --mode=train")

    @full_tier("a training")
    def test_a_held_out_run_trains_on_the_rest_and_never_on_the_test_set(self):
        with tempfile.TemporaryDirectory() as tmp:
            result = run_python(["main.py", "--stage=m1", "--epochs=1", "--train_size=256",
                                 "--holdout=1000", "--verbose=0", f"--output_dir={tmp}"])
            self.assertEqual(result.returncode, 0, result.stderr)
            metrics = json.loads(Path(tmp, "m1", "metrics.json").read_text())
        self.assertEqual((metrics["train_size"], metrics["test_size"], metrics["holdout"]),
                         (256, 1000, 1000))
        self.assertIn("the last 1,000 training images, held out", metrics["history_columns"])


class SeedsFlagTest(unittest.TestCase):
    def test_bad_seed_lists_are_refused(self):
        for flags, message in ((["--seeds=0,x"], "--seeds must be integers"),
                               (["--seeds=1,1"], "--seeds must name distinct seeds"),
                               (["--seeds=0,1", "--seed=3"], ".*give either --seed or --seeds, not both")):
            with self.subTest(flags=flags):
                result = run_python(["main.py", *flags])
                self.assertEqual(result.returncode, 2)
                self.assertRegex(result.stderr.strip(), f"^error: {message}")


@full_tier("main.py with TensorFlow")
class ModelModesTest(unittest.TestCase):
    """--mode=evaluate / predict / export through main.py, with the shipped model."""

    MODEL = str(REPO / "pretrained" / "m5.keras")

    def test_model_flags_are_refused_before_any_work(self):
        with tempfile.TemporaryDirectory() as tmp:
            not_a_model = Path(tmp, "x.keras")
            not_a_model.write_text("hello")
            cases = ((["--mode=evaluate"], "--mode=evaluate needs --model=PATH.keras"),
                     (["--mode=evaluate", f"--model={tmp}/none.keras"], "no such file"),
                     (["--mode=predict", f"--model={not_a_model}", "--images=samples"],
                      "not a Keras model file"),
                     (["--mode=predict", f"--model={self.MODEL}"], "needs --images"),
                     (["--mode=predict", f"--model={self.MODEL}", f"--images={tmp}"],
                      "no image files there"),
                     (["--mode=export", f"--model={self.MODEL}", f"--export_dir={tmp}"],
                      "already exists: remove it or name another"))
            for flags, message in cases:
                with self.subTest(flags=flags):
                    assert_refused(self, flags, message)

    def test_predict_prints_a_line_per_file_and_fails_only_the_bad_one(self):
        with tempfile.TemporaryDirectory() as tmp:
            empty = Path(tmp, "empty.png")
            empty.write_bytes(b"")
            images = f"--images=samples/seven_scan.png,samples/two_photo.jpg,{empty}"
            lines = run_python(["main.py", "--mode=predict", f"--model={self.MODEL}", images])
            as_json = run_python(["main.py", "--mode=predict", f"--model={self.MODEL}", images,
                                  "--json"])
        self.assertEqual(lines.returncode, 1)
        self.assertRegex(lines.stdout, r"^samples/seven_scan.png\t7\t[01]\.\d{4}\n"
                                       r"samples/two_photo.jpg\t2\t")
        self.assertIn(f"error: {empty}: empty file", lines.stderr)
        self.assertEqual(as_json.returncode, 1)
        records = json.loads(as_json.stdout)
        self.assertEqual([r.get("digit") for r in records], [7, 2, None])
        self.assertEqual(records[2], {"path": str(empty), "error": "empty file"})

    def test_evaluate_prints_the_numbers_and_writes_the_figures_beside_the_model(self):
        with tempfile.TemporaryDirectory() as tmp:
            model = Path(tmp, "m5.keras")
            model.write_bytes(Path(self.MODEL).read_bytes())
            result = run_python(["main.py", "--mode=evaluate", f"--model={model}"])
            self.assertEqual(result.returncode, 0, result.stderr[-2000:])
            for name in ("confusion.png", "mistakes.png", "evaluation.json"):
                self.assertTrue(Path(tmp, name).exists(), name)
            evaluation = json.loads(Path(tmp, "evaluation.json").read_text())
        recorded = json.loads((REPO / "pretrained" / "m5.metrics.json").read_text())
        self.assertEqual(evaluation["accuracy_pct"], recorded["summary"]["final_test_acc"])
        self.assertIn(f"test accuracy {evaluation['accuracy_pct']:.2f}%", result.stdout)
        self.assertRegex(result.stdout, r"per digit \(%\): 0: \d+\.\d\d  1: ")


@full_tier("trainings")
class KillAndResumeTest(unittest.TestCase):
    """The slow one (about 30 s): m5 for 4 epochs on 1,024 training images."""

    EPOCHS, TRAIN_SIZE = 4, 1024

    def test_a_killed_run_leaves_whole_files_and_the_same_command_resumes_it(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        command = ["main.py", "--stage=m5", f"--epochs={self.EPOCHS}", "--warmup_epochs=1",
                   "--cooldown_epochs=1", f"--train_size={self.TRAIN_SIZE}", "--verbose=0",
                   f"--output_dir={tmp.name}"]
        run_dir = Path(tmp.name, "m5")

        self.kill_after_two_epochs(command, run_dir)
        self.assert_every_file_is_whole(run_dir)

        resumed = run_python(command)
        self.assertEqual(resumed.returncode, 0, resumed.stderr)
        self.assertRegex(resumed.stdout, r"\[resume\] .*: epochs 1-\d restored, training epoch")
        rows = self.assert_every_file_is_whole(run_dir)
        self.assertEqual([int(row["epoch"]) for row in rows], list(range(1, self.EPOCHS + 1)))
        # The schedule carried on where it was: each epoch ends at the lr of its step count.
        recipe = get_stage("m5").recipe_with(epochs=self.EPOCHS, warmup_epochs=1,
                                             cooldown_epochs=1)
        steps = self.TRAIN_SIZE // recipe.batch_size
        schedule = learning_rate_for(recipe, steps)
        expected = [float(schedule(epoch * steps)) for epoch in range(1, self.EPOCHS + 1)]
        self.assertEqual([round(float(row["learning_rate"]), 6) for row in rows],
                         [round(lr, 6) for lr in expected])
        self.assertFalse((run_dir / "backup").exists())

        again = run_python(command)
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertRegex(again.stdout, r"^\[finished\] .* pass --overwrite")
        other = run_python(command + ["--lr=0.1"])
        self.assertEqual(other.returncode, 2)
        self.assertRegex(other.stderr.strip(), r"^error: .* holds another run \(its recipe "
                                               r"differ\): pass --overwrite")

    def kill_after_two_epochs(self, command, run_dir):
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
        process = subprocess.Popen([sys.executable, *command], cwd=REPO, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(process.kill)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and process.poll() is None:
            if (run_dir / "backup").exists() and self.epochs_on_record(run_dir) >= 2:
                break
            time.sleep(0.05)
        self.assertIsNone(process.poll(), "the run ended before it could be killed")
        process.send_signal(signal.SIGKILL)
        process.wait()
        self.assertLess(self.epochs_on_record(run_dir), self.EPOCHS)

    @staticmethod
    def epochs_on_record(run_dir):
        try:
            return len(json.loads((run_dir / "metrics.json").read_text())["history"])
        except (OSError, ValueError):
            return 0

    def assert_every_file_is_whole(self, run_dir):
        metrics = json.loads((run_dir / "metrics.json").read_text())
        with open(run_dir / "history.csv") as f:
            rows = list(csv.DictReader(f))
        self.assertIn(len(rows) - len(metrics["history"]), (0, 1))  # a kill between the two
        self.assertTrue(all(row["val_accuracy"] for row in rows))
        self.assertEqual(matplotlib.image.imread(run_dir / "curves.png").ndim, 3)
        for name in ("best.keras", "last.keras"):
            self.assertEqual(keras.saving.load_model(run_dir / name).output_shape, (None, 10))
        return rows


# Runs main.py with os.replace failing as a full disk would, the Nth time it publishes a file
# of the given name: every writer of a run ends in that rename.
FULL_DISK_AT = """
import errno, os, runpy, sys
target, nth = sys.argv[1], int(sys.argv[2])
sys.argv = sys.argv[3:]
real_replace, calls = os.replace, [0]
def replace(src, dst, **kwargs):
    if os.path.basename(os.fspath(dst)) == target:
        calls[0] += 1
        if calls[0] == nth:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), os.fspath(src))
    return real_replace(src, dst, **kwargs)
os.replace = replace
runpy.run_path(sys.argv[0], run_name="__main__")
"""


@full_tier("trainings")
class FullDiskTest(unittest.TestCase):
    """Each writer fails in turn in epoch 2 (about 2 minutes): one line naming the file, whole
    files left, and the same command then finishes with every epoch once."""

    EPOCHS = 3

    def test_each_writer_failing_stops_the_run_cleanly_and_it_resumes(self):
        # (file name, its Nth publication is epoch 2's, as the error names it)
        for target, nth, shown in (("history.csv", 2, "history.csv"),
                                   ("metrics.json", 2, "metrics.json"),
                                   ("curves.png", 2, "curves.png"),
                                   ("last.keras", 2, "last.keras"),
                                   ("epoch-0002", 1, "backup/epoch-0002")):
            with self.subTest(writer=target), tempfile.TemporaryDirectory() as tmp:
                command = ["main.py", "--stage=m1", f"--epochs={self.EPOCHS}", "--train_size=512",
                           "--verbose=0", f"--output_dir={tmp}"]
                run_dir = Path(tmp, "m1")
                failed = run_python(["-c", FULL_DISK_AT, target, str(nth), *command])
                self.assertEqual(failed.returncode, 1, failed.stderr)
                self.assertNotIn("Traceback", failed.stderr)
                # TensorFlow's own start-up lines aside, the run says one thing: the error.
                ours = [line for line in failed.stderr.strip().splitlines()
                        if not re.match(r"[IWE]\d{4} |WARNING: All log messages", line)]
                self.assertEqual(len(ours), 1, failed.stderr)
                self.assertRegex(ours[0], f"^error: cannot write {run_dir}/{shown} "
                                           r"\(No space left on device\); every finished epoch "
                                           "is kept: .* run the same command again to resume$")
                KillAndResumeTest.assert_every_file_is_whole(self, run_dir)

                resumed = run_python(command)
                self.assertEqual(resumed.returncode, 0, resumed.stderr)
                rows = KillAndResumeTest.assert_every_file_is_whole(self, run_dir)
                self.assertEqual([int(row["epoch"]) for row in rows],
                                 list(range(1, self.EPOCHS + 1)))
                metrics = json.loads((run_dir / "metrics.json").read_text())
                self.assertEqual([row["epoch"] for row in metrics["history"]],
                                 list(range(1, self.EPOCHS + 1)))
                self.assertEqual(sorted(p.name for p in run_dir.glob(".*tmp*")), [])


if __name__ == "__main__":
    unittest.main()
