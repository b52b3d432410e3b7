"""Text for people -- summary.txt, README tables -- built from the registry, the models and
the result files: no number typed by hand."""

import io
import statistics

from keras_mnist7.models import build_model, param_counts
from keras_mnist7.receptive_field import format_table, receptive_field, receptive_field_table
from keras_mnist7.stages import STAGES, get_stage


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
    if recipe.step_size is None:
        return f"SGD(m={recipe.momentum}) lr {recipe.lr:g} constant"
    return (f"SGD(m={recipe.momentum}) lr {recipe.lr:g}, x{recipe.gamma:g} every "
            f"{recipe.step_size} epochs")


def stage_table(stages=STAGES):
    """One row per stage: params as Keras and PyTorch count them, receptive field, recipe."""
    lines = ["| stage | trainable | non-trainable | total | RF | recipe | epochs | batch | "
             "dropout | rotation |",
             "|---|--:|--:|--:|--:|---|--:|--:|--:|--:|"]
    for name in stages:
        model, recipe = build_model(name), get_stage(name).recipe
        params = param_counts(model)
        dropout = "-" if recipe.dropout is None else f"{recipe.dropout:g}"
        rotation = f"+-{recipe.rotation_degrees:g} deg" if recipe.rotation_degrees else "-"
        lines.append(
            f"| {name} | {params['trainable']:,} | {params['non_trainable']:,} | "
            f"{params['total']:,} | {receptive_field(model)} | {schedule_text(recipe)} | "
            f"{recipe.epochs} | {recipe.batch_size} | {dropout} | {rotation} |")
    return "\n".join(lines)


BAR = 99.40  # the assignment's test accuracy, to hold in each of the last 4 epochs


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
    lines = [f"{result['stage']}: {result['epochs']} epochs, params trainable "
             f"{result['params']['trainable']:,} / total {result['params']['total']:,}; "
             f"{result['device']}", "",
             "| seed | best test % (epoch) | last 4 test % | min of last 4 | first epoch >= "
             f"{BAR:.2f} | median epoch s |", "|--:|--:|---|--:|--:|--:|"]
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
    lines += ["", f"Final test accuracy over {len(finals)} seeds: {mean:.2f} +- {std:.2f} % "
                  f"(mean +- sample std). Seeds with every one of the last 4 epochs >= {BAR:.2f}%: "
                  f"{holding} of {len(finals)}."]
    return "\n".join(lines)
