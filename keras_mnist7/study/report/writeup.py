"""The words of the report: the stage table, and each stage's Target, Result and Analysis,
from the registry and the result files only."""

import json
import math
import statistics
from pathlib import Path

from keras_mnist7.model.builders import build_model, param_counts
from keras_mnist7.model.receptive_field import receptive_field
from keras_mnist7.run.distillation import FULL
from keras_mnist7.run.seeds import over_seeds, params_text, pct, seed_stats
from keras_mnist7.spec.bar import BAR, LAST_EPOCHS
from keras_mnist7.spec.run_spec import RESULTS_DIR
from keras_mnist7.spec.stages import (
    ENSEMBLES,
    STAGES,
    TEACHERS,
    Recipe,
    get_ensemble,
    get_stage,
    with_defaults,
)
from keras_mnist7.study.report import fidelity
from keras_mnist7.study.report.changes import changes_from_stage
from keras_mnist7.study.report.results import read_benchmark
from keras_mnist7.study.search.experiments import REGISTRY, as_flags
from keras_mnist7.study.search.protocol import (
    ALL_FOLDS,
    PASS_GAIN,
    Decision,
    FoldScore,
    fold_scores,
    paired,
    verdict,
)


def schedule_text(recipe):
    decay = f", wd={recipe.weight_decay:g}" if recipe.weight_decay else ""
    nesterov = ", nesterov" if recipe.nesterov else ""
    optimizer = (f"AdamW(beta_1={recipe.momentum}{decay})" if recipe.optimizer == "adamw" else
                 f"SGD(m={recipe.momentum}{nesterov}{decay})")
    if recipe.schedule == "cosine":
        held = f", held {recipe.cooldown_epochs} epochs" if recipe.cooldown_epochs else ""
        return (f"{optimizer} lr 0 -> {recipe.lr:g} in {recipe.warmup_epochs} epochs, cosine to "
                f"{recipe.min_lr:g}{held}")
    if recipe.step_size is None:
        return f"{optimizer} lr {recipe.lr:g} constant"
    return f"{optimizer} lr {recipe.lr:g}, x{recipe.gamma:g} every {recipe.step_size} epochs"


def stage_table(stages=STAGES):
    """One row per stage: params as Keras and PyTorch count them, receptive field, recipe."""
    lines = ["| stage | trainable | non-trainable | total | RF | recipe | epochs | batch | "
             "dropout | augmentation | init |",
             "|---|--:|--:|--:|--:|---|--:|--:|--:|--:|---|"]
    for name in stages:
        model, stage = build_model(name), get_stage(name)
        recipe = stage.recipe
        params = param_counts(model)
        dropout = "-" if recipe.dropout is None else f"{recipe.dropout:g}"
        augmentation = ", ".join(
            [f"rotate +-{recipe.rotation_degrees:g} deg"] * bool(recipe.rotation_degrees)
            + [f"shift +-{recipe.translation_pixels:g} px"] * bool(recipe.translation_pixels)) or "-"
        lines.append(
            f"| {name} | {params['trainable']:,} | {params['non_trainable']:,} | "
            f"{params['total']:,} | {receptive_field(model)} | {schedule_text(recipe)} | "
            f"{recipe.epochs} | {recipe.batch_size} | {dropout} | {augmentation} | "
            f"{stage.architecture.init} |")
    return "\n".join(lines)


def fit_sentence(train_mean, test_mean, recipe):
    """Under- or over-fitting, from train and test accuracy averaged over the last 4 epochs.

    Keras' train accuracy is a mean over each epoch while the weights still move, with the
    recipe's (recorded, a dict) dropout and augmentation on: it reads low against test.
    """
    gap = train_mean - test_mean
    where = f"Over the last 4 epochs, train averages {train_mean:.2f}% and test {test_mean:.2f}%"
    on = [name for name, key in (("dropout", "dropout"), ("rotation", "rotation_degrees"),
                                 ("translation", "translation_pixels")) if recipe.get(key)]
    measured = "averaged over each epoch as it trained" + (f", with {' and '.join(on)} on"
                                                           if on else "")
    if gap < 0:
        return (f"{where}: train ({measured}) stays {-gap:.2f} points below test, so no "
                "over-fitting; what holds the network back is capacity or what makes training "
                "harder (under-fitting).")
    if gap < 0.3:
        return (f"{where}: train ({measured}) is {gap:.2f} points above test, a small gap: "
                "little over-fitting.")
    return f"{where}: train is {gap:.2f} points above test, the network starts to over-fit."


