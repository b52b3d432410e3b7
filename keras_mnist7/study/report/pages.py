"""The pages the report writes: README's results section and docs/results.md, and the figures
they show, each redrawn by its own explicit step (redraw_figures)."""

import json
import statistics
from pathlib import Path

from keras_mnist7.output.files import write_text
from keras_mnist7.output.plots import plot_curves, plot_stage_comparison
from keras_mnist7.run.seeds import seed_stats, seeds_table
from keras_mnist7.spec.bar import BAR, LAST_EPOCHS
from keras_mnist7.spec.run_spec import RESULTS_DIR
from keras_mnist7.spec.stages import STAGES, get_stage
from keras_mnist7.study.report import fidelity, frontier
from keras_mnist7.study.report.changes import changes_from_stage
from keras_mnist7.study.report.results import (
    load_ablations,
    load_earlier_confirmations,
    load_holdouts,
    load_results,
    load_stage,
    load_tuning,
)
from keras_mnist7.study.report.writeup import (
    ablation_table,
    comparison_table,
    cv_sentence,
    cv_table,
    holdout_table,
    same_trajectory_table,
    stage_writeup,
    teachers_table,
)
from keras_mnist7.study.search.experiments import REGISTRY
from keras_mnist7.study.search.protocol import (
    ALL_FOLDS,
    PASS_GAIN,
    PASS_T,
    POWER_FOLDS,
    SCREEN_FOLDS,
    SCREEN_GAIN,
)

README_BEGIN = "<!-- results:begin (python main.py --mode=report writes this part) -->"


README_END = "<!-- results:end -->"
STATUS_BEGIN = "<!-- status:begin (python main.py --mode=report writes this part) -->"
STATUS_END = "<!-- status:end -->"


def status_section(results_dir=RESULTS_DIR, experiments=None):
    """README's status: the stages beyond the seed's on their confirmation seeds (a row each,
    from results/<stage>/seeds.json), and one sentence on what their searches found."""
    experiments = list(REGISTRY.values() if experiments is None else experiments)
    rows = ["| stage | params | chosen on | confirmed on seeds never run | seeds holding >= "
            f"{BAR:.2f}% in each of the last {LAST_EPOCHS} epochs | final test % | lowest of "
            "the last 4 % | file (with the command that made it) |",
            "|---|--:|---|---|--:|--:|--:|---|"]
    searched, met = [], []
    for stage in STAGES:
        result = load_results(results_dir, stage)
        if get_stage(stage).seed_claim is not None or result is None:
            continue
        stats = [seed_stats(run) for run in result["runs"]]
        seeds = [run["seed"] for run in result["runs"]]
        finals = [s.final for s in stats]
        met.append(f"{stage} {'met' if all(s.holds_bar for s in stats) else 'not met'}")
        rows.append(f"| {stage} | {result['params']['total']:,} | {get_stage(stage).chosen_on} | "
                    f"{min(seeds)}-{max(seeds)} | "
                    f"**{sum(s.holds_bar for s in stats)} of {len(stats)}** | "
                    f"{statistics.mean(finals):.2f} ± {statistics.stdev(finals):.2f} | "
                    f"{min(s.min_last4 for s in stats):.2f} | `results/{stage}/seeds.json` |")
        judged = [e for e in experiments if e.stage == stage and e.kind == "candidate"]
        if judged:
            searched.append(f"{len(judged)} for {stage}")
    return "\n".join(rows) + (
        f"\n\nThe bar, every confirmation seed holding: {', '.join(met)}. Cross-validated candidates "
        f"registered ({', '.join(searched)}), judged on held-out training folds, never the test "
        "set: [docs/search.md](docs/search.md), tables in [docs/results.md](docs/results.md).")


