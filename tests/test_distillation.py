"""Learning from a teacher: the loss, the teacher's predictions on exactly the student's
training images (never its held-out fold), and a student that saves as the stage's own network."""

import dataclasses
import json
import shutil
import tempfile
import unittest
from pathlib import Path
from unittest import mock

import keras
import numpy as np

from keras_mnist7.data.mnist import cv_split
from keras_mnist7.run import distillation
from keras_mnist7.run.training import train
from keras_mnist7.spec.run_spec import RunSpec
from keras_mnist7.spec.stages import get_ensemble, get_stage
from tests.helpers import REPO, full_tier, mnist_subset, run_python
from tests.test_training import RELOAD_ELSEWHERE


class LossTest(unittest.TestCase):
    def test_the_blend_of_labels_and_softened_teacher_is_hintons(self):
        rng = np.random.RandomState(0)
        student = rng.dirichlet(np.ones(10), size=5).astype("float32")
        teacher = rng.dirichlet(np.ones(10), size=5).astype("float32")
        labels = rng.randint(0, 10, 5)
        temperature, alpha = 2.0, 0.7
        soft_teacher = distillation.soften(teacher, temperature)
        y_true = distillation.packed_targets(labels, soft_teacher)
        got = keras.ops.convert_to_numpy(
            distillation.DistillationLoss(temperature, alpha, reduction=None)(y_true, student))
        soft_student = distillation.soften(student, temperature).astype("float64")
        kl = (soft_teacher * (np.log(soft_teacher) - np.log(soft_student))).sum(axis=1)
        hard = -np.log(student[np.arange(5), labels])
        np.testing.assert_allclose(got, (1 - alpha) * hard + alpha * temperature ** 2 * kl,
                                   rtol=1e-5)

    def test_softening_keeps_the_order_and_flattens(self):
        probabilities = np.array([[0.7, 0.2, 0.1] + [0.0] * 7], dtype="float32")
        np.testing.assert_allclose(distillation.soften(probabilities, 1.0), probabilities,
                                   atol=1e-6)
        soft = distillation.soften(probabilities, 4.0)[0]
        self.assertAlmostEqual(float(soft.sum()), 1.0, places=5)
        self.assertTrue(soft[0] > soft[1] > soft[2] > soft[3] and soft[0] < 0.7)

    def test_metrics_read_the_labels_half_of_the_targets(self):
        y_true = distillation.packed_targets(np.array([3, 1]), np.full((2, 10), 0.1, "float32"))
        y_pred = np.eye(10, dtype="float32")[[3, 2]] * 0.9 + 0.01
        accuracy = keras.ops.convert_to_numpy(distillation.label_accuracy(y_true, y_pred))
        np.testing.assert_array_equal(accuracy, [1.0, 0.0])


class EnsembleRunsTest(unittest.TestCase):
    def test_an_ensembles_members_train_on_the_fold_with_seeds_no_student_uses(self):
        for fold in range(6):
            runs = distillation.teacher_runs("m5-ensemble-4", fold, "t")
            seeds = [int(folder.name.removeprefix("seed")) for folder, _ in runs]
            self.assertEqual(seeds, [fold + 6, fold + 12, fold + 18, fold + 24])
            specs = [RunSpec.of_stage("m5", "x", cv=True, seed=seed) for seed in seeds]
            self.assertEqual({spec.cv_fold for spec in specs}, {fold})
            self.assertIn(f"--stage=m5 --cv --seeds={','.join(map(str, seeds))} "
                          "--output_dir=t/m5-ensemble-4", runs[0][1])
        full = distillation.teacher_runs("m5-ensemble-4", None, "t")
        self.assertEqual([str(folder) for folder, _ in full],
                         [f"t/full/m5-ensemble-4/m5/seed{seed}" for seed in (6, 12, 18, 24)])
        self.assertNotIn("--cv", full[0][1])