def stability_sentence(stats):
    swing = max(max(s.last4) - min(s.last4) for s in stats)
    verdict = "steady" if swing <= 0.15 else "not settled"
    return (f"The last 4 epochs of a seed span at most {swing:.2f} points: the curve is "
            f"{verdict} at the end.")


def bar_sentence(stats):
    holding = sum(s.holds_bar for s in stats)
    lowest = min(s.min_last4 for s in stats)
    best = max(s.best for s in stats)
    if holding == len(stats):
        return (f"Every seed ({holding} of {len(stats)}) holds >= {BAR:.2f}% in each of the last "
                f"4 epochs; the lowest of those epochs is {lowest:.2f}%.")
    if best < BAR:
        return (f"No epoch of any seed reaches {BAR:.2f}% (best {best:.2f}%): the assignment's "
                "bar is not met.")
    if holding == 0:
        return (f"No seed holds >= {BAR:.2f}% in each of the last 4 epochs (best single epoch "
                f"{best:.2f}%, lowest of the last 4 {lowest:.2f}%): the bar is not met.")
    return (f"Only {holding} of {len(stats)} seeds hold >= {BAR:.2f}% in each of the last 4 epochs "
            f"(lowest of those epochs: {lowest:.2f}%): the bar is not met consistently.")


def margin_sentence(margin, stats):
    """The stage's margin over the bar, met or missed, and by how much."""
    if margin is None:
        return None
    mean = statistics.mean(s.final for s in stats)
    lowest = min(s.min_last4 for s in stats)

    def verdict(value, target):
        return "met" if value >= target - 1e-9 else f"**missed by {target - value:.2f} points**"

    return (f"Margin: mean final accuracy {mean:.2f}% against a target of "
            f"{margin['final_mean']:.2f}% ({verdict(mean, margin['final_mean'])}); lowest of the "
            f"last 4 epochs of every seed {lowest:.2f}% against {margin['lowest']:.2f}% "
            f"({verdict(lowest, margin['lowest'])}).")


def _seeds_text(runs):
    seeds = [run["seed"] for run in runs]
    contiguous = len(seeds) > 2 and seeds == list(range(seeds[0], seeds[0] + len(seeds)))
    return f"{seeds[0]}-{seeds[-1]}" if contiguous else ", ".join(map(str, seeds))


def holdout_table(stage, holdouts, experiments=()):
    """One row per held-out benchmark (scored on held-out training images, never the test
    set): mean and per-seed lowest of the last 4 epochs, and the final loss, which tells
    recipes apart with fewer images than accuracy does; why it ran and what it led to, from
    its registry entry in `experiments`."""
    entries = {experiment.name: experiment for experiment in experiments}
    lines = [f"| held out | changes from today's {stage} | seeds | last 4, mean % | lowest of last 4 "
             "per seed % | final loss, mean | why | decision |", "|---|---|---|--:|---|--:|---|---|"]
    for name, result in holdouts.items():
        runs = result["runs"]
        last4 = statistics.mean(a for run in runs for a in run["test_acc"][-LAST_EPOCHS:])
        loss = statistics.mean(run["test_loss"][-1] for run in runs)
        entry = entries.get(name)
        lines.append(f"| {name} | {changes_from_stage(stage, result)} | {_seeds_text(runs)} | "
                     f"{last4:.2f} | {pct(min(run['test_acc'][-LAST_EPOCHS:]) for run in runs)} | "
                     f"{loss:.4f} | {entry.why if entry else '-'} | "
                     f"{(entry.decision if entry else None) or '-'} |")
    return lines


