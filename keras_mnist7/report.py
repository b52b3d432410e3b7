"""Text for people -- summary.txt, README tables -- built from the registry, the models and
the result files: no number typed by hand."""

import dataclasses
import io
import json
import statistics
from pathlib import Path

from keras_mnist7 import fidelity, frontier
from keras_mnist7.artifacts import write_text
from keras_mnist7.models import build_model, param_counts
from keras_mnist7.plots import plot_curves, plot_stage_comparison
from keras_mnist7.receptive_field import format_table, receptive_field, receptive_field_table
from keras_mnist7.architecture import POOL, Architecture, Conv, format_plan
from keras_mnist7.stages import STAGES, Recipe, get_stage, with_defaults


def model_report(model):
    """model.summary(), params as Keras and as PyTorch count them, and the receptive field."""
    buffer = io.StringIO()
    model.summary(print_fn=lambda text, **_: buffer.write(text + "\n"), line_length=78)
    params = param_counts(model)
    return (
        buffer.getvalue().rstrip() + "\n\n"
        f"Params: trainable {params['trainable']:,} / non-trainable {params['non_trainable']:,} "
        f"/ total {params['total']:,}\n"
        "(Keras counts BatchNorm moving mean/variance as non-trainable params;\n"
        " PyTorch's torchsummary, which the seed quotes, shows only the trainable ones.)\n\n"
        f"Receptive field: {receptive_field(model)} px (computed from the layers)\n"
        f"{format_table(receptive_field_table(model))}\n")


def schedule_text(recipe):
    decay = f", wd={recipe.weight_decay:g}" if recipe.weight_decay else ""
    sgd = f"SGD(m={recipe.momentum}{decay})"
    if recipe.schedule == "cosine":
        held = f", held {recipe.cooldown_epochs} epochs" if recipe.cooldown_epochs else ""
        return (f"{sgd} lr 0 -> {recipe.lr:g} in {recipe.warmup_epochs} epochs, cosine to "
                f"{recipe.min_lr:g}{held}")
    if recipe.step_size is None:
        return f"{sgd} lr {recipe.lr:g} constant"
    return f"{sgd} lr {recipe.lr:g}, x{recipe.gamma:g} every {recipe.step_size} epochs"


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


BAR = 99.40  # the assignment's test accuracy, to hold in each of the last 4 epochs


def params_text(params):
    return (f"trainable {params['trainable']:,} / non-trainable {params['non_trainable']:,} / "
            f"total {params['total']:,}")


def seed_stats(run):
    """Best, last-4 and first-at-the-bar of one run's test accuracies (percent)."""
    test = run["test_acc"]
    best = max(range(len(test)), key=test.__getitem__)
    last4 = test[-4:]
    first = next((epoch for epoch, acc in enumerate(test, 1) if acc >= BAR), None)
    return {"best": test[best], "best_epoch": best + 1, "last4": last4, "min_last4": min(last4),
            "holds_bar": len(test) >= 4 and min(last4) >= BAR, "first_at_bar": first,
            "final": test[-1]}


def seeds_table(result):
    """Markdown: one row per seed, then the aggregate (mean +- sample std over seeds)."""
    evaluated_on = result.get("evaluated_on", "the test set")
    scored = "held-out" if "held out" in evaluated_on else "test"
    lines = [f"{result['stage']}: {result['epochs']} epochs, params {params_text(result['params'])}; "
             f"{result['device']}; evaluated on {evaluated_on}", "",
             f"| seed | best {scored} % (epoch) | last 4 {scored} % | min of last 4 | first epoch "
             f">= {BAR:.2f} | median epoch s |", "|--:|--:|---|--:|--:|--:|"]
    stats = [seed_stats(run) for run in result["runs"]]
    for run, s in zip(result["runs"], stats):
        seconds = statistics.median(run["epoch_seconds"])
        lines.append(f"| {run['seed']} | {s['best']:.2f} ({s['best_epoch']}) | "
                     f"{', '.join(f'{a:.2f}' for a in s['last4'])} | {s['min_last4']:.2f} | "
                     f"{s['first_at_bar'] or 'never'} | {seconds:.1f} |")
    finals = [s["final"] for s in stats]
    mean = statistics.mean(finals)
    std = statistics.stdev(finals) if len(finals) > 1 else 0.0
    holding = sum(s["holds_bar"] for s in stats)
    over = f"{len(finals)} seeds: {mean:.2f} +- {std:.2f} % (mean +- sample std)" \
        if len(finals) > 1 else f"1 seed: {mean:.2f} %"
    lines += ["", f"Final {scored} accuracy over {over}. Seeds with every one of the last 4 epochs "
                  f">= {BAR:.2f}%: {holding} of {len(finals)}."]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Stage write-ups: Target, Result, Analysis -- from the registry and the result files only.
