"""Receptive field computed from the built model, layer by layer, not copied from a write-up.

For each spatial layer with kernel k, stride s and dilation d:
    rf_out = rf_in + (d * (k - 1)) * jump_in,    jump_out = jump_in * s.
Layers that do not move pixels around (ReLU, BN, dropout, rescaling) leave both unchanged.
"""

from keras import layers


def _kernel_and_stride(layer):
    if isinstance(layer, (layers.Conv2D, layers.SeparableConv2D)):
        return layer.dilation_rate[0] * (layer.kernel_size[0] - 1) + 1, layer.strides[0]
    if isinstance(layer, (layers.MaxPooling2D, layers.AveragePooling2D)):
        return layer.pool_size[0], layer.strides[0]
    return None


def receptive_field_table(model):
    """Rows of {layer, kernel, stride, rf, jump, size} for each conv / pool of a chain model.

    A global pooling row closes the table: every output then sees the whole input, whatever the
    rf of the last conv (the row keeps that rf, which is what the classifier maps themselves see).
    """
    rf, jump = 1, 1
    rows = []
    for layer in model.layers:
        geometry = _kernel_and_stride(layer)
        if geometry is not None:
            kernel, stride = geometry
            rf += (kernel - 1) * jump
            jump *= stride
            rows.append(dict(layer=layer.name, kernel=kernel, stride=stride, rf=rf, jump=jump,
                             size=int(layer.output.shape[1])))
        elif isinstance(layer, layers.GlobalAveragePooling2D):
            rows.append(dict(layer=layer.name, kernel="global", stride="-", rf=rf, jump=jump,
                             size=1))
    return rows


def receptive_field(model):
    """RF (in input pixels) of the last spatial layer before global pooling."""
    return receptive_field_table(model)[-1]["rf"]


def format_table(rows):
    header = f"{'layer':<10} {'kernel':>6} {'stride':>6} {'RF':>4} {'jump':>4} {'out':>4}"
    lines = [header, "-" * len(header)]
    lines += [f"{r['layer']:<10} {r['kernel']:>6} {r['stride']:>6} {r['rf']:>4} {r['jump']:>4} "
              f"{r['size']:>4}" for r in rows]
    return "\n".join(lines)