def holdout_choice_sentence(stage, holdouts):
    """How today's recipe compares with each other held-out run, on the seeds both ran; the
    runs that read above it on both counts (a search gone on after the choice) are named."""
    today = [name for name, r in holdouts.items()
             if changes_from_stage(stage, r).startswith("none")]
    if not today or len(holdouts) < 2:
        return None
    name = today[0]
    mine = {run["seed"]: run for run in holdouts[name]["runs"]}
    better_accuracy = better_loss = 0
    above = []
    others = {other: r for other, r in holdouts.items() if other != name}
    for other, result in others.items():
        pairs = [(mine[run["seed"]], run) for run in result["runs"] if run["seed"] in mine]
        last4 = [statistics.mean(a for run in side for a in run["test_acc"][-LAST_EPOCHS:])
                 for side in zip(*pairs)]
        loss = [statistics.mean(run["test_loss"][-1] for run in side) for side in zip(*pairs)]
        better_accuracy += last4[0] > last4[1]
        better_loss += loss[0] < loss[1]
        if last4[1] > last4[0] and loss[1] < loss[0]:
            above.append(other)
    sentence = (f"Chosen on held-out training images, never on the test set: on the seeds both "
                f"ran, today's {stage} recipe ({name}) has a higher mean of the last 4 epochs "
                f"than {better_accuracy} of the {len(others)} other held-out runs and a lower "
                f"final loss than {better_loss} of them.")
    if above:
        sentence += (f" Above it on both, and not confirmed on the test set: "
                     f"{', '.join(above)}.")
    return sentence


def ablation_table(stage, ablations):
    """One row per ablation: what it changes from today's stage, and what its seeds held."""
    lines = [f"| ablation | changes from today's {stage} | seeds | lowest of last 4 per seed % | "
             f"final test %, mean | seeds holding {BAR:.2f} |", "|---|---|---|---|--:|--:|"]
    for name, ablation in ablations.items():
        stats = [seed_stats(run) for run in ablation["runs"]]
        lines.append(f"| {name} | {changes_from_stage(stage, ablation)} | "
                     f"{_seeds_text(ablation['runs'])} | {pct(s.min_last4 for s in stats)} | "
                     f"{statistics.mean(s.final for s in stats):.2f} | "
                     f"{sum(s.holds_bar for s in stats)} of {len(stats)} |")
    return lines


def per_seed_table(stats, runs):
    """Result of a benchmark seed by seed, what the assignment asks of each: one column a seed,
    so that ten seeds take five lines."""
    def row(name, cells):
        return f"| {name} | " + " | ".join(cells) + " |"

    return [row("seed", [str(run["seed"]) for run in runs]),
            "|---|" + "--:|" * len(runs),
            row("lowest of last 4 %", [f"{s.min_last4:.2f}" for s in stats]),
            row(f"first epoch >= {BAR:.2f}", [str(s.first_at_bar or "never") for s in stats]),
            row("final %", [f"{s.final:.2f}" for s in stats])]


def tuning_sentence(stage, tuning):
    """The test-set runs of the seeds that were looked at while the stage was chosen."""
    if tuning is None:
        return None
    return (f"Seeds {_seeds_text(tuning['runs'])}, looked at while {stage} was chosen (kept "
            f"apart in `results/{stage}-tuning/`, {changes_from_stage(stage, tuning)} changed "
            f"since): {_outcome(tuning['runs'])}.")


def _outcome(runs):
    """'final test ...; lowest of the last 4 X%; N of M seeds hold 99.40%' of a benchmark."""
    stats = [seed_stats(run) for run in runs]
    return (f"{over_seeds([s.final for s in stats]).lower()}; lowest of the last 4 "
            f"{min(s.min_last4 for s in stats):.2f}%; "
            f"{sum(s.holds_bar for s in stats)} of {len(stats)} seeds hold {BAR:.2f}%")


