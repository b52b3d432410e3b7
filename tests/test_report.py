import dataclasses
import json
import shutil
import tempfile
import unittest
from pathlib import Path

from keras_mnist7 import build_model
from keras_mnist7.model import summary
from keras_mnist7.run import seeds
from keras_mnist7.spec.stages import get_stage
from keras_mnist7.study.report import changes, pages, results, writeup
from keras_mnist7.study.search.experiments import Experiment
from tests.helpers import REPO

ROOT = Path(__file__).resolve().parents[1]


class ModelReportTest(unittest.TestCase):
    def test_shows_summary_both_param_counts_and_the_rf_table(self):
        text = summary.model_report(build_model("m2"))
        self.assertIn("probabilities (Softmax)", text)
        self.assertIn("Params: trainable 7,905 / non-trainable 170 / total 8,075", text)
        self.assertIn("Receptive field: 38 px", text)
        self.assertIn("conv8", text)
        self.assertTrue(all(len(line) <= 80 for line in text.splitlines()))


class StageTableTest(unittest.TestCase):
    def test_one_row_per_stage_with_computed_params_and_rf(self):
        rows = writeup.stage_table().splitlines()
        self.assertEqual(len(rows), 2 + 6)
        self.assertTrue(rows[2].startswith("| m1 | 1,622 | 0 | 1,622 | 10 | "))
        self.assertIn("| m4 | 7,905 | 170 | 8,075 | 38 | SGD(m=0.9) lr 0.05, x0.1 every 6 epochs | "
                      "15 | 128 | 0.05 | rotate +-8 deg | keras |", rows[5])
        self.assertIn("| m5 | 7,742 | 164 | 7,906 | 18 | AdamW(beta_1=0.9, wd=0.01) lr 0 -> 0.005 in 2 "
                      "epochs, cosine to 0 | 15 | 16 | 0.05 | - | keras |", rows[6])
        self.assertIn("| m6 | 4,696 | 264 | 4,960 | 18 | SGD(m=0.9, wd=0.0005) lr 0 -> 0.0125 in 2 "
                      "epochs, cosine to 0 | 15 | 16 | 0.05 | shift +-1 px | keras |", rows[7])
        self.assertTrue(rows[2].endswith("| torch |"))
        # docs/stages.md shows the table as the registry has it today
        self.assertIn("\n".join(rows), (ROOT / "docs" / "stages.md").read_text())



class SeedsTableTest(unittest.TestCase):
    RESULT = {"stage": "m9", "epochs": 5, "device": "CPU (test)",
              "params": {"trainable": 7000, "non_trainable": 100, "total": 7100},
              "runs": [{"seed": 0, "test_acc": [98.0, 99.41, 99.45, 99.40, 99.50],
                        "epoch_seconds": [10, 11, 30, 12, 9]},
                       {"seed": 1, "test_acc": [98.5, 99.0, 99.39, 99.6, 99.7],
                        "epoch_seconds": [10, 10, 10, 10, 10]}]}

    def test_per_seed_rows_and_aggregate(self):
        table = seeds.seeds_table(self.RESULT)
        self.assertIn("| 0 | 99.50 (5) | 99.41, 99.45, 99.40, 99.50 | 99.40 | 2 | 11.0 |", table)
        self.assertIn("| 1 | 99.70 (5) | 99.00, 99.39, 99.60, 99.70 | 99.00 | 4 | 10.0 |", table)
        self.assertIn("Final test accuracy over 2 seeds: 99.60 +- 0.14 %", table)
        self.assertIn(">= 99.40%: 1 of 2.", table)

    def test_a_run_that_never_reaches_the_bar(self):
        stats = seeds.seed_stats({"test_acc": [97.0, 98.0, 99.0, 99.1]})
        self.assertEqual((stats.first_at_bar, stats.holds_bar), (None, False))


