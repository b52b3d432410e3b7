"""The cross-validated protocol: folds, paired statistics, the screen-then-power rule, and the
experiments registry. Plain numbers and arrays, models built but never trained."""

import json
import math
import tempfile
import unittest
from pathlib import Path

import numpy as np

from keras_mnist7.data.mnist import cv_folds, cv_split
from keras_mnist7.spec.run_spec import CV_FOLDS, RunSpec
from keras_mnist7.spec.stages import ENSEMBLES, TEACHERS, get_stage
from keras_mnist7.study.search import protocol as search
from keras_mnist7.study.search.experiments import REGISTRY, Experiment, get_experiment, load_registry


def scores(last4_by_fold, loss=0.02, lowest_below=0.0):
    """{fold: FoldScore}; each fold's lowest of the last 4 sits `lowest_below` under its mean."""
    return {fold: search.FoldScore(fold, value, loss, value - lowest_below)
            for fold, value in last4_by_fold.items()}


class FoldsTest(unittest.TestCase):
    def test_six_disjoint_folds_cover_every_training_image_once(self):
        folds = cv_folds(60000)
        self.assertEqual([len(fold) for fold in folds], [10000] * CV_FOLDS)
        np.testing.assert_array_equal(np.sort(np.concatenate(folds)), np.arange(60000))

    def test_the_permutation_is_fixed(self):
        for first, again in zip(cv_folds(600), cv_folds(600)):
            np.testing.assert_array_equal(first, again)

    def test_a_fold_is_held_out_and_the_test_set_dropped(self):
        images = np.arange(600)
        data = ((images, images % 10), (np.zeros(5), np.zeros(5)))
        for fold in range(CV_FOLDS):
            (x_train, _), (x_held, y_held) = cv_split(data, fold)
            self.assertEqual((len(x_train), len(x_held)), (500, 100))
            self.assertEqual(np.intersect1d(x_train, x_held).size, 0)
            np.testing.assert_array_equal(y_held, x_held % 10)
        self.assertIs(cv_split(data, None), data)
        with self.assertRaisesRegex(ValueError, "fold is one of 0-5"):
            cv_split(data, 6)

    def test_cv_pairs_seed_with_fold_and_excludes_a_holdout(self):
        spec = REGISTRY["m5-baseline"].run_spec()
        self.assertEqual(spec.for_seed(4).cv_fold, 4)
        self.assertEqual(spec.for_seed(6 * 3 + 4).cv_fold, 4)
        with self.assertRaisesRegex(ValueError, "seeds are >= 0"):
            spec.for_seed(-1)
        with self.assertRaisesRegex(ValueError, "give one"):
            RunSpec.of_stage("m5", "x", cv=True, holdout=10)


class PairedTest(unittest.TestCase):
    def test_mean_gain_standard_error_and_t(self):
        baseline = scores({0: 99.40, 1: 99.50, 2: 99.45})
        candidate = scores({0: 99.50, 1: 99.55, 2: 99.60})
        result = search.paired(candidate, baseline)
        diffs = [0.10, 0.05, 0.15]
        self.assertAlmostEqual(result.gain, 0.10)
        self.assertAlmostEqual(result.standard_error, np.std(diffs, ddof=1) / math.sqrt(3))
        self.assertAlmostEqual(result.t, 0.10 / result.standard_error)
        self.assertEqual(result.folds, (0, 1, 2))

    def test_only_folds_both_have_are_paired(self):
        result = search.paired(scores({0: 99.5, 1: 99.6}), scores({1: 99.5, 2: 99.0}))
        self.assertEqual(result.folds, (1,))
        self.assertTrue(math.isnan(result.t))
        self.assertIsNone(search.paired(scores({0: 99.5}), scores({1: 99.5})))