# ---------------------------------------------------------------------------------------------

README_BEGIN = "<!-- results:begin (python main.py --mode=report writes this part) -->"
README_END = "<!-- results:end -->"


def load_results(results_dir, stage):
    """results/<stage>/seeds.json with the first seed's metrics.json; None if not benchmarked."""
    stage_dir = Path(results_dir) / stage
    if not (stage_dir / "seeds.json").is_file():
        return None
    result = json.loads((stage_dir / "seeds.json").read_text())
    first = result["runs"][0]["seed"]
    result["first_run"] = json.loads((stage_dir / f"seed{first}" / "metrics.json").read_text())
    result["curves"] = f"{stage}/seed{first}/curves.png"
    return result


def over_seeds(finals):
    """Final test accuracy across seeds: mean +- sample std, or the one value."""
    if len(finals) == 1:
        return f"Final test {finals[0]:.2f}% (1 seed)"
    return (f"Final test over {len(finals)} seeds {statistics.mean(finals):.2f} +- "
            f"{statistics.stdev(finals):.2f}% (mean +- sample std)")


def _pct(values):
    return ", ".join(f"{v:.2f}" for v in values)


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
    swing = max(max(s["last4"]) - min(s["last4"]) for s in stats)
    verdict = "steady" if swing <= 0.15 else "not settled"
    return (f"The last 4 epochs of a seed span at most {swing:.2f} points: the curve is "
            f"{verdict} at the end.")


def bar_sentence(stats):
    holding = sum(s["holds_bar"] for s in stats)
    lowest = min(s["min_last4"] for s in stats)
    best = max(s["best"] for s in stats)
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
    mean = statistics.mean(s["final"] for s in stats)
    lowest = min(s["min_last4"] for s in stats)

    def verdict(value, target):
        return "met" if value >= target - 1e-9 else f"**missed by {target - value:.2f} points**"

    return (f"Margin: mean final accuracy {mean:.2f}% against a target of "
            f"{margin['final_mean']:.2f}% ({verdict(mean, margin['final_mean'])}); lowest of the "
            f"last 4 epochs of every seed {lowest:.2f}% against {margin['lowest']:.2f}% "
            f"({verdict(lowest, margin['lowest'])}).")


def _load_named(results_dir, group, stage, pattern=None):
    """{name: result} of results/<group>/<name>/<stage>/seeds.json, in name order. Older
    seeds.json files lack the architecture: it is read from their first run's metrics.json."""
    named = {}
    for path in sorted((Path(results_dir) / group).glob(pattern or f"*/{stage}/seeds.json")):
        result = json.loads(path.read_text())
        if result.get("architecture") is None:
            first = path.parent / f"seed{result['runs'][0]['seed']}" / "metrics.json"
            result["architecture"] = json.loads(first.read_text()).get("architecture")
        named[path.parent.parent.name] = result
    return named


def load_ablations(results_dir, stage):
    """results/ablations/<name>/<stage>/seeds.json by name; the name says what changed."""
    return _load_named(results_dir, "ablations", stage)


def load_holdouts(results_dir, stage):
    """results/holdout/<name>/<stage>/seeds.json by name: runs scored on held-out training
    images (--holdout), never on the test set. A stage found by a search of its own has its
    candidates in results/holdout-<stage>/<name>/, trained as the stage it grew from with
    other plans (m6's ran as m5 with --plan, before m6 existed)."""
    return {**_load_named(results_dir, "holdout", stage),
            **_load_named(results_dir, f"holdout-{stage}", stage, "*/*/seeds.json")}


def _flag(name, value):
    if isinstance(value, bool):
        return f"--{name}" if value else f"--no{name}"
    return f"--{name}={'unset' if value is None else format(value, 'g') if isinstance(value, float) else value}"