def fake_results(results_dir, stage, runs, params=None):
    """A benchmark's files as run_seeds writes them, with made-up curves."""
    stage_dir = Path(results_dir) / stage
    for run in runs:
        (stage_dir / f"seed{run['seed']}").mkdir(parents=True)
        history = [{"epoch": e + 1, "accuracy": t / 100, "val_accuracy": v / 100, "loss": 0.1,
                    "val_loss": 0.1} for e, (t, v) in enumerate(zip(run["train_acc"], run["test_acc"]))]
        (stage_dir / f"seed{run['seed']}" / "metrics.json").write_text(
            json.dumps({"receptive_field": 18, "history": history}))
    params = params or {"trainable": 7432, "non_trainable": 160, "total": 7592}
    (stage_dir / "seeds.json").write_text(json.dumps({
        "stage": stage, "params": params, "epochs": len(runs[0]["test_acc"]), "runs": runs,
        "device": "CPU (test)", "command": f"python main.py --stage={stage} --seeds=0,1"}))


class WriteupTest(unittest.TestCase):
    RUNS = [{"seed": 0, "test_acc": [98.0, 99.41, 99.45, 99.40, 99.50],
             "train_acc": [95.0, 98.0, 99.0, 99.2, 99.3], "epoch_seconds": [10, 11, 30, 12, 9],
             "revision": "abc1234"},
            {"seed": 1, "test_acc": [98.5, 99.42, 99.44, 99.6, 99.7],
             "train_acc": [95.0, 98.0, 99.0, 99.2, 99.4], "epoch_seconds": [10] * 5}]

    def setUp(self):
        self.results = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.results)
        fake_results(self.results, "m4", self.RUNS)

    def test_exactly_target_result_analysis_under_the_title(self):
        text = writeup.stage_writeup("m4", results.load_results(self.results, "m4"), "m5")
        headings = [line for line in text.splitlines() if line.startswith("#")]
        self.assertEqual(headings, ["### m4", "#### Target", "#### Result", "#### Analysis"])
        for item in get_stage("m4").target:
            self.assertIn(f"- {item}\n", text)

    def test_result_numbers_come_from_the_files(self):
        text = writeup.stage_writeup("m4", results.load_results(self.results, "m4"), "m5")
        for expected in ("trainable 7,432 / non-trainable 160 / total 7,592; receptive field "
                         "18 px; 5 epochs; seeds 0, 1",
                         "Seed 0: best train 99.30%, best test 99.50% (epoch 5); last 4 test "
                         "99.41, 99.45, 99.40, 99.50%",
                         "Final test over 2 seeds 99.60 +- 0.14%", "lowest of the last 4 epochs 99.40%",
                         "2 of 2", "Median epoch 10.0 s (CPU (test)); from `results/m4/seeds.json`",
                         "made by `python main.py --stage=m4 --seeds=0,1`",
                         "99.41, 99.45, 99.40, 99.50% ([curves](results/m4/seed0/curves.png))"):
            self.assertIn(expected, text)

    def test_analysis_follows_the_numbers(self):
        text = writeup.stage_writeup("m4", results.load_results(self.results, "m4"), "m5")
        self.assertIn("Every seed (2 of 2) holds >= 99.40%", text)
        # last 4 epochs: train averages (98+99+99.2+99.3+98+99+99.2+99.4)/8, under test
        self.assertIn("train averages 98.89% and test 99.49%", text)
        self.assertIn("points below test", text)
        self.assertIn("span at most 0.28 points: the curve is not settled", text)
        self.assertIn("reports best test 99.40%", text)  # the seed's own claim for m4
        # best of each seed 99.50, 99.70: 99.60 +- 0.14, beyond the seeds' spread from 99.40
        self.assertIn("averages 99.60 ± 0.14%, which beats it by 0.20 points, beyond the seeds' "
                      "spread (2 of 2 seeds reach it).", text)
        self.assertIn("Next, m5: ", text)

    def test_unmet_bar_is_said_plainly(self):
        stats = [seeds.seed_stats({"test_acc": [99.0, 99.3, 99.2, 99.35, 99.3]})]
        self.assertIn("No epoch of any seed reaches 99.40%", writeup.bar_sentence(stats))
        plain, m3 = {"dropout": None, "rotation_degrees": 0.0}, {"dropout": 0.05,
                                                                 "rotation_degrees": 8.0}
        self.assertIn("starts to over-fit", writeup.fit_sentence(99.9, 99.2, plain))
        self.assertIn("(averaged over each epoch as it trained, with dropout on) is 0.11 points "
                      "above test, a small gap", writeup.fit_sentence(99.58, 99.47,
                                                                     {"dropout": 0.05}))
        self.assertIn("(averaged over each epoch as it trained) stays 0.10 points below test",
                      writeup.fit_sentence(99.0, 99.1, plain))
        self.assertIn("with dropout and rotation on) stays", writeup.fit_sentence(99.0, 99.1, m3))
        self.assertIn("No seed holds >= 99.40%", writeup.bar_sentence(
            [seeds.seed_stats({"test_acc": [99.0, 99.41, 99.2, 99.35, 99.3]})]))
        self.assertEqual(seeds.over_seeds([99.1]), "Final test 99.10% (1 seed)")
        margin = {"final_mean": 99.50, "lowest": 99.42}
        self.assertEqual(writeup.margin_sentence(margin, [
            seeds.seed_stats({"test_acc": [99.5, 99.45, 99.42, 99.47, 99.48]}),
            seeds.seed_stats({"test_acc": [99.5, 99.55, 99.52, 99.50, 99.50]})]),
            "Margin: mean final accuracy 99.49% against a target of 99.50% (**missed by 0.01 "
            "points**); lowest of the last 4 epochs of every seed 99.42% against 99.42% (met).")
        self.assertIsNone(writeup.margin_sentence(None, []))

    def test_ablations_are_a_table_of_what_they_change_and_hold(self):
        ablation_dir = self.results / "ablations" / "no-rotation"
        fake_results(ablation_dir, "m4", [{**self.RUNS[0], "test_acc": [98.0, 99.0, 99.1, 99.3, 99.2]}])
        seeds_json = ablation_dir / "m4" / "seeds.json"
        recipe = {**dataclasses.asdict(get_stage("m4").recipe), "rotation_degrees": 0.0}
        del recipe["ema_momentum"]  # written before the field existed: its default applies
        seeds_json.write_text(json.dumps({**json.loads(seeds_json.read_text()), "recipe": recipe}))
        (ablation_dir / "m4" / "seed0" / "metrics.json").write_text(json.dumps(
            {"architecture": dataclasses.asdict(get_stage("m4").architecture), "history": []}))
        registry = [Experiment("m4-ablation-no-rotation", "m4", "ablation", "why",
                               kind="ablation", recorded="ablations/no-rotation", seeds=(0,))]
        self.assertEqual(results.load_ablations(self.results, "m4"), {})  # not in the registry
        ablations = results.load_ablations(self.results, "m4", registry)
        self.assertEqual(list(ablations), ["no-rotation"])
        text = writeup.stage_writeup("m4", results.load_results(self.results, "m4"),
                                    ablations=ablations)
        self.assertIn("- 1 ablation (one change each, from m4 as it was then) is a table in "
                      "[docs/results.md](docs/results.md), with their commands", text)
        self.assertIn("| no-rotation | `--rotation_degrees=0` | 0 | 99.00 | 99.20 | 0 of 1 |",
                      pages.results_page(self.results, registry))

    def test_changes_from_the_stage_are_the_flags_that_make_them(self):
        stage = get_stage("m5")
        result = {"recipe": {**dataclasses.asdict(stage.recipe), "ema_momentum": 0.99,
                             "step_size": None},
                  "architecture": {**changes.asdict_json(stage.architecture),
                                   "bn_before_relu": False}}
        self.assertEqual(changes.changes_from_stage("m5", result),
                         "`--ema_momentum=0.99` `--nobn_before_relu`")
        self.assertEqual(changes.changes_from_stage("m5", {"recipe": dataclasses.asdict(
            stage.recipe), "architecture": None}), "`architecture not recorded`")
        same = {"recipe": dataclasses.asdict(stage.recipe),
                "architecture": changes.asdict_json(stage.architecture)}
        self.assertEqual(changes.changes_from_stage("m5", same), "none (today's m5)")
        self.assertEqual(changes.changes_from_stage("m5", {**same, "input": "dataset"}),
                         "none (today's m5)")
        self.assertEqual(changes.changes_from_stage("m5", {**same, "input": "arrays"}),
                         "`--input=arrays`")
        other_plan = {**same, "architecture": {**same["architecture"], "plan": [
            {"filters": 8, "kernel_size": 3, "padding": "valid", "activation": True}, "pool",
            {"filters": 10, "kernel_size": 1, "padding": "same", "activation": False}]}}
        self.assertEqual(changes.changes_from_stage("m5", other_plan), "`--plan=8v,P,10x1l`")
        # A plan recorded before Conv had `separable` reads as plain convs: no change.
        old_record = {**same, "architecture": {**same["architecture"], "plan": [
            item if item == "pool" else {k: v for k, v in item.items() if k != "separable"}
            for item in same["architecture"]["plan"]]}}
        self.assertEqual(changes.changes_from_stage("m5", old_record), "none (today's m5)")
        self.assertEqual(changes.changes_from_stage("m6", same),
                         "`--optimizer=adamw` `--lr=0.005` `--weight_decay=0.01` "
                         "`--translation_pixels=0` `--plan=10v,16v,P,8x1,16v,16v,16v,10x1l`")

    def test_held_out_runs_come_from_the_registry_each_from_its_own_folder(self):
        fake_results(self.results / "holdout-m6" / "small", "m5", self.RUNS)
        fake_results(self.results / "holdout" / "other", "m5", self.RUNS)
        fake_results(self.results / "holdout" / "unregistered", "m5", self.RUNS)
        entries = [Experiment("small", "m6", "f", "why", kind="holdout",
                              recorded="holdout-m6/small", seeds=(0, 1), trained_as="m5"),
                   Experiment("other", "m5", "f", "why", kind="holdout",
                              recorded="holdout/other", seeds=(0, 1))]
        self.assertEqual(list(results.load_holdouts(self.results, "m6", entries)), ["small"])
        self.assertEqual(list(results.load_holdouts(self.results, "m5", entries)), ["other"])
        registered = results.load_holdouts(REPO / "results", "m6")
        self.assertEqual(list(registered)[-1], "4960-separable-32+batch-16+translation-1")

    def test_held_out_runs_are_a_table_and_todays_recipe_is_ranked(self):
        for name, shift, recipe in (("chosen", 0.0, get_stage("m4").recipe),
                                    ("other", -0.1, get_stage("m4").recipe_with(lr=0.1))):
            holdout_dir = self.results / "holdout" / name
            fake_results(holdout_dir, "m4", [
                {**run, "test_acc": [a + shift for a in run["test_acc"]],
                 "test_loss": [0.05, 0.02 + run["seed"] / 100 - shift]} for run in self.RUNS])
            seeds_json = holdout_dir / "m4" / "seeds.json"
            seeds_json.write_text(json.dumps({
                **json.loads(seeds_json.read_text()), "evaluated_on": "the last 5,000 training "
                "images, held out", "recipe": dataclasses.asdict(recipe),
                "architecture": dataclasses.asdict(get_stage("m4").architecture)}))
        entries = [Experiment(name, "m4", "f", "why", kind="holdout", recorded=f"holdout/{name}",
                              seeds=(0, 1)) for name in ("chosen", "other")]
        holdouts = results.load_holdouts(self.results, "m4", entries)
        text = writeup.stage_writeup("m4", results.load_results(self.results, "m4"),
                                    holdouts=holdouts)
        self.assertIn("on the seeds both ran, today's m4 recipe (chosen) has a higher mean of the "
                      "last 4 epochs than 1 of the 1 other held-out runs and a lower final "
                      "loss than 1 of them.", text)
        self.assertNotIn("Above it on both", text)
        self.assertIn("- The 2 held-out runs are tables in [docs/results.md](docs/results.md)",
                      text)
        page = pages.results_page(self.results, entries)
        self.assertIn("## m4: held-out comparison", page)
        self.assertIn("| chosen | none (today's m4) | 0, 1 | 99.49 | 99.40, 99.42 | 0.0250 | why | "
                      "- |", page)
        self.assertIn("| other | `--lr=0.1` | 0, 1 | 99.39 | 99.30, 99.32 | 0.1250 | why |", page)
        self.assertIn("## m4, held out other", page)
        self.assertIn("| seed | best held-out % (epoch) |", page)
        self.assertIn("Final held-out accuracy over 2 seeds", page)

    def test_held_out_runs_above_todays_recipe_on_both_counts_are_named(self):
        holdouts = {
            name: {**result, "runs": [
                {"seed": seed, "test_acc": [99.0, acc], "test_loss": [0.05, loss]}
                for seed in (0, 1)]}
            for name, acc, loss, result in (
                ("today", 99.40, 0.020, {"recipe": dataclasses.asdict(get_stage("m4").recipe),
                                         "architecture": dataclasses.asdict(
                                             get_stage("m4").architecture)}),
                ("wider", 99.45, 0.018, {}), ("luckier", 99.45, 0.022, {}))}
        sentence = writeup.holdout_choice_sentence("m4", holdouts)
        self.assertIn("than 0 of the 2 other held-out runs and a lower final loss than 1 of them.",
                      sentence)
        self.assertTrue(sentence.endswith(
            "Above it on both, and not confirmed on the test set: wider."), sentence)

    def test_the_frontier_is_a_figure_and_a_row_per_benchmark(self):
        page = pages.results_page(self.results)
        self.assertIn("## Parameters against consistency", page)
        self.assertIn("![parameters against consistency](frontier.png)", page)
        self.assertIn("| m4 | 7,592 | test | 2 | 99.40 | 2 of 2 |", page)

    def test_tuning_seeds_are_kept_apart_and_each_seed_is_a_row(self):
        fake_results(self.results / "m4-tuning", "m4", [{**self.RUNS[0], "seed": 0}])
        seeds_json = self.results / "m4-tuning" / "m4" / "seeds.json"
        seeds_json.write_text(json.dumps({
            **json.loads(seeds_json.read_text()),
            "recipe": dataclasses.asdict(get_stage("m4").recipe_with(lr=0.1)),
            "architecture": dataclasses.asdict(get_stage("m4").architecture)}))
        fake_results(self.results / "five", "m4", [{**self.RUNS[0], "seed": k} for k in range(3, 8)])
        registry = [Experiment("m4-tuning", "m4", "tuning", "why", kind="tuning",
                               recorded="m4-tuning", seeds=(0,))]
        tuning = results.load_tuning(self.results, "m4", registry)
        text = writeup.stage_writeup("m4", results.load_results(self.results / "five", "m4"),
                                    tuning=tuning)
        self.assertIn("- Seeds 0, looked at while m4 was chosen (kept apart in "
                      "`results/m4-tuning/`, `--lr=0.1` changed since): final test 99.50% (1 "
                      "seed); lowest of the last 4 99.40%; 1 of 1 seeds hold 99.40%.", text)
        self.assertIn("| seed | 3 | 4 | 5 | 6 | 7 |\n|---|--:|--:|--:|--:|--:|\n"
                      "| lowest of last 4 % | 99.40 | 99.40 | 99.40 | 99.40 | 99.40 |\n"
                      "| first epoch >= 99.40 | 2 | 2 | 2 | 2 | 2 |\n"
                      "| final % | 99.50 | 99.50 | 99.50 | 99.50 | 99.50 |", text)
        self.assertIn("## m4, tuning seeds m4-tuning", pages.results_page(self.results, registry))

    def test_an_earlier_failed_confirmation_is_reported(self):
        group = self.results / "m4-confirmation-100-101"
        fake_results(group, "m4", [{**self.RUNS[0], "seed": 100}, {**self.RUNS[1], "seed": 101}])
        seeds_json = group / "m4" / "seeds.json"
        seeds_json.write_text(json.dumps({
            **json.loads(seeds_json.read_text()),
            "recipe": dataclasses.asdict(get_stage("m4").recipe_with(lr=0.1)),
            "architecture": dataclasses.asdict(get_stage("m4").architecture)}))
        registry = [Experiment("m4-confirmation-100-101", "m4", "confirmation", "why",
                               kind="confirmation", recorded="m4-confirmation-100-101",
                               seeds=(100, 101))]
        earlier = results.load_earlier_confirmations(self.results, "m4", registry)
        self.assertEqual(list(earlier), ["m4-confirmation-100-101"])
        text = writeup.stage_writeup("m4", results.load_results(self.results, "m4"),
                                    earlier=earlier)
        self.assertIn("- An earlier confirmation, seeds 100, 101 (`results/m4-confirmation-100-101/`, "
                      "trained as today's m4 with `--lr=0.1`), failed: final test over 2 seeds ",
                      text)
        self.assertIn("## m4, earlier confirmation m4-confirmation-100-101",
                      pages.results_page(self.results, registry))

    def test_the_teachers_table_reads_each_folds_last_epoch_and_the_full_teachers_test(self):
        self.assertEqual(writeup.teachers_table(self.results), [])
        params = {"trainable": 9, "non_trainable": 1, "total": 10}
        for folder, runs in (("teachers", self.RUNS), ("teachers/full", self.RUNS[:1])):
            (self.results / folder / "teacher-16").mkdir(parents=True)
            (self.results / folder / "teacher-16" / "seeds.json").write_text(json.dumps(
                {"params": params, "epochs": 5, "architecture": {}, "runs": runs}))
        header, rule, row = writeup.teachers_table(self.results)
        self.assertIn("| fold 0 | fold 1 | fold 2 |", header)
        # folds 0 and 1 end at 99.50 and 99.70; the full teacher's test 99.50; 72 s, 50 s and
        # 72 s of training: a median of 1.2 minutes
        self.assertEqual(row, "| teacher-16 | 10 | 5 | 99.50 | 99.70 | - | - | - | - | 99.60 | "
                              "99.50 | 1 |")

    def test_an_ensembles_row_reads_its_students_record_and_sums_its_members_minutes(self):
        params = {"trainable": 9, "non_trainable": 1, "total": 10}
        members = self.results / "teachers" / "m5-ensemble-4" / "m5"
        members.mkdir(parents=True)
        # two members on fold 0 (seeds 6, 12): 72 s + 50 s; one on fold 1 (seed 7): 50 s
        runs = [dict(self.RUNS[0], seed=6), dict(self.RUNS[1], seed=12),
                dict(self.RUNS[1], seed=7)]
        (members / "seeds.json").write_text(json.dumps(
            {"params": params, "epochs": 5, "architecture": {}, "runs": runs}))
        student = Experiment("m5-taught", "m5", "teacher", "why", kind="candidate",
                             baseline="m5-fused-baseline",
                             changes=(("teacher", "m5-ensemble-4"),))
        student.seeds_json(self.results).parent.mkdir(parents=True)
        student.seeds_json(self.results).write_text(json.dumps(
            {"architecture": {}, "runs": [dict(self.RUNS[0], teacher_acc=99.61),
                                          dict(self.RUNS[1], teacher_acc=99.55)]}))
        header, rule, row = writeup.teachers_table(self.results, [student])
        self.assertEqual(row, "| m5-ensemble-4 (4 runs of m5) | 4 × 10 | 5 | 99.61 | 99.55 | "
                              "- | - | - | - | 99.58 | not trained | 1 |")

    def test_the_speed_tables_come_from_one_file_per_machine(self):
        self.assertEqual(pages.speed_section(self.results), [])
        rows = [{"name": name, "input": "dataset", "train_seconds": seconds, "eval_seconds": 0.8,
                 "first_epoch_extra_seconds": 2.0, "images_per_second": 6316,
                 "final_test_acc": 98.9} for name, seconds in (("keras tensorflow", 9.5),
                                                                ("pytorch reference", 7.6))]
        (self.results / "speed").mkdir()
        (self.results / "speed" / "epyc-avx2-2-cores.json").write_text(json.dumps({
            "epochs": 3, "runs": rows, "command": "python main.py --mode=speed", "idle": False,
            "load": [{"when": "before", "load_average": [2.0, 2, 2],
                      "busy_others": [["python", 0.9]]}],
            "machine": {"cpu": "EPYC, AVX2", "cores": 2, "gpu": "no GPU"}}))
        lines = pages.speed_section(self.results, full=True)
        self.assertEqual(lines[0], "## Speed")
        self.assertIn("| epyc-avx2-2-cores | 1 | **no** | Keras' own ops (before the fused "
                      "kernel) | 1.25 | 1.25 (keras tensorflow) | 7.60 |", lines[1])
        self.assertEqual(lines[2], "### epyc-avx2-2-cores")
        self.assertIn("`python main.py --mode=speed` -> `results/speed/epyc-avx2-2-cores.json`",
                      lines[3])
        self.assertIn("| keras tensorflow | dataset | 9.50 | 0.80 | 2.00 | 6,316 | 1.25 | 98.90 |",
                      lines[3])
        self.assertIn("NOT IDLE: other processes were busy while it ran (python)", lines[3])
        self.assertIn(lines[3], pages.results_page(self.results))
        title, table, link = pages.speed_section(self.results)  # README: ratios, a link
        self.assertEqual(title, "### Speed")
        self.assertIn("| epyc-avx2-2-cores |", table)
        self.assertIn("[docs/results.md](docs/results.md#speed)", link)
        self.assertNotIn("| keras tensorflow |", table)
        # Once a machine has a file of today's code path (fused BatchNorm), README shows those
        # and names the machines measured only before it; results.md keeps every table.
        (self.results / "speed" / "epyc-avx-512-2-cores.json").write_text(json.dumps({
            "epochs": 3, "runs": rows, "command": "python main.py --mode=speed", "idle": True,
            "load": [], "batch_norm": "fused",
            "machine": {"cpu": "EPYC, AVX-512", "cores": 2, "gpu": "no GPU"}}))
        _, table, link = pages.speed_section(self.results)
        self.assertIn("| epyc-avx-512-2-cores | 1 | yes | TensorFlow's fused kernel |", table)
        self.assertNotIn("| epyc-avx2-2-cores |", table)
        self.assertIn("Measured only before BatchNorm's fused kernel: epyc-avx2-2-cores.", link)
        self.assertIn("| epyc-avx2-2-cores |", pages.speed_section(self.results, full=True)[1])

    def test_results_section_and_readme_markers(self):
        fake_results(self.results, "m5", self.RUNS)
        section = pages.results_section(self.results)
        self.assertFalse((self.results / "stages.png").exists())  # figures: their own step
        pages.redraw_figures(self.results)
        self.assertTrue((self.results / "stages.png").read_bytes().startswith(b"\x89PNG"))
        self.assertTrue((self.results / "m5" / "seed1" / "curves.png").is_file())
        self.assertLess(section.index("### m4"), section.index("### m5"))
        self.assertIn("![parameters against consistency](docs/frontier.png)", section)
        self.assertIn("| m5 | 7,432 / 160 / 7,592 | 18 | 2 | 99.70 | 99.60 +- 0.14 | 99.40 | 2 of 2 |",
                      section)
        self.assertIn("params trainable 7,432 / non-trainable 160 / total 7,592",
                      (self.results / "m5" / "seeds.md").read_text())
        self.assertNotIn("### Against PyTorch", section)
        readme = self.results / "README.md"
        readme.write_text(f"intro\n{pages.README_BEGIN}\nold\n{pages.README_END}\nafter\n")
        pages.update_readme(readme, "new section")
        self.assertEqual(readme.read_text(), f"intro\n{pages.README_BEGIN}\nnew section\n"
                                             f"{pages.README_END}\nafter\n")

    def test_the_pytorch_reference_gets_a_table_and_a_clause_in_the_claim(self):
        reference = self.results / "m4" / "torch"
        reference.mkdir()
        runs = [{**run, "test_acc": [a - 0.1 for a in run["test_acc"]]} for run in self.RUNS]
        (reference / "seeds.json").write_text(json.dumps(
            {"runs": runs, "architecture": {"init": "torch"}}))
        section = pages.results_section(self.results)
        self.assertIn("### Against PyTorch", section)
        self.assertIn("| m4 | 2 / 2 | 99.40 | 99.60 ± 0.14 | 99.50 ± 0.14 |", section)
        self.assertIn("the PyTorch reference's 2 seeds average 99.50 ± 0.14% "
                      "(`results/m4/torch/`).", section)
        self.assertIn("## Keras against PyTorch, by initialisation", pages.results_page(
            self.results))


if __name__ == "__main__":
    unittest.main()