def earlier_confirmation_sentence(stage, name, result):
    """What an earlier, failed confirmation showed, and how its recipe differs from today's."""
    return (f"An earlier confirmation, seeds {_seeds_text(result['runs'])} (`results/{name}/`, "
            f"trained as today's {stage} with {changes_from_stage(stage, result)}), failed: "
            f"{_outcome(result['runs'])}.")


def stage_writeup(stage, result, next_stage=None, image_prefix="results/", ablations=None,
                  holdouts=None, tuning=None, earlier=None, reference=None, cv=None):
    """One stage under its title: exactly three headings, Target, Result, Analysis.
    `reference`: the stage's PyTorch reference result (seeds.json's data), if it has run.
    `cv`: the sentence on its cross-validated search (cv_sentence), if it has one."""
    entry = get_stage(stage)
    stats = [seed_stats(run) for run in result["runs"]]
    first, first_stats = result["runs"][0], stats[0]
    finals_test = [s.final for s in stats]
    params = result["params"]
    seeds = ", ".join(str(run["seed"]) for run in result["runs"])
    median_seconds = statistics.median(t for run in result["runs"] for t in run["epoch_seconds"])
    result_lines = [
        f"- Params: {params_text(params)}; receptive field "
        f"{result['first_run']['receptive_field']} px; {result['epochs']} epochs; seeds {seeds}",
        f"- Seed {first['seed']}: best train {max(first['train_acc']):.2f}%, best test "
        f"{first_stats.best:.2f}% (epoch {first_stats.best_epoch}); last 4 test "
        f"{pct(first_stats.last4)}% ([curves]({image_prefix}{result['curves']}))",
        f"- {over_seeds(finals_test)}; lowest of the last 4 epochs "
        f"{min(s.min_last4 for s in stats):.2f}%; seeds with each of the last 4 >= {BAR:.2f}%: "
        f"{sum(s.holds_bar for s in stats)} of {len(stats)}",
        f"- Median epoch {median_seconds:.1f} s ({result['device']}); from "
        f"`{Path('results') / stage / 'seeds.json'}`, made by `{result['command']}`",
        *([f"- {line}"] if (line := tuning_sentence(stage, tuning)) else []),
        *[f"- {earlier_confirmation_sentence(stage, name, r)}"
          for name, r in (earlier or {}).items()],
        *(["", *per_seed_table(stats, result["runs"])] if len(stats) >= 5 else []),
    ]
    last4_mean = lambda key: statistics.mean(a for run in result["runs"] for a in run[key][-LAST_EPOCHS:])
    analysis = [fit_sentence(last4_mean("train_acc"), last4_mean("test_acc"),
                             with_defaults(Recipe, result.get("recipe") or {})),
                stability_sentence(stats), bar_sentence(stats),
                margin_sentence(entry.margin, stats),
                fidelity.claim_sentence(stage, result["runs"], reference and reference["runs"]),
                holdouts and holdout_choice_sentence(stage, holdouts), cv]
    if next_stage is not None:
        analysis.append(f"Next, {next_stage}: {get_stage(next_stage).target[0][0].lower()}"
                        f"{get_stage(next_stage).target[0][1:]}.")
    tables = ([f"the {len(holdouts)} held-out runs"] if holdouts else []) + (
        [f"{len(ablations)} ablation{'s' if len(ablations) > 1 else ''} (one change each, "
         f"from {stage} as it was then)"] if ablations else [])
    if tables:
        named = " and ".join(tables)
        verb = "is a table" if len(holdouts or ()) + len(ablations or ()) == 1 else "are tables"
        analysis.append(f"{named[0].upper()}{named[1:]} {verb} in "
                        "[docs/results.md](docs/results.md), with their commands, revisions and "
                        "per-epoch numbers.")
    return "\n".join([f"### {stage}", "", "#### Target",
                      *[f"- {item}" for item in entry.target], "", "#### Result",
                      *result_lines, "", "#### Analysis",
                      *[f"- {line}" for line in analysis if line]])