def changes_from_stage(stage, result):
    """How a benchmark's runs differ from the stage as the registry has it today, as the
    main.py flags that would make today's stage train that way."""
    spec = get_stage(stage)
    recipe, today = with_defaults(Recipe, result.get("recipe") or {}), asdict_json(spec.recipe)
    changes = [_flag(name, recipe.get(name)) for name in today if recipe.get(name) != today[name]]
    architecture = result.get("architecture")
    if architecture is None:
        changes.append("architecture not recorded")
    else:
        architecture = with_defaults(Architecture, architecture)
        mine = asdict_json(spec.architecture)
        # Plans compare in --plan's notation: a plan recorded before a Conv field existed
        # lacks it, and reads as that field's default.
        architecture["plan"] = recorded_plan(architecture["plan"])
        mine["plan"] = format_plan(spec.architecture.plan)
        for name in mine:
            if architecture.get(name) != mine[name]:
                changes.append(_flag(name, architecture.get(name))
                               if name in ("bn_before_relu", "bn_momentum", "init") else
                               f"--plan={architecture['plan']}"
                               if name == "plan" else f"another {name}")
    if result.get("input", "dataset") != "dataset":  # files before --input were fed by tf.data
        changes.append(_flag("input", result["input"]))
    return " ".join(f"`{change}`" for change in changes) or f"none (today's {stage})"


def recorded_plan(plan):
    """--plan's notation of a plan as a JSON file records it (a list of dicts and "pool")."""
    return format_plan(tuple(item if item == POOL else Conv(**item) for item in plan))


def asdict_json(value):
    """A dataclass as its JSON record reads back (tuples become lists)."""
    return json.loads(json.dumps(dataclasses.asdict(value)))


def _seeds_text(runs):
    seeds = [run["seed"] for run in runs]
    contiguous = len(seeds) > 2 and seeds == list(range(seeds[0], seeds[0] + len(seeds)))
    return f"{seeds[0]}-{seeds[-1]}" if contiguous else ", ".join(map(str, seeds))


def holdout_table(stage, holdouts):
    """One row per held-out benchmark (scored on held-out training images, never the test
    set): mean and per-seed lowest of the last 4 epochs, and the final loss, which tells
    recipes apart with fewer images than accuracy does."""
    lines = [f"| held out | changes from today's {stage} | seeds | last 4, mean % | lowest of last 4 "
             "per seed % | final loss, mean |", "|---|---|---|--:|---|--:|"]
    for name, result in holdouts.items():
        runs = result["runs"]
        last4 = statistics.mean(a for run in runs for a in run["test_acc"][-4:])
        loss = statistics.mean(run["test_loss"][-1] for run in runs)
        lines.append(f"| {name} | {changes_from_stage(stage, result)} | {_seeds_text(runs)} | "
                     f"{last4:.2f} | {_pct(min(run['test_acc'][-4:]) for run in runs)} | "
                     f"{loss:.4f} |")
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
        last4 = [statistics.mean(a for run in side for a in run["test_acc"][-4:])
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
                     f"{_seeds_text(ablation['runs'])} | {_pct(s['min_last4'] for s in stats)} | "
                     f"{statistics.mean(s['final'] for s in stats):.2f} | "
                     f"{sum(s['holds_bar'] for s in stats)} of {len(stats)} |")
    return lines


def per_seed_table(stats, runs):
    """Result of a benchmark seed by seed: what the assignment asks of each."""
    lines = [f"| seed | lowest of last 4 % | first epoch >= {BAR:.2f} | final % |",
             "|--:|--:|--:|--:|"]
    lines += [f"| {run['seed']} | {s['min_last4']:.2f} | {s['first_at_bar'] or 'never'} | "
              f"{s['final']:.2f} |" for run, s in zip(runs, stats)]
    return lines


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
    return (f"{over_seeds([s['final'] for s in stats]).lower()}; lowest of the last 4 "
            f"{min(s['min_last4'] for s in stats):.2f}%; "
            f"{sum(s['holds_bar'] for s in stats)} of {len(stats)} seeds hold {BAR:.2f}%")


