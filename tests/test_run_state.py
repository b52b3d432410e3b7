"""Run folders: new, resumable, finished or someone else's -- told apart from their files alone."""

import json
import tempfile
import unittest
from dataclasses import replace
from pathlib import Path

from keras_mnist7.run.run_state import (
    BACKUP_DIR,
    KERAS_BACKUP,
    RunConflict,
    clear_run,
    remove_temp_files,
    restore_sealed_backup,
    run_identity,
    run_status,
)
from keras_mnist7.spec.run_spec import RunSpec
from keras_mnist7.spec.stages import get_stage


class RunStatusTest(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.run_dir = Path(tmp.name)
        self.recipe = get_stage("m4").recipe_with(epochs=3)
        self.spec = RunSpec.of_stage("m4", self.run_dir, recipe=self.recipe)
        self.identity = run_identity(self.spec, 1000, 500)

    def write_metrics(self, epochs_done, **changes):
        history = [{"epoch": e + 1, "val_accuracy": 0.9} for e in range(epochs_done)]
        metrics = {**self.identity, "history": history, **changes}
        (self.run_dir / "metrics.json").write_text(json.dumps(metrics))

    def test_an_empty_folder_is_new(self):
        self.assertEqual(run_status(self.run_dir, self.identity), "new")
        self.assertEqual(run_status(self.run_dir / "missing", self.identity), "new")

    def test_the_same_run_half_done_is_resumed_and_done_is_finished(self):
        self.write_metrics(2)
        (self.run_dir / BACKUP_DIR).mkdir()
        self.assertEqual(run_status(self.run_dir, self.identity), "resume")
        self.write_metrics(3)
        (self.run_dir / BACKUP_DIR).rmdir()  # Keras deletes its backup when fit() ends
        self.assertEqual(run_status(self.run_dir, self.identity), "finished")

    def test_a_run_stopped_by_nan_is_finished(self):
        self.write_metrics(1, stopped="the loss became NaN")
        self.assertEqual(run_status(self.run_dir, self.identity), "finished")

    def test_other_settings_are_a_conflict_that_names_them(self):
        self.write_metrics(3)
        for other in (run_identity(self.spec.for_seed(1), 1000, 500),
                      run_identity(replace(self.spec, recipe=get_stage("m4").recipe_with(
                          epochs=3, lr=0.1)), 1000, 500)):
            with self.subTest(other=other), self.assertRaisesRegex(
                    RunConflict, f"^{self.run_dir} holds another run .*(seed|recipe) differ.*"
                                 "--overwrite"):
                run_status(self.run_dir, other)

    def test_an_unreadable_metrics_file_or_an_orphan_backup_is_a_conflict(self):
        (self.run_dir / BACKUP_DIR).mkdir()
        with self.assertRaisesRegex(RunConflict, "has no metrics.json beside it"):
            run_status(self.run_dir, self.identity)
        (self.run_dir / "metrics.json").write_text('{"stage": ')
        with self.assertRaisesRegex(RunConflict, "^cannot read .*metrics.json"):
            run_status(self.run_dir, self.identity)

    def test_a_holdout_or_another_bn_order_is_another_run(self):
        self.write_metrics(3)
        bn_first = get_stage("m4").architecture_with(bn_before_relu=True)
        for other, key in ((run_identity(replace(self.spec, holdout=500), 1000, 500), "holdout"),
                           (run_identity(replace(self.spec, architecture=bn_first), 1000, 500),
                            "architecture")):
            with self.subTest(key=key), self.assertRaisesRegex(RunConflict, f"its {key} differ"):
                run_status(self.run_dir, other)

    def test_a_run_recorded_before_holdout_existed_is_still_known(self):
        self.assertIsNone(self.identity["holdout"])
        metrics = {key: value for key, value in self.identity.items() if key != "holdout"}
        metrics["history"] = [{"epoch": e + 1} for e in range(3)]
        (self.run_dir / "metrics.json").write_text(json.dumps(metrics))
        self.assertEqual(run_status(self.run_dir, self.identity), "finished")

    def test_a_run_recorded_before_a_recipe_field_existed_is_still_known(self):
        metrics = json.loads(json.dumps(self.identity))
        for field in ("ema_momentum", "translation_pixels"):
            del metrics["recipe"][field]
        metrics["history"] = [{"epoch": e + 1} for e in range(3)]
        (self.run_dir / "metrics.json").write_text(json.dumps(metrics))
        self.assertEqual(run_status(self.run_dir, self.identity), "finished")
        averaged = run_identity(replace(self.spec, recipe=get_stage("m4").recipe_with(
            epochs=3, ema_momentum=0.99)), 1000, 500)
        with self.assertRaisesRegex(RunConflict, "its recipe differ"):
            run_status(self.run_dir, averaged)

    def test_a_run_recorded_before_a_conv_field_existed_is_still_known(self):
        metrics = json.loads(json.dumps(self.identity))
        for layer in metrics["architecture"]["plan"]:
            if isinstance(layer, dict):
                del layer["separable"]
        metrics["history"] = [{"epoch": e + 1} for e in range(3)]
        (self.run_dir / "metrics.json").write_text(json.dumps(metrics))
        self.assertEqual(run_status(self.run_dir, self.identity), "finished")

    def test_identity_records_the_architecture(self):
        self.assertEqual(self.identity["architecture"]["plan"][0]["filters"],
                         get_stage("m4").architecture.plan[0].filters)


class ClearRunTest(unittest.TestCase):
    def test_overwrite_removes_the_run_files_and_nothing_else(self):
        with tempfile.TemporaryDirectory() as tmp:
            run_dir = Path(tmp)
            for name in ("metrics.json", "best.keras", ".last.tmp.keras", "notes.txt"):
                (run_dir / name).write_text("x")
            (run_dir / BACKUP_DIR).mkdir()
            clear_run(run_dir)
            self.assertEqual([p.name for p in run_dir.iterdir()], ["notes.txt"])

    def test_temp_files_of_an_interrupted_write_are_removed(self):
        with tempfile.TemporaryDirectory() as tmp:
            run_dir = Path(tmp)
            for name in (".metrics.json.tmp", ".best.tmp.keras", "last.keras"):
                (run_dir / name).write_text("x")
            remove_temp_files(run_dir)
            self.assertEqual([p.name for p in run_dir.iterdir()], ["last.keras"])


class RestoreSealedBackupTest(unittest.TestCase):
    def test_the_newest_sealed_copy_replaces_a_save_cut_short(self):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp, BACKUP_DIR)
            for name, content in (("epoch-0002", "two"), ("epoch-0003", "three"),
                                  ("epoch-0004.tmp", "half"), (KERAS_BACKUP, "cut sh")):
                (root / name).mkdir(parents=True)
                (root / name / "latest.weights.h5").write_text(content)
            restore_sealed_backup(tmp)
            self.assertEqual(sorted(p.name for p in root.iterdir()), ["epoch-0003", KERAS_BACKUP])
            self.assertEqual((root / KERAS_BACKUP / "latest.weights.h5").read_text(), "three")

    def test_no_backup_is_no_op(self):
        with tempfile.TemporaryDirectory() as tmp:
            restore_sealed_backup(tmp)
            self.assertEqual(list(Path(tmp).iterdir()), [])


if __name__ == "__main__":
    unittest.main()