def comparison_table(results):
    lines = ["| stage | params trainable / non-trainable / total | RF | seeds | best test % | final test % "
             "(mean +- std) | lowest of last 4 % | " f"seeds holding {BAR:.2f} |",
             "|---|--:|--:|--:|--:|--:|--:|--:|"]
    for stage, result in results.items():
        stats = [seed_stats(run) for run in result["runs"]]
        finals = [s.final for s in stats]
        final = (f"{statistics.mean(finals):.2f} +- {statistics.stdev(finals):.2f}"
                 if len(finals) > 1 else f"{finals[0]:.2f}")
        lines.append(
            f"| {stage} | {result['params']['trainable']:,} / {result['params']['non_trainable']:,} / "
            f"{result['params']['total']:,} | "
            f"{result['first_run']['receptive_field']} | {len(stats)} | "
            f"{max(s.best for s in stats):.2f} | {final} | "
            f"{min(s.min_last4 for s in stats):.2f} | "
            f"{sum(s.holds_bar for s in stats)} of {len(stats)} |")
    return "\n".join(lines)


def cv_table(stage, experiments, results_dir=RESULTS_DIR):
    """Every cross-validated experiment of `stage` (the registry's, in its order), read from its
    result files: what it changes, its params, the folds run, the paired gains over its
    baseline (in the mean and in the lowest of the last 4 epochs) with their standard errors,
    final losses, and the protocol's decision."""
    lines = ["| experiment | family | changes | params | folds | last-4 held-out %, mean | "
             "paired with | paired gain, points (± s.e., t) | lowest of last 4: paired gain | "
             "final loss, candidate / baseline | decision |",
             "|---|---|---|--:|---|--:|---|--:|--:|--:|---|"]
    experiments = list(experiments)
    by_name = {experiment.name: experiment for experiment in experiments}
    for experiment in experiments:
        if experiment.stage != stage or not experiment.runnable:
            continue
        scores = fold_scores(experiment.seeds_json(results_dir))
        params = (json.loads(experiment.seeds_json(results_dir).read_text())["params"]["total"]
                  if scores else None)
        changes = " ".join(f"`{flag}`" for flag in experiment.flags()) or "none"
        level = (f"{statistics.mean(s.last4 for s in scores.values()):.2f}" if scores else "-")
        gain = lowest = loss = "-"
        decision = "not run yet"
        if not scores:
            pass
        elif experiment.kind == "baseline":
            decision = "baseline" if len(scores) == len(ALL_FOLDS) else "baseline, running"
        else:
            base = fold_scores(by_name[experiment.baseline].seeds_json(results_dir))
            decision = verdict(scores, base)[0]
            if (comparison := paired(scores, base)) is not None:
                gain = _gain_text(comparison)
                lowest = _gain_text(paired(scores, base, metric="lowest"))
                loss = f"{comparison.loss:.4f} / {comparison.baseline_loss:.4f}"
        lines.append(f"| {experiment.name} | {experiment.family} | {changes} | "
                     f"{'-' if params is None else f'{params:,}'} | "
                     f"{','.join(map(str, sorted(scores))) or '-'} | {level} | "
                     f"{experiment.baseline or '-'} | {gain} | {lowest} | {loss} | {decision} |")
    bases = {experiment.base for experiment in experiments
             if experiment.stage == stage and experiment.runnable and experiment.base}
    for base in sorted(bases):
        names = [e.name for e in experiments if e.stage == stage and e.base == base]
        lines += ["", f"{', '.join(names)} ran over {stage} as it was then (today's {stage} "
                  f"with {' '.join(f'`{flag}`' for flag in as_flags(base))}); their changes "
                  "are over that."]
    return lines


