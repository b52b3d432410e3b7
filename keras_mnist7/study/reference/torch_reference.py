"""The stages in PyTorch: the same registry entry, the same arrays, the same rotation, trained
the way the seed's PyTorch code trained them. A gap between this package and the seed's numbers
is then either Keras' (it shows against this reference) or the seed's (it does not).

For benchmarks only (--mode=torch): it imports torch (requirements-backends.txt), and covers
the recipes the seed stages use -- SGD with momentum, a constant or step lr, dropout, rotation.
"""

import math
import os
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from keras_mnist7.model.blocks import BN_EPSILON, MNIST_MEAN, MNIST_STD
from keras_mnist7.output.files import write_json
from keras_mnist7.output.plots import plot_curves
from keras_mnist7.run import benchmark
from keras_mnist7.run.environment import cpu_name, source_revision, versions
from keras_mnist7.run.run_state import clear_run, read_metrics, run_identity, run_status
from keras_mnist7.run.training import evaluation_set
from keras_mnist7.spec.architecture import POOL
from keras_mnist7.spec.stages import check_torch_recipe

EVAL_BATCH = 1000


class Network(nn.Module):
    """models.build_network in PyTorch: raw 0-255 pixels in, log-probabilities out."""

    def __init__(self, architecture, dropout=None):
        super().__init__()
        layers, channels = [], 1
        for item in architecture.plan:
            if item == POOL:
                layers.append(nn.MaxPool2d(2))
                if dropout is not None:
                    layers.append(nn.Dropout(dropout))
                continue
            padding = "same" if item.padding == "same" else 0
            if item.separable:  # Keras' SeparableConv2D: depthwise, then pointwise with the bias
                convs = [nn.Conv2d(channels, channels, item.kernel_size, padding=padding,
                                   groups=channels, bias=False),
                         nn.Conv2d(channels, item.filters, 1, bias=architecture.use_bias)]
            else:
                convs = [nn.Conv2d(channels, item.filters, item.kernel_size, padding=padding,
                                   bias=architecture.use_bias)]
            for conv in convs:
                if architecture.init == "keras":  # Keras' Glorot-uniform kernel, zero bias
                    nn.init.xavier_uniform_(conv.weight)
                    if conv.bias is not None:
                        nn.init.zeros_(conv.bias)
            block = [*convs]
            if item.activation:
                block.append(nn.ReLU())
                if architecture.batch_norm:
                    bn = nn.BatchNorm2d(item.filters, eps=BN_EPSILON,
                                        momentum=1.0 - architecture.bn_momentum)
                    block.insert(len(convs) + (0 if architecture.bn_before_relu else 1), bn)
            layers += block
            channels = item.filters
        self.features = nn.Sequential(*layers)

    def forward(self, pixels):
        x = (pixels / 255.0 - MNIST_MEAN) / MNIST_STD
        return F.log_softmax(self.features(x).mean(dim=(2, 3)), dim=1)


def param_counts(network):
    """As Keras counts them: BN's moving mean and variance are non-trainable weights."""
    trainable = sum(p.numel() for p in network.parameters() if p.requires_grad)
    stats = sum(b.numel() for name, b in network.named_buffers()
                if name.endswith(("running_mean", "running_var")))
    return {"trainable": trainable, "non_trainable": stats, "total": trainable + stats}


def random_angles(count, degrees, generator):
    """Radians, uniform in +-degrees, as Keras' RandomRotation draws them."""
    return (torch.rand(count, generator=generator) * 2 - 1) * math.radians(degrees)