def results_section(results_dir=RESULTS_DIR, experiments=None):
    """README's results part: comparison table, one figure of every stage, the write-ups."""
    results = {stage: r for stage in STAGES if (r := load_results(results_dir, stage))}
    figure = Path(results_dir) / "stages.png"
    names = list(results)
    writeups = [stage_writeup(stage, results[stage], names[i + 1] if i + 1 < len(names) else None,
                              ablations=load_ablations(results_dir, stage, experiments),
                              holdouts=load_holdouts(results_dir, stage, experiments),
                              tuning=load_tuning(results_dir, stage, experiments),
                              earlier=load_earlier_confirmations(results_dir, stage, experiments),
                              reference=(fidelity.reference_pair(results_dir, stage) or
                                         (None, None))[1],
                              cv=cv_sentence(stage, REGISTRY.values() if experiments is None
                                             else experiments, results_dir))
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


def load_speeds(results_dir):
    """{machine: report} of results/speed/*.json (--mode=speed, one file per machine)."""
    return {path.stem: json.loads(path.read_text())
            for path in sorted((Path(results_dir) / "speed").glob("*.json"))}


def speed_section(results_dir, full=False):
    """The speed benchmark, if it has run: per kind of machine, the ratio of Keras' training
    epoch to the PyTorch reference's (the figure that carries from machine to machine), the
    seconds only beside the CPU that made them. README gets the ratios and a link;
    docs/results.md (`full`) every table."""
    from keras_mnist7.study.benchmarks.speed import (
        idle_sentence,
        lever_sentence,
        speed_table,
        target_sentence,
    )

    speeds = load_speeds(results_dir)
    if not speeds:
        return []
    rows = ["| machine (CPU, SIMD, cores) | rounds | idle | Keras BatchNorm on | Keras TensorFlow "
            "÷ PyTorch | fastest Keras row ÷ PyTorch | PyTorch s/epoch on it |",
            "|---|--:|---|---|--:|---|--:|"]
    earlier = [machine for machine, report in speeds.items() if report.get("batch_norm") != "fused"]
    for machine, report in speeds.items():
        if not full and machine in earlier and len(earlier) < len(speeds):
            continue  # README: today's code path; the files of earlier ones are in results.md
        by_name = {row["name"]: row for row in report["runs"]}
        torch = by_name.get("pytorch reference")
        if torch is None:
            continue
        # Older single-round files lack the ratio: it is their two rows' seconds then.
        ratios = {name: row.get("ratio_to_pytorch",
                                round(row["train_seconds"] / torch["train_seconds"], 2))
                  for name, row in by_name.items() if name.startswith("keras")}
        fastest = min(ratios, key=ratios.get)
        idle = {True: "yes", False: "**no**"}.get(report.get("idle"), "not recorded")
        batch_norm = ("TensorFlow's fused kernel" if report.get("batch_norm") == "fused" else
                      "Keras' own ops (before the fused kernel)")
        rows.append(f"| {machine} | {report.get('rounds', 1)} | {idle} | {batch_norm} | "
                    f"{ratios['keras tensorflow']:.2f} | {ratios[fastest]:.2f} ({fastest}) | "
                    f"{torch['train_seconds']:.2f} |")
    if not full:
        older = ("" if len(earlier) in (0, len(speeds)) else
                 " Measured only before BatchNorm's fused kernel: " + ", ".join(earlier) + ".")
        if any("capped" in machine for machine in speeds):
            older += (" Kernels capped at an ISA (`--max_isa`): that ISA's oneDNN and PyTorch "
                      "kernels on the CPU named, not a machine of that kind.")
        return ["### Speed", "\n".join(rows),
                "m4 for 3 epochs on the CPU (`python main.py --mode=speed` -> "
                "`results/speed/<machine>.json`): a Keras training epoch against the PyTorch "
                "reference's in the same run, rows alternated, medians; the target is at most "
                f"0.8.{older} Every row: [docs/results.md](docs/results.md#speed); which levers are "
                "kept: [docs/backends.md](docs/backends.md#what-is-kept)"
                + ("; where a step's time goes, part by part: [docs/backends.md](docs/backends.md"
                   "#where-a-steps-time-goes)." if profile_section(results_dir) else ".")]
    lines = ["## Speed", "\n".join(rows)]
    for machine, report in speeds.items():
        levers = " ".join(filter(None, [target_sentence(report), lever_sentence(report)]))
        lines += [f"### {machine}", f"`{report['command']}` -> `results/speed/{machine}.json`: "
                  + speed_table(report), " ".join(filter(None, [levers, idle_sentence(report)]))]
    return lines + profile_section(results_dir)


def profile_section(results_dir):
    """docs/results.md: where a training step's time goes, per kind of machine profiled
    (--mode=profile)."""
    from keras_mnist7.study.benchmarks.profile import profile_table

    lines = []
    for path in sorted((Path(results_dir) / "profile").glob("*.json")):
        report = json.loads(path.read_text())
        idle = ("" if report["idle"] else " **Not idle**: other processes ran beside it, "
                "which stretches every figure.")
        lines += [f"### Where a step's time goes: {path.stem}",
                  f"`{report['command']}` -> `results/profile/{path.name}`: m4, batch 128, "
                  f"{'one thread and two' if 'two_threads' in report else 'one thread'}, "
                  f"milliseconds per training step, {report['steps']} steps after "
                  f"{report['warmup_steps']}; each part is its ops' own time, by TensorFlow's "
                  "and PyTorch's profilers (why: [docs/backends.md](backends.md#where-a-steps-"
                  f"time-goes)).{idle}", profile_table(report)]
    return lines


def results_page(results_dir=RESULTS_DIR, experiments=None):
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
    lines += cv_section(results_dir)
    if teachers := teachers_table(results_dir):
        lines += ["", "## Teachers", "",
                  "The networks students learn from (`--teacher`, docs/teachers.md): each "
                  "fold's teacher trained on the 50,000 images outside the fold, scored on the "
                  "fold after its last epoch (the model its students read); the teacher of "
                  "every training image scored on the test set, which nothing chooses by. "
                  "An ensemble's accuracy is its members' averaged probabilities', as its "
                  "students' runs recorded it on their fold; its minutes a fold are its "
                  "members' together. Minutes of training on one thread beside other runs. "
                  "Runs and commands: "
                  "`results/teachers/<teacher>/` and `results/teachers/full/<teacher>/`.", "",
                  *teachers]
    lines += frontier_section(results_dir)
    lines += [line for item in speed_section(results_dir, full=True) for line in ("", item)]
    for stage in STAGES:
        if holdouts := load_holdouts(results_dir, stage, experiments):
            lines += ["", f"## {stage}: held-out comparison", "",
                      "Scored on held-out training images (--holdout), never on the test set:",
                      "", *holdout_table(stage, holdouts,
                                         REGISTRY.values() if experiments is None else experiments)]
        if ablations := load_ablations(results_dir, stage, experiments):
            lines += ["", f"## {stage}: ablations", "", *ablation_table(stage, ablations)]
        tuning = load_tuning(results_dir, stage, experiments)
        groups = [("", {stage: r} if (r := load_stage(results_dir, stage)) else {}),
                  ("tuning seeds", {f"{stage}-tuning": tuning} if tuning else {}),
                  ("earlier confirmation", load_earlier_confirmations(results_dir, stage, experiments)),
                  ("held out", load_holdouts(results_dir, stage, experiments)),
                  ("ablation", load_ablations(results_dir, stage, experiments))]
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
             f"seeds holding {BAR:.2f} |", "|---|--:|---|--:|--:|--:|"]
    for p in points:
        lines.append(f"| {p['name']} | {p['params']:,} | {p['evaluated_on']} | {len(p['seeds'])} "
                     f"| {p['worst_last4']:.2f} | {p['seeds_holding']} of {len(p['seeds'])} |")
    return lines