def same_trajectory_table(experiments, results_dir=RESULTS_DIR):
    """Each experiment whose runs scored their raw weights beside the average
    (val_raw_accuracy): the average's paired gain over the raw weights of the same runs, in
    the mean and in the lowest of the last 4 held-out epochs. No rows: an empty list."""
    lines = []
    for experiment in experiments:
        folder = experiment.seeds_json(results_dir).parent
        averaged, raw = {}, {}
        for fold in ALL_FOLDS:
            metrics_json = folder / f"seed{fold}" / "metrics.json"
            if not metrics_json.exists():
                continue
            metrics = json.loads(metrics_json.read_text())
            history = metrics["history"]
            if (len(history) < metrics["recipe"]["epochs"]
                    or "val_raw_accuracy" not in history[-1]):
                continue
            for scores, prefix in ((averaged, "val_"), (raw, "val_raw_")):
                last = [round(100 * row[f"{prefix}accuracy"], 2)
                        for row in history[-LAST_EPOCHS:]]
                scores[fold] = FoldScore(fold, statistics.mean(last),
                                         history[-1][f"{prefix}loss"], min(last))
        if not averaged:
            continue
        mean, lowest = (paired(averaged, raw, metric=metric) for metric in ("last4", "lowest"))
        lines.append(f"| {experiment.name} | {','.join(map(str, mean.folds))} | "
                     f"{statistics.mean(s.last4 for s in raw.values()):.2f} / "
                     f"{statistics.mean(s.last4 for s in averaged.values()):.2f} | "
                     f"{_gain_text(mean)} | {_gain_text(lowest)} | "
                     f"{mean.baseline_loss:.4f} / {mean.loss:.4f} |")
    if not lines:
        return []
    return ["| experiment | folds | last-4 held-out %, raw / average | average's gain, mean of "
            "last 4 (± s.e., t) | average's gain, lowest of last 4 | final loss, raw / average |",
            "|---|---|--:|--:|--:|--:|", *lines]


def _ensemble_row(ensemble, results_dir, experiments):
    """An ensemble teacher's row: its accuracy on each fold is its students' record (a taught
    run scores its teacher on the images it is evaluated on); its minutes a fold are its
    members' together."""
    members = read_benchmark(Path(results_dir) / "teachers" / ensemble.name / ensemble.member
                             / "seeds.json")
    full = read_benchmark(Path(results_dir) / "teachers" / FULL / ensemble.name
                          / ensemble.member / "seeds.json")
    if not members and not full:
        return None
    scored = {}
    for experiment in experiments:
        if dict(experiment.changes).get("teacher") == ensemble.name:
            result = read_benchmark(experiment.seeds_json(results_dir)) or {"runs": ()}
            scored.update({run["seed"]: run["teacher_acc"] for run in result["runs"]
                           if "teacher_acc" in run})
    fold_cells = [f"{scored[fold]:.2f}" if fold in scored else "-" for fold in ALL_FOLDS]
    mean = f"{statistics.mean(scored.values()):.2f}" if scored else "-"
    minutes = {}
    for result in (members, full):
        for run in (result or {}).get("runs", ()):
            key = (result is full, run["seed"] % len(ALL_FOLDS))
            minutes[key] = minutes.get(key, 0) + sum(run["epoch_seconds"]) / 60
    any_run = members or full
    return (f"| {ensemble.name} ({ensemble.runs} runs of {ensemble.member}) | "
            f"{ensemble.runs} × {any_run['params']['total']:,} | {any_run['epochs']} | "
            f"{' | '.join(fold_cells)} | {mean} | {'-' if full else 'not trained'} | "
            f"{statistics.median(minutes.values()):.0f} |")