def rotate(pixels, angles):
    """Each image of (N, 1, 28, 28) turned by its angle (radians, counter-clockwise) about its
    centre; bilinear, the corners filled with 0 (black) -- as Keras' RandomRotation does, to
    1e-5 of a grey level (tests/test_torch_reference.py)."""
    cos, sin = torch.cos(angles), torch.sin(angles)
    theta = torch.zeros(len(pixels), 2, 3)
    theta[:, 0, 0], theta[:, 0, 1], theta[:, 1, 0], theta[:, 1, 1] = cos, -sin, sin, cos
    grid = F.affine_grid(theta, list(pixels.shape), align_corners=False)
    return F.grid_sample(pixels, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def evaluate(network, images, labels):
    """Mean loss and accuracy, in eval mode (BN's moving statistics, no dropout)."""
    network.eval()
    loss = correct = 0.0
    with torch.no_grad():
        for start in range(0, len(images), EVAL_BATCH):
            out = network(images[start:start + EVAL_BATCH])
            batch = labels[start:start + EVAL_BATCH]
            loss += F.nll_loss(out, batch, reduction="sum").item()
            correct += (out.argmax(1) == batch).sum().item()
    return loss / len(images), correct / len(images)


def train_epoch(network, optimizer, images, labels, recipe, generator):
    """One pass in a fresh seeded order; returns the mean loss and accuracy as it trained."""
    network.train()
    order = torch.randperm(len(images), generator=generator)
    loss_sum = correct = 0.0
    for start in range(0, len(images), recipe.batch_size):
        batch = order[start:start + recipe.batch_size]
        x, y = images[batch], labels[batch]
        if recipe.rotation_degrees:
            x = rotate(x, random_angles(len(x), recipe.rotation_degrees, generator))
        optimizer.zero_grad(set_to_none=True)
        out = network(x)
        loss = F.nll_loss(out, y)
        loss.backward()
        optimizer.step()
        loss_sum += loss.item() * len(batch)
        correct += (out.argmax(1) == y).sum().item()
    return loss_sum / len(images), correct / len(images)


def _tensors(images, labels):
    return (torch.tensor(images, dtype=torch.float32).unsqueeze(1),
            torch.tensor(labels, dtype=torch.int64))


def train(spec, data, verbose=True):
    """Trains the run `spec` (a RunSpec) in PyTorch into spec.folder: metrics.json (the same
    format as a Keras run's) and curves.png. A finished run of the same identity is returned
    as it is; an unfinished one starts again."""
    check_torch_recipe(spec.recipe)
    run_dir, recipe = Path(spec.folder), spec.recipe
    (x_train, y_train), (x_test, y_test) = data
    identity = run_identity(spec, len(x_train), len(x_test))
    if run_status(run_dir, identity) == "finished":
        return read_metrics(run_dir)
    clear_run(run_dir)
    torch.set_num_threads(spec.threads or os.cpu_count())
    torch.manual_seed(spec.seed)
    generator = torch.Generator().manual_seed(spec.seed)
    network = Network(spec.architecture, recipe.dropout)
    optimizer = torch.optim.SGD(network.parameters(), lr=recipe.lr, momentum=recipe.momentum)
    (images, labels), (test_images, test_labels) = _tensors(x_train, y_train), _tensors(x_test, y_test)
    metrics = dict(identity, command=spec.command, framework="torch",
                   params=param_counts(network), device=f"CPU ({cpu_name()}), "
                   f"PyTorch threads: {torch.get_num_threads()}", versions=versions(),
                   revision=source_revision(),
                   history_columns=f"val_* are {evaluation_set(spec)}, evaluated after "
                                   "every epoch", history=[])
    for epoch in range(recipe.epochs):
        lr = recipe.learning_rate(epoch)  # StepLR's lr, set before the epoch
        for group in optimizer.param_groups:
            group["lr"] = lr
        start = time.perf_counter()
        loss, accuracy = train_epoch(network, optimizer, images, labels, recipe, generator)
        evaluation_start = time.perf_counter()
        val_loss, val_accuracy = evaluate(network, test_images, test_labels)
        end = time.perf_counter()
        row = {"epoch": epoch + 1, "accuracy": accuracy, "loss": loss,
               "val_accuracy": val_accuracy, "val_loss": val_loss,
               "epoch_seconds": round(end - start, 3),
               "eval_seconds": round(end - evaluation_start, 3), "learning_rate": lr}
        metrics["history"].append(row)
        if verbose:
            print(f"[torch] {spec.stage} seed {spec.seed} epoch {epoch + 1}/{recipe.epochs}: "
                  f"loss {loss:.4f} accuracy {accuracy:.4f} val_loss {val_loss:.4f} "
                  f"val_accuracy {val_accuracy:.4f} ({row['epoch_seconds']:.1f} s)", flush=True)
    plot_curves(metrics["history"], run_dir / "curves.png", f"{spec.stage} in PyTorch "
                f"(seed {spec.seed})")
    write_json(run_dir / "metrics.json", metrics)  # last: a run with it is finished
    return metrics


def run_seeds(spec, seeds, data, verbose=True):
    """One PyTorch run per seed into <spec.folder>/seed<k>/, and their seeds.json: the Keras
    benchmark's own loop, with this module's trainer."""
    return benchmark.run_seeds(spec, seeds, data, verbose, runs=benchmark.in_turn(train))
