"""summary.txt: a model's layers, its params as Keras and PyTorch count them, and its
receptive field."""

import io

from keras_mnist7.model.builders import param_counts
from keras_mnist7.model.receptive_field import format_table, receptive_field, receptive_field_table


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
