"""Text for people -- summary.txt, README tables -- built from the registry, the models and
the result files: no number typed by hand."""

import io

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