def load_tuning(results_dir, stage):
    """results/<stage>-tuning/<stage>/seeds.json: the stage's runs on the seeds used to choose
    it, kept apart from the seeds that confirm it; None if there are none."""
    found = _load_named(results_dir, "", stage, pattern=f"{stage}-tuning/{stage}/seeds.json")
    return next(iter(found.values()), None)


def load_earlier_confirmations(results_dir, stage):
    """results/<stage>-confirmation-<seeds>/<stage>/seeds.json: confirmations of earlier
    recipes of the stage that failed, which used their seeds up (kept, and reported)."""
    return _load_named(results_dir, "", stage,
                       pattern=f"{stage}-confirmation-*/{stage}/seeds.json")


def earlier_confirmation_sentence(stage, name, result):
    """What an earlier, failed confirmation showed, and how its recipe differs from today's."""
    return (f"An earlier confirmation, seeds {_seeds_text(result['runs'])} (`results/{name}/`, "
            f"trained as today's {stage} with {changes_from_stage(stage, result)}), failed: "
            f"{_outcome(result['runs'])}.")


def stage_writeup(stage, result, next_stage=None, image_prefix="results/", ablations=None,
                  holdouts=None, tuning=None, earlier=None, reference=None):
    """One stage under its title: exactly three headings, Target, Result, Analysis.
    `reference`: the stage's PyTorch reference result (seeds.json's data), if it has run."""
    spec = get_stage(stage)
    stats = [seed_stats(run) for run in result["runs"]]
    first, first_stats = result["runs"][0], stats[0]
    finals_test = [s["final"] for s in stats]
    params = result["params"]
    seeds = ", ".join(str(run["seed"]) for run in result["runs"])
    median_seconds = statistics.median(t for run in result["runs"] for t in run["epoch_seconds"])
    result_lines = [
        f"- Params: {params_text(params)}; receptive field "
        f"{result['first_run']['receptive_field']} px; {result['epochs']} epochs; seeds {seeds}",
        f"- Seed {first['seed']}: best train {max(first['train_acc']):.2f}%, best test "
        f"{first_stats['best']:.2f}% (epoch {first_stats['best_epoch']}); last 4 test "
        f"{_pct(first_stats['last4'])}% ([curves]({image_prefix}{result['curves']}))",
        f"- {over_seeds(finals_test)}; lowest of the last 4 epochs "
        f"{min(s['min_last4'] for s in stats):.2f}%; seeds with each of the last 4 >= {BAR:.2f}%: "
        f"{sum(s['holds_bar'] for s in stats)} of {len(stats)}",
        f"- Median epoch {median_seconds:.1f} s ({result['device']}); from "
        f"`{Path('results') / stage / 'seeds.json'}`, made by `{result['command']}`",
        *([f"- {line}"] if (line := tuning_sentence(stage, tuning)) else []),
        *[f"- {earlier_confirmation_sentence(stage, name, r)}"
          for name, r in (earlier or {}).items()],
        *(["", *per_seed_table(stats, result["runs"])] if len(stats) >= 5 else []),
    ]
    last4_mean = lambda key: statistics.mean(a for run in result["runs"] for a in run[key][-4:])
    analysis = [fit_sentence(last4_mean("train_acc"), last4_mean("test_acc"),
                             with_defaults(Recipe, result.get("recipe") or {})),
                stability_sentence(stats), bar_sentence(stats),
                margin_sentence(spec.margin, stats),
                fidelity.claim_sentence(stage, result["runs"], reference and reference["runs"]),
                holdouts and holdout_choice_sentence(stage, holdouts)]
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
                      *[f"- {item}" for item in spec.target], "", "#### Result",
                      *result_lines, "", "#### Analysis",
                      *[f"- {line}" for line in analysis if line]])