def teachers_table(results_dir=RESULTS_DIR, experiments=None):
    """Every teacher that has run: params, epochs, each fold's final held-out accuracy (the
    model its students read), their mean, the final test accuracy of the one trained on every
    training image, and its minutes of training, each read from results/teachers/ (its
    seeds.json, with the commands); an ensemble's accuracies from its students' runs."""
    lines = []
    for name in TEACHERS:
        folds = read_benchmark(Path(results_dir) / "teachers" / name / "seeds.json")
        full = read_benchmark(Path(results_dir) / "teachers" / FULL / name / "seeds.json")
        if not folds and not full:
            continue
        finals = {run["seed"]: run["test_acc"][-1] for run in (folds or {}).get("runs", ())}
        fold_cells = [f"{finals[fold]:.2f}" if fold in finals else "-" for fold in ALL_FOLDS]
        mean = f"{statistics.mean(finals.values()):.2f}" if finals else "-"
        any_run = folds or full
        minutes = [sum(run["epoch_seconds"]) / 60 for result in (folds, full) if result
                   for run in result["runs"]]
        test = f"{full['runs'][0]['test_acc'][-1]:.2f}" if full else "not trained"
        lines.append(f"| {name} | {any_run['params']['total']:,} | {any_run['epochs']} | "
                     f"{' | '.join(fold_cells)} | {mean} | {test} | "
                     f"{statistics.median(minutes):.0f} |")
    experiments = REGISTRY.values() if experiments is None else experiments
    lines += [row for name in ENSEMBLES
              if (row := _ensemble_row(get_ensemble(name), results_dir, experiments))]
    if not lines:
        return []
    return ["| teacher | params | epochs | " + " | ".join(f"fold {f}" for f in ALL_FOLDS)
            + " | folds' mean | every training image: test % | minutes a fold (median) |",
            "|---|--:|--:|" + "--:|" * len(ALL_FOLDS) + "--:|--:|--:|", *lines]


def cv_sentence(stage, experiments, results_dir=RESULTS_DIR):
    """The cross-validated search of `stage` in one sentence: how many candidates of how many
    families it judged, which passed, the largest paired gain with its standard error, and
    the candidates past the screen still running their last folds."""
    experiments = list(experiments)
    by_name = {experiment.name: experiment for experiment in experiments}
    candidates = [e for e in experiments if e.stage == stage and e.kind == "candidate"]
    judged, powering = [], []
    for experiment in candidates:
        scores = fold_scores(experiment.seeds_json(results_dir))
        base = fold_scores(by_name[experiment.baseline].seeds_json(results_dir))
        decision = verdict(scores, base)[0]
        if decision.final:
            judged.append((experiment, decision, paired(scores, base)))
        elif decision == Decision.POWERING:
            powering.append((experiment, paired(scores, base)))
    running = "; ".join(f"{e.name} {_signed(c.gain)} ± {c.standard_error:.3f} on folds "
                        f"{','.join(map(str, c.folds))}" for e, c in powering)
    running = (f" Past the screen, on their way to folds 3-5: {running}." if running else "")
    if not judged:
        return None
    passed = [e.name for e, decision, _ in judged if decision == Decision.PASSED]
    best, _, comparison = max(judged, key=lambda item: item[2].gain)
    families = len({e.family for e, _, _ in judged})
    return (f"Chosen by a cross-validated search on the training images ([docs/search.md]"
            f"(docs/search.md)): {_count(len(judged), 'candidate')} of "
            f"{_count(families, 'family', 'families')} judged"
            + (f" so far, {len(candidates) - len(judged)} not judged yet"
               if len(candidates) > len(judged) else "") + "; passed: "
            f"{', '.join(passed) or 'none'}. The largest paired gain over a baseline: "
            f"{_signed(comparison.gain)} ± {comparison.standard_error:.3f} points ({best.name} "
            f"against {best.baseline}, folds {','.join(map(str, comparison.folds))}), against "
            f"the +{PASS_GAIN:.2f} a pass "
            f"needs (table: [docs/results.md](docs/results.md)).{running}")


def _gain_text(comparison):
    """+0.053 ± 0.016, t 3.4 (no s.e. or t from one fold)."""
    t = "" if math.isnan(comparison.t) else f", t {comparison.t:.1f}"
    error = ("" if math.isnan(comparison.standard_error) else
             f" ± {comparison.standard_error:.3f}")
    return f"{_signed(comparison.gain)}{error}{t}"


def _count(number, noun, plural=None):
    """1 candidate, 2 candidates; 1 family, 3 families."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


def _signed(points):
    """+0.012, -0.034; a difference that rounds to nothing reads +0.000, never -0.000."""
    return f"{round(points, 6) + 0.0:+.3f}"