class VerdictTest(unittest.TestCase):
    BASE = scores({fold: 99.45 for fold in range(6)})

    def test_screening_until_both_have_folds_0_to_2(self):
        self.assertEqual(search.verdict({}, self.BASE), ("screening", (0, 1, 2)))
        self.assertEqual(search.verdict(scores({0: 99.6}), self.BASE), ("screening", (1, 2)))
        self.assertEqual(search.verdict(scores({0: 99.6, 1: 99.6, 2: 99.6}), scores({0: 99.4})),
                         ("screening", ()))

    def test_a_small_screen_gain_drops_the_candidate(self):
        self.assertEqual(search.verdict(scores({0: 99.47, 1: 99.47, 2: 99.47}), self.BASE),
                         ("dropped at screen", ()))

    def test_a_screen_gain_asks_for_folds_3_to_5(self):
        self.assertEqual(search.verdict(scores({0: 99.48, 1: 99.49, 2: 99.47}), self.BASE),
                         ("powering", (3, 4, 5)))

    def test_pass_needs_gain_t_and_a_loss_no_higher(self):
        steady = {fold: 99.53 + 0.01 * (fold % 2) for fold in range(6)}
        self.assertEqual(search.verdict(scores(steady), self.BASE), ("passed", ()))
        self.assertEqual(search.verdict(scores(steady, loss=0.03), self.BASE), ("failed", ()))
        noisy = {0: 99.75, 1: 99.40, 2: 99.75, 3: 99.40, 4: 99.75, 5: 99.40}  # gain 0.125, t < 2
        self.assertLess(search.paired(scores(noisy), self.BASE).t, search.PASS_T)
        self.assertEqual(search.verdict(scores(noisy), self.BASE), ("failed", ()))
        small = {fold: 99.52 for fold in range(6)}  # t is huge, the gain 0.07 is not enough
        self.assertEqual(search.verdict(scores(small), self.BASE), ("failed", ()))

    def test_a_gain_in_the_lowest_of_the_last_4_alone_screens_and_passes(self):
        base = scores({fold: 99.45 for fold in range(6)}, lowest_below=0.10)
        level_but_steadier = {fold: 99.45 for fold in range(6)}
        steadier = scores(level_but_steadier, lowest_below=0.01)  # lowest +0.09, mean +0.00
        self.assertEqual(search.paired(steadier, base).gain, 0.0)
        self.assertAlmostEqual(search.paired(steadier, base, metric="lowest").gain, 0.09)
        self.assertEqual(search.verdict({k: v for k, v in steadier.items() if k < 3}, base),
                         ("powering", (3, 4, 5)))
        steadier[1] = search.FoldScore(1, 99.45, 0.02, 99.45)  # t is finite: lowest +0.10 here
        self.assertEqual(search.verdict(steadier, base), ("passed", ()))
        a_little = scores(level_but_steadier, lowest_below=0.08)  # lowest +0.02 only
        self.assertEqual(search.verdict(a_little, base), ("dropped at screen", ()))

    def test_fold_scores_read_finished_runs_of_a_seeds_json(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "seeds.json"
            self.assertEqual(search.fold_scores(path), {})
            path.write_text(json.dumps({"epochs": 5, "runs": [
                {"seed": 0, "test_acc": [90, 99.0, 99.2, 99.4, 99.6], "test_loss": [1, 1, 1, 1, 0.02]},
                {"seed": 1, "test_acc": [90, 99.0], "test_loss": [1, 1]}]}))
            (score,) = search.fold_scores(path).values()
            self.assertEqual((score.fold, score.final_loss), (0, 0.02))
            self.assertAlmostEqual(score.last4, 99.3)
            self.assertEqual(score.lowest, 99.0)


class RegistryTest(unittest.TestCase):
    def test_every_candidate_builds_a_valid_cv_run_and_names_a_baseline_of_its_stage(self):
        for experiment in REGISTRY.values():
            if not experiment.runnable:
                with self.assertRaisesRegex(ValueError, "is recorded"):
                    experiment.run_spec()
                continue
            spec = experiment.run_spec()
            self.assertTrue(spec.cv)
            self.assertEqual(spec.folder, experiment.folder() / experiment.stage)
            if experiment.kind == "candidate":
                self.assertEqual(get_experiment(experiment.baseline).stage, experiment.stage)

    def test_every_recorded_experiment_holds_the_seeds_it_names(self):
        for experiment in REGISTRY.values():
            if not experiment.runnable:
                result = json.loads(experiment.seeds_json().read_text())
                self.assertEqual(tuple(run["seed"] for run in result["runs"]), experiment.seeds,
                                 experiment.name)
                self.assertEqual(result["stage"], experiment.trained_as or experiment.stage)

    def test_every_benchmark_under_results_is_a_stage_its_reference_or_in_the_registry(self):
        known = {experiment.seeds_json() for experiment in REGISTRY.values()}
        for path in Path("results").rglob("seeds.json"):
            stage_folder = len(path.parts) == 3  # results/<stage>/seeds.json
            reference = "torch" in path.parts  # the PyTorch reference, found by its stage
            teacher = path.parts[1] == "teachers" and (
                path.parent.name in TEACHERS or path.parent.parent.name in ENSEMBLES)
            self.assertTrue(stage_folder or reference or teacher or path in known, path)

    def test_every_candidate_keeps_its_stage_under_its_parameter_limit(self):
        from keras_mnist7.model.builders import build_network

        for experiment in REGISTRY.values():
            if experiment.runnable:
                spec = experiment.run_spec()
                model = build_network(spec.architecture, experiment.name, spec.recipe.dropout)
                self.assertLessEqual(model.count_params(),
                                     get_stage(experiment.stage).max_params, experiment.name)

    def test_changes_become_flags_and_reach_the_run(self):
        experiment = REGISTRY["m5-batch-16"]
        self.assertEqual(experiment.flags(), ("--batch_size=16", "--lr=0.0125"))
        self.assertEqual(experiment.run_spec().recipe.batch_size, 16)
        plan = REGISTRY["m5-deeper-narrower"].run_spec().architecture.plan
        self.assertEqual(len(plan), 9)

    def test_bad_entries_are_refused(self):
        with self.assertRaisesRegex(ValueError, "unknown settings colour"):
            Experiment("x", "m5", "f", "why", (("colour", 1),), baseline="m5-baseline")
        with self.assertRaisesRegex(ValueError, "names its baseline"):
            Experiment("x", "m5", "f", "why")
        with self.assertRaisesRegex(ValueError, "unknown experiment"):
            get_experiment("nope")


class RoundFileTest(unittest.TestCase):
    """A candidate is one entry of a round's TOML file, as docs/search.md shows it."""

    ROUND = """
[defaults]
stage = "m5"
baseline = "m5-fused-baseline"

[[experiment]]
name = "m5-fused-baseline"
kind = "baseline"
family = "baseline"
why = "today's m5"

[[experiment]]
name = "m5-dropout-0.1"
family = "regularization"
why = \"\"\"
Twice m5's \\
dropout\"\"\"
changes = { dropout = 0.1, plan = "10v,16v,P,8x1,16v,16v,16v,10x1l" }
"""

    def load(self, text):
        with tempfile.TemporaryDirectory() as rounds:
            Path(rounds, "9-new.toml").write_text(text)
            return load_registry(rounds, Path(rounds) / "no-manifest.toml")

    def test_an_entry_over_its_files_defaults_becomes_a_runnable_candidate(self):
        registry = self.load(self.ROUND)
        self.assertEqual(list(registry), ["m5-fused-baseline", "m5-dropout-0.1"])
        candidate = registry["m5-dropout-0.1"]
        self.assertEqual((candidate.stage, candidate.baseline, candidate.why),
                         ("m5", "m5-fused-baseline", "Twice m5's dropout"))
        self.assertIsNone(registry["m5-fused-baseline"].baseline)
        spec = candidate.run_spec()
        self.assertEqual((spec.recipe.dropout, spec.folder),
                         (0.1, Path("results/cv/m5-dropout-0.1/m5")))

    def test_an_unknown_setting_or_field_or_a_name_twice_is_refused(self):
        for text, message in (
                (self.ROUND.replace("dropout = 0.1", "dropuot = 0.1"),
                 "unknown settings dropuot"),
                (self.ROUND.replace('family = "regularization"', 'familly = "x"'),
                 "unexpected keyword argument 'familly'"),
                (self.ROUND.replace('"m5-dropout-0.1"', '"m5-fused-baseline"'),
                 "registered twice")):
            with self.subTest(message=message), self.assertRaisesRegex(ValueError, message):
                self.load(text)


class ReportTest(unittest.TestCase):
    """The cv table and sentence, from a registry and result files made up here."""

    def write(self, results, experiment, last):
        folder = experiment.seeds_json(results).parent
        folder.mkdir(parents=True)
        (folder / "seeds.json").write_text(json.dumps({
            "epochs": 4, "params": {"total": 7906}, "runs": [
                {"seed": fold, "test_acc": [value] * 4, "test_loss": [0.05, 0.04, 0.03, 0.02]}
                for fold, value in last.items()]}))

    def test_decisions_gains_and_the_sentence(self):
        from keras_mnist7.study.report.writeup import cv_sentence, cv_table

        baseline = Experiment("base", "m5", "baseline", "why", kind="baseline")
        better = Experiment("better", "m5", "f1", "why", (("nesterov", True),), baseline="base")
        worse = Experiment("worse", "m5", "f2", "why", (("nesterov", True),), baseline="base")
        waiting = Experiment("waiting", "m5", "f3", "why", (("nesterov", True),),
                             baseline="base")
        experiments = [baseline, better, worse, waiting]
        with tempfile.TemporaryDirectory() as tmp:
            results = Path(tmp)
            self.write(results, baseline, {fold: 99.40 for fold in range(6)})
            self.write(results, better, {0: 99.50, 1: 99.48, 2: 99.49})
            self.write(results, worse, {0: 99.40, 1: 99.39, 2: 99.41})
            table = "\n".join(cv_table("m5", experiments, results))
            sentence = cv_sentence("m5", experiments, results)
        self.assertIn("| base | baseline | none | 7,906 | 0,1,2,3,4,5 | 99.40 | - | - | - | - | "
                      "baseline |", table)
        self.assertIn("| better | f1 | `--nesterov` | 7,906 | 0,1,2 | 99.49 | base | +0.090 ± 0.006, t 15.6 "
                      "| +0.090 ± 0.006, t 15.6 | 0.0200 / 0.0200 | powering |", table)
        self.assertIn("| worse |", table)
        self.assertIn("dropped at screen |", table)
        self.assertIn("| waiting | f3 | `--nesterov` | - | - | - | base | - | - | - | not run yet |",
                      table)
        self.assertIn("1 candidate of 1 family judged so far, 2 not judged yet; passed: none",
                      sentence)
        self.assertIn("+0.000 ± 0.006 points (worse against base, folds 0,1,2)", sentence)
        self.assertIn("Past the screen, on their way to folds 3-5: better +0.090 ± 0.006 on "
                      "folds 0,1,2.", sentence)

    def test_the_average_is_paired_with_the_raw_weights_of_its_own_runs(self):
        from keras_mnist7.study.report.writeup import same_trajectory_table

        averaged = Experiment("avg", "m5", "f1", "why", (("ema_momentum", 0.999),),
                              baseline="base")
        plain = Experiment("plain", "m5", "f2", "why", (("nesterov", True),), baseline="base")
        curves = {0: ([99.40, 99.45, 99.45, 99.50], [99.30, 99.40, 99.50, 99.40]),
                  1: ([99.50, 99.45, 99.50, 99.55], [99.40, 99.40, 99.50, 99.45])}
        with tempfile.TemporaryDirectory() as tmp:
            for fold, (average, raw) in curves.items():
                run = Path(tmp, "cv", "avg", "m5", f"seed{fold}")
                run.mkdir(parents=True)
                history = [{"val_accuracy": a / 100, "val_loss": 0.02, "val_raw_accuracy": r / 100,
                            "val_raw_loss": 0.03} for a, r in zip(average, raw)]
                (run / "metrics.json").write_text(json.dumps(
                    {"recipe": {"epochs": 4}, "history": history}))
            table = same_trajectory_table([averaged, plain], Path(tmp))
        # mean: fold 0 +0.050, fold 1 +0.0625; lowest: fold 0 +0.100, fold 1 +0.050
        self.assertEqual(table[2], "| avg | 0,1 | 99.42 / 99.47 | +0.056 ± 0.006, t 9.0 | "
                                   "+0.075 ± 0.025, t 3.0 | 0.0300 / 0.0200 |")
        self.assertEqual(len(table), 3)  # plain scored no raw weights: no row
        with tempfile.TemporaryDirectory() as tmp:
            self.assertEqual(same_trajectory_table([plain], Path(tmp)), [])

    def test_rows_run_over_an_older_stage_say_so_under_the_table(self):
        from keras_mnist7.study.report.writeup import cv_table

        old = (("batch_size", 32), ("optimizer", "sgd"))
        baseline = Experiment("base", "m5", "baseline", "why", kind="baseline", base=old)
        candidate = Experiment("cand", "m5", "f1", "why", (("nesterov", True),),
                               baseline="base", base=old)
        today = Experiment("today", "m5", "f2", "why", (("lr", 0.01),), baseline="cand")
        with tempfile.TemporaryDirectory() as tmp:
            table = cv_table("m5", [baseline, candidate, today], Path(tmp))
        self.assertEqual(table[-1], "base, cand ran over m5 as it was then (today's m5 with "
                                    "`--batch_size=32` `--optimizer=sgd`); their changes are "
                                    "over that.")
        self.assertIn("| today | f2 | `--lr=0.01` | - | - | - | cand |", "\n".join(table))


if __name__ == "__main__":
    unittest.main()