@full_tier("trainings")
class TaughtRunTest(unittest.TestCase):
    """A one-epoch teacher for fold 0 of 1,200 images, then a one-epoch m5 taught by it."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = Path(tempfile.mkdtemp())
        cls.teachers = cls.tmp / "results" / "teachers"  # where main.py run in tmp finds them
        cls.data = mnist_subset(1200, 100)
        teacher = get_stage("teacher").recipe_with(epochs=1, warmup_epochs=0)
        folder, _ = distillation.teacher_run("teacher", 0, cls.teachers)
        folder.mkdir(parents=True)
        cls.teacher = train(RunSpec.of_stage("teacher", folder, recipe=teacher, cv=True,
                                             tensorboard=False), cls.data, 0)
        cls.recipe = get_stage("m5").recipe_with(epochs=1, warmup_epochs=0, teacher="teacher",
                                                 distillation=0.5, temperature=2.0)
        cls.student_dir = cls.tmp / "student"
        cls.student_dir.mkdir()
        with mock.patch.object(distillation, "TEACHERS_DIR", cls.teachers):
            cls.student = train(RunSpec.of_stage("m5", cls.student_dir, recipe=cls.recipe,
                                                 cv=True, tensorboard=False), cls.data, 0)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def test_the_teacher_saw_the_students_training_images_and_never_its_fold(self):
        (x_train, _), (x_fold, _) = cv_split(self.data, 0)
        self.assertEqual((self.teacher["cv_fold"], self.teacher["train_size"]),
                         (0, len(x_train)))
        facts = self.student["teacher"]
        self.assertEqual(facts["images_sha256"], distillation.checksum(x_train))
        predictions = np.load(facts["predictions"])
        self.assertEqual(facts["predictions_sha256"], distillation.checksum(predictions))
        self.assertEqual(predictions.shape, (len(x_train), 10))
        seen = {image.tobytes() for image in x_train}
        self.assertFalse(any(image.tobytes() in seen for image in x_fold))

    def test_the_run_records_plain_accuracy_and_crossentropy_of_the_labels(self):
        row = self.student["history"][-1]
        self.assertLessEqual({"accuracy", "crossentropy", "val_accuracy", "val_crossentropy"},
                             set(row))
        evaluation = json.loads((self.student_dir / "evaluation.json").read_text())
        self.assertAlmostEqual(evaluation["accuracy_pct"], 100 * row["val_accuracy"], places=1)

    def test_the_student_saves_as_the_stages_network_and_reloads_without_the_package(self):
        (_, _), (x_fold, _) = cv_split(self.data, 0)
        best = self.student_dir / "best.keras"
        self.assertNotIn("compile_config", keras.saving.load_model(best).get_config())
        with tempfile.TemporaryDirectory() as elsewhere:
            np.save(Path(elsewhere, "images.npy"), x_fold)
            result = run_python(["-c", RELOAD_ELSEWHERE, str(best), "images.npy", "probs.npy"],
                                cwd=elsewhere)
            self.assertEqual(result.returncode, 0, result.stderr[-2000:])
            for warning in ("Skipping variable loading", "`compile()`", "Could not locate"):
                self.assertNotIn(warning, result.stderr)
        self.assertEqual(self.student["params"]["total"], 7906)

    def test_main_py_trains_a_taught_run_on_one_thread(self):
        """The teacher's predictions run TensorFlow before the student's model is built: the
        thread limit must be set first (TensorFlow refuses it after its first op)."""
        for kept in self.teachers.rglob("predictions-*.npy"):
            kept.unlink()  # computed again, by the teacher's model, in this process
        result = run_python([str(REPO / "main.py"), "--stage=m5", "--cv", "--seeds=0",
                             "--threads=1", "--epochs=1", "--warmup_epochs=0",
                             "--teacher=teacher", "--distillation=0.5", "--temperature=2",
                             "--train_size=1200", "--verbose=0", "--output_dir=students"],
                            cwd=self.tmp)
        self.assertEqual(result.returncode, 0, result.stderr[-2000:])
        metrics = json.loads((self.tmp / "students" / "m5" / "seed0" / "metrics.json").read_text())
        self.assertEqual(metrics["teacher"]["images_sha256"], self.student["teacher"]["images_sha256"])

    def test_an_untrained_teacher_is_refused_in_one_line_with_its_command(self):
        folder = self.tmp / "refused"
        folder.mkdir()
        with mock.patch.object(distillation, "TEACHERS_DIR", self.tmp / "none"):
            with self.assertRaisesRegex(ValueError, r"^--teacher=teacher: no trained teacher "
                                                    r"in .*seed1/; train it first: python "
                                                    r"main.py --stage=teacher --cv --seeds=1 "):
                train(RunSpec.of_stage("m5", folder, recipe=self.recipe, cv=True, seed=1),
                      self.data, 0)
        self.assertEqual(list(folder.iterdir()), [])

    def test_an_ensembles_predictions_are_its_members_mean_and_it_scores_the_fold(self):
        teachers = self.tmp / "ensemble"
        ensemble = dataclasses.replace(get_ensemble("m5-ensemble-4"), runs=2)
        recipe = get_stage("m5").recipe_with(epochs=1, warmup_epochs=0)
        with mock.patch.object(distillation, "get_ensemble", lambda name: ensemble):
            runs = distillation.teacher_runs("m5-ensemble-4", 0, teachers)
            for folder, _ in runs:
                folder.mkdir(parents=True)
                seed = int(folder.name.removeprefix("seed"))
                train(RunSpec.of_stage("m5", folder, recipe=recipe, cv=True, seed=seed,
                                       tensorboard=False), self.data, 0)
            (x_train, _), (x_fold, y_fold) = cv_split(self.data, 0)
            mean, facts = distillation.teacher_predictions("m5-ensemble-4", 0, x_train, teachers,
                                                           evaluation=(x_fold, y_fold))
        members = [keras.saving.load_model(folder / "last.keras") for folder, _ in runs]
        np.testing.assert_allclose(mean, np.mean([m.predict(x_train, verbose=0)
                                                  for m in members], axis=0), atol=1e-5)
        on_fold = np.mean([m.predict(x_fold, verbose=0) for m in members], axis=0)
        self.assertAlmostEqual(facts["evaluation_accuracy"],
                               100 * np.mean(on_fold.argmax(axis=1) == y_fold), places=2)
        self.assertEqual([member["model"] for member in facts["members"]],
                         [str(folder / "last.keras") for folder, _ in runs])

    def test_a_teacher_still_training_is_refused(self):
        """A student started beside its teacher's run must not read a half-trained model."""
        teachers = self.tmp / "in-progress"
        folder, _ = distillation.teacher_run("teacher", 0, teachers)
        shutil.copytree(distillation.teacher_run("teacher", 0, self.teachers)[0], folder)
        (folder / "backup").mkdir()
        with mock.patch.object(distillation, "TEACHERS_DIR", teachers):
            with self.assertRaisesRegex(ValueError, r"^--teacher=teacher: the teacher in "
                                                    r".*seed0/ has not finished its epochs"):
                distillation.teacher_predictions("teacher", 0, self.data[0][0][:10])


if __name__ == "__main__":
    unittest.main()