def update_readme(readme, section, markers=(README_BEGIN, README_END)):
    """Replaces what lies between two of README's markers (its results part unless
    `markers` says) with `section`."""
    text = Path(readme).read_text()
    begin, end = text.index(markers[0]) + len(markers[0]), text.index(markers[1])
    write_text(readme, text[:begin] + "\n" + section + "\n" + text[end:])


def redraw_figures(results_dir=RESULTS_DIR):
    """Each stage's seeds.md and curves.png, and results/stages.png, redrawn from the run
    files: the figures the pages show, so that they follow the code that draws them."""
    results = {stage: r for stage in STAGES if (r := load_results(results_dir, stage))}
    for stage, result in results.items():
        write_text(Path(results_dir) / stage / "seeds.md", seeds_table(result) + "\n")
        for run in result["runs"]:
            run_dir = Path(results_dir) / stage / f"seed{run['seed']}"
            history = json.loads((run_dir / "metrics.json").read_text())["history"]
            plot_curves(history, run_dir / "curves.png", f"{stage} (seed {run['seed']})")
    plot_stage_comparison({stage: r["runs"][0]["test_acc"] for stage, r in results.items()},
                          Path(results_dir) / "stages.png")


def write_report(results_dir=RESULTS_DIR, readme="README.md", docs=Path("docs")):
    """--mode=report: the figures, README's results section, docs/results.md, the frontier and
    the model cards, from the result files. Returns what it wrote, in one line."""
    from keras_mnist7.use.model_card import write_model_cards

    redraw_figures(results_dir)
    update_readme(readme, results_section(results_dir))
    update_readme(readme, status_section(results_dir), (STATUS_BEGIN, STATUS_END))
    write_text(Path(docs) / "results.md", results_page(results_dir))
    frontier.write(results_dir, Path(docs) / "frontier.png")
    write_model_cards("pretrained")
    return (f"{readme} (results section), {docs}/results.md, {docs}/frontier.png, "
            f"{docs}/flags.md and {results_dir}/frontier.json: rewritten from {results_dir}/; "
            "pretrained/README.md from pretrained/")