def comparison_table(results):
    lines = ["| stage | params trainable / non-trainable / total | RF | seeds | best test % | final test % "
             "(mean +- std) | lowest of last 4 % | seeds holding 99.40 |",
             "|---|--:|--:|--:|--:|--:|--:|--:|"]
    for stage, result in results.items():
        stats = [seed_stats(run) for run in result["runs"]]
        finals = [s["final"] for s in stats]
        final = (f"{statistics.mean(finals):.2f} +- {statistics.stdev(finals):.2f}"
                 if len(finals) > 1 else f"{finals[0]:.2f}")
        lines.append(
            f"| {stage} | {result['params']['trainable']:,} / {result['params']['non_trainable']:,} / "
            f"{result['params']['total']:,} | "
            f"{result['first_run']['receptive_field']} | {len(stats)} | "
            f"{max(s['best'] for s in stats):.2f} | {final} | "
            f"{min(s['min_last4'] for s in stats):.2f} | "
            f"{sum(s['holds_bar'] for s in stats)} of {len(stats)} |")
    return "\n".join(lines)


def results_section(results_dir="results"):
    """README's results part: comparison table, one figure of every stage, the write-ups."""
    results = {stage: r for stage in STAGES if (r := load_results(results_dir, stage))}
    for stage, result in results.items():  # tables and curves redrawn from the run files
        write_text(Path(results_dir) / stage / "seeds.md", seeds_table(result) + "\n")
        for run in result["runs"]:
            run_dir = Path(results_dir) / stage / f"seed{run['seed']}"
            history = json.loads((run_dir / "metrics.json").read_text())["history"]
            plot_curves(history, run_dir / "curves.png", f"{stage} (seed {run['seed']})")
    figure = Path(results_dir) / "stages.png"
    plot_stage_comparison({stage: r["runs"][0]["test_acc"] for stage, r in results.items()},
                          figure)
    names = list(results)
    writeups = [stage_writeup(stage, results[stage], names[i + 1] if i + 1 < len(names) else None,
                              ablations=load_ablations(results_dir, stage),
                              holdouts=load_holdouts(results_dir, stage),
                              tuning=load_tuning(results_dir, stage),
                              earlier=load_earlier_confirmations(results_dir, stage),
                              reference=(fidelity.reference_pair(results_dir, stage) or
                                         (None, None))[1])
                for i, stage in enumerate(names)]
    return "\n\n".join([
        "Every number below is read from `results/<stage>/seeds.json` and the run files beside "
        "it by `python main.py --mode=report`, which wrote this section; each stage names the "
        "command that made its file.",
        comparison_table(results), f"![test accuracy of every stage]({figure})",
        *(["Every network trained here, its params against its worst seed's lowest accuracy of "
           "the last 4 epochs ([table](docs/results.md#parameters-against-consistency)):",
           "![parameters against consistency](docs/frontier.png)"]
          if frontier.collect(results_dir) else []),
        *reference_section(results_dir), *writeups, *speed_section(results_dir)])


def reference_section(results_dir):
    """The seed stages beside their PyTorch reference (--mode=torch), if it has run."""
    rows = fidelity.comparison_table(results_dir, STAGES)
    if len(rows) <= 2:
        return []
    intro = ("The same networks, data, rotation and recipes trained by the PyTorch reference "
             "(`python main.py --mode=torch --init=torch`, PyTorch's own initialisation) beside "
             "this package; mean ± sample std over seeds, a difference within the spread when "
             "no larger than the larger std. Why they differ: [docs/fidelity.md]"
             "(docs/fidelity.md).")
    return ["### Against PyTorch", " ".join(filter(None, [
        intro, fidelity.init_ablation_sentence(results_dir, STAGES)])), "\n".join(rows)]


def speed_section(results_dir, full=False):
    """The speed benchmark (results/speed.json, from --mode=speed), if it has run: README gets
    what it concluded and a link; docs/results.md (`full`) gets the table too."""
    path = Path(results_dir) / "speed.json"
    if not path.is_file():
        return []
    from keras_mnist7.speed import lever_sentence, speed_table, target_sentence

    report = json.loads(path.read_text())
    levers = " ".join(filter(None, [target_sentence(report), lever_sentence(report)]))
    variance = ("One run of each row: [how much runs vary on this machine]"
                "(backends.md#speed)." if report.get("rounds", 1) == 1 else "")
    kept = "Which levers are kept, and the faster path's accuracy over 15 epochs: "
    if not full:
        return ["### Speed", f"`{report['command']}` -> `{path}`. {levers} Every row: "
                "[docs/results.md](docs/results.md#speed); " + kept[0].lower() + kept[1:] +
                "[docs/backends.md](docs/backends.md#what-is-kept)."]
    return ["## Speed", f"`{report['command']}` -> `{path}`, one backend after the other: "
            + speed_table(report), " ".join(filter(None, [
                levers, variance, kept + "[backends.md](backends.md#what-is-kept)."]))]


def results_page(results_dir="results"):
    """docs/results.md: every benchmark in full -- the stages, their held-out comparisons and
    ablations -- each with its command, revisions and per-seed table."""
    lines = ["# Results in full", "",
             "Written by `python main.py --mode=report` from the result files; README's "
             "write-ups summarize these. Test accuracy unless a benchmark says it was evaluated "
             "on held-out training images."]
    if len(rows := fidelity.init_table(results_dir, STAGES)) > 2:
        lines += ["", "## Keras against PyTorch, by initialisation", "",
                  "The mean of each seed's last 4 test accuracies, mean ± sample std over seeds "
                  "(how many in brackets): this package and the PyTorch reference, each with "
                  "its own initialisation and with the other's (`--init`). The runs: "
                  "`results/<stage>/torch/`, `results/ablations/init-torch/<stage>/` or "
                  "`results/ablations/init-keras/<stage>/` (whichever is not the stage's default), "
                  "`results/ablations/init-keras/<stage>/torch/`.", "", *rows]
    lines += frontier_section(results_dir)
    lines += [line for item in speed_section(results_dir, full=True) for line in ("", item)]
    for stage in STAGES:
        if holdouts := load_holdouts(results_dir, stage):
            lines += ["", f"## {stage}: held-out comparison", "",
                      "Scored on held-out training images (--holdout), never on the test set:",
                      "", *holdout_table(stage, holdouts)]
        if ablations := load_ablations(results_dir, stage):
            lines += ["", f"## {stage}: ablations", "", *ablation_table(stage, ablations)]
        tuning = load_tuning(results_dir, stage)
        groups = [("", {stage: r} if (r := _load_stage(results_dir, stage)) else {}),
                  ("tuning seeds", {f"{stage}-tuning": tuning} if tuning else {}),
                  ("earlier confirmation", load_earlier_confirmations(results_dir, stage)),
                  ("held out", load_holdouts(results_dir, stage)),
                  ("ablation", load_ablations(results_dir, stage))]
        for kind, named in groups:
            for name, result in named.items():
                revisions = sorted({run.get("revision") or "?" for run in result["runs"]})
                title = f"{stage}, {kind} {name}" if kind else stage
                lines += ["", f"## {title}", "",
                          f"- command: `{result['command']}`",
                          f"- revision: {', '.join(revisions)}"]
                if kind:
                    lines.append(f"- changes from today's {stage}: "
                                 f"{changes_from_stage(stage, result)}")
                lines += ["", seeds_table(result)]
    return "\n".join(lines) + "\n"


def frontier_section(results_dir):
    """docs/frontier.png (frontier.write draws it) and its points as a table."""
    points = frontier.collect(results_dir)
    if not points:
        return []
    lines = ["", "## Parameters against consistency", "",
             f"Every benchmark of this package (`{results_dir}/frontier.json`): its parameters "
             "against the lowest accuracy its worst seed had in one of its last 4 epochs. "
             "Held-out runs chose, test-set runs confirmed; a worst seed of many seeds sits "
             "lower than that of one.", "", "![parameters against consistency](frontier.png)", "",
             "| run | params | evaluated on | seeds | worst seed's lowest of the last 4 % | "
             "seeds holding 99.40 |", "|---|--:|---|--:|--:|--:|"]
    for p in points:
        lines.append(f"| {p['name']} | {p['params']:,} | {p['evaluated_on']} | {len(p['seeds'])} "
                     f"| {p['worst_last4']:.2f} | {p['seeds_holding']} of {len(p['seeds'])} |")
    return lines


def _load_stage(results_dir, stage):
    path = Path(results_dir) / stage / "seeds.json"
    return json.loads(path.read_text()) if path.is_file() else None


def update_readme(readme, section):
    """Replaces what lies between README's results markers with `section`."""
    text = Path(readme).read_text()
    begin, end = text.index(README_BEGIN) + len(README_BEGIN), text.index(README_END)
    write_text(readme, text[:begin] + "\n" + section + "\n" + text[end:])