def protocol_text():
    """The cross-validated protocol in words, from the constants that apply it."""
    return (f"Each run trains on 50,000 training images and is scored after every epoch on the "
            f"other 10,000: seed k on fold k of {len(ALL_FOLDS)} folds (a fixed permutation of the "
            f"60,000, `--cv`), the test set never read. A candidate runs the same (seed, fold) "
            f"pairs as its baseline; per pair, the mean and the lowest of its last {LAST_EPOCHS} "
            f"epochs' held-out accuracy and its final held-out loss. Screen: folds "
            f"{SCREEN_FOLDS[0]}-{SCREEN_FOLDS[-1]}; it goes on to folds "
            f"{POWER_FOLDS[0]}-{POWER_FOLDS[-1]} only with a mean paired gain of at least "
            f"{SCREEN_GAIN:+.2f} points there, in either accuracy. Pass: over all "
            f"{len(ALL_FOLDS)} folds, in either accuracy, a mean paired gain of at least "
            f"{PASS_GAIN:+.2f} points with paired t >= {PASS_T:g}; and a mean "
            f"final loss no higher than the baseline's. Rule and code: "
            f"`keras_mnist7/study/search/protocol.py`, written before the runs it judges; the candidates: "
            f"`keras_mnist7/study/search/rounds/*.toml`; run with `python main.py --mode=search "
            f"--experiment=NAME`.")


def cv_section(results_dir=RESULTS_DIR):
    """docs/results.md: every cross-validated experiment of each stage, from the registry."""
    lines = []
    for stage in STAGES:
        experiments = [e for e in REGISTRY.values() if e.stage == stage and e.runnable]
        if not experiments:
            continue
        lines += ["", f"## {stage}: cross-validated search", "", protocol_text(), "",
                  *cv_table(stage, experiments, results_dir)]
        if same_trajectory := same_trajectory_table(experiments, results_dir):
            lines += ["", f"### {stage}: the average against its own raw weights", "",
                      "A run that evaluates its weights' average with statistics of its own "
                      "(`--ema_bn_images`) also scores its raw weights on the same fold before "
                      "each swap: the same trajectory without the average, so each fold pairs "
                      "exactly (`val_raw_accuracy` in the runs' metrics.json).", "",
                      *same_trajectory]
    return lines
