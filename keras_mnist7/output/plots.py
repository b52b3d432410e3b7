"""Figures: training curves, stage comparison, confusion matrix and mistakes, drawn
off-screen with matplotlib and written whole (temp file, then rename)."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the off-screen backend)
from matplotlib.ticker import MaxNLocator  # noqa: E402

from keras_mnist7.output.files import write_atomic  # noqa: E402
from keras_mnist7.spec.bar import BAR  # noqa: E402


def _save(figure, path):
    figure.tight_layout()
    write_atomic(path, lambda temp: figure.savefig(temp, format="png", dpi=100))
    plt.close(figure)


def plot_curves(history, path, title):
    """Train vs test accuracy (%) and loss per epoch; the file is replaced whole."""
    epochs = [row["epoch"] for row in history]
    figure, (acc_axes, loss_axes) = plt.subplots(1, 2, figsize=(11, 4))
    for key, label in (("accuracy", "train"), ("val_accuracy", "test")):
        acc_axes.plot(epochs, [100.0 * row[key] for row in history], marker="o", label=label)
    for key, label in (("loss", "train"), ("val_loss", "test")):
        loss_axes.plot(epochs, [row[key] for row in history], marker="o", label=label)
    acc_axes.axhline(BAR, color="grey", linestyle=":", linewidth=1, label=f"{BAR:.2f}%")
    if len(history) > 2:  # zoom past the first epoch, where the stages differ
        later = [100.0 * row[key] for row in history[1:] for key in ("accuracy", "val_accuracy")]
        acc_axes.set_ylim(min(later) - 0.3, max(100.0 * row["accuracy"] for row in history) + 0.3)
    acc_axes.set(xlabel="epoch", ylabel="accuracy (%)", title=f"{title}: accuracy")
    loss_axes.set(xlabel="epoch", ylabel="cross-entropy (log scale)", yscale="log",
                  title=f"{title}: loss")
    for axes in (acc_axes, loss_axes):
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.grid(alpha=0.3)
        axes.legend()
    _save(figure, path)


def plot_stage_comparison(test_accuracies, path):
    """Test accuracy (%) per epoch of every stage, {stage: [per-epoch %]}: all of it on the
    left, and on the right a zoom on 98-100%, where the later stages differ."""
    figure, axes_pair = plt.subplots(1, 2, figsize=(12, 4.5))
    for axes, title in zip(axes_pair, ("all epochs", "zoom on 98-100%")):
        for stage, accuracies in test_accuracies.items():
            axes.plot(range(1, len(accuracies) + 1), accuracies, marker="o", markersize=3,
                      label=stage)
        axes.axhline(BAR, color="grey", linestyle=":", linewidth=1, label=f"{BAR:.2f}%")
        axes.set(xlabel="epoch", ylabel="test accuracy (%)",
                 title=f"Test accuracy per epoch, seed 0: {title}")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.grid(alpha=0.3)
        axes.legend(loc="lower right")
    axes_pair[1].set_ylim(98.0, 100.0)
    _save(figure, path)


def plot_confusion(confusion, path, title):
    """10x10 counts, true digit down, predicted across; the diagonal is greyed out so that the
    mistakes, a few dozen among 10,000, stand out."""
    off_diagonal = confusion.copy()
    for digit in range(len(confusion)):
        off_diagonal[digit, digit] = 0
    figure, axes = plt.subplots(figsize=(6.5, 5.5))
    image = axes.imshow(off_diagonal, cmap="Reds")
    for true in range(len(confusion)):
        for predicted in range(len(confusion)):
            count = int(confusion[true, predicted])
            if count:
                colour = "grey" if true == predicted else "black"
                axes.text(predicted, true, str(count), ha="center", va="center", fontsize=8,
                          color=colour)
    axes.set(xticks=range(10), yticks=range(10), xlabel="predicted", ylabel="true",
             title=f"{title}: confusion (diagonal in grey)")
    figure.colorbar(image, ax=axes, label="mistakes")
    _save(figure, path)


def plot_mistakes(images, mistakes, path, title, columns=8, rows=5):
    """The first columns x rows mistakes as given (most confident first), each titled
    'true -> predicted (confidence)'."""
    figure, grid = plt.subplots(rows, columns, figsize=(columns * 1.4, rows * 1.6 + 0.4))
    for axes in grid.flat:
        axes.axis("off")
    for axes, mistake in zip(grid.flat, mistakes):
        axes.imshow(images[mistake["index"]], cmap="gray")
        axes.set_title(f"{mistake['true']} -> {mistake['predicted']} "
                       f"({mistake['confidence']:.2f})", fontsize=8)
    figure.suptitle(f"{title}: {len(mistakes)} test mistakes, most confident first "
                    "(true -> predicted (probability))", fontsize=10)
    _save(figure, path)


def plot_frontier(points, path, bar=BAR):
    """Params against the worst seed's last-4 low (frontier.collect's points): the stages
    labelled, other test-set runs as squares, held-out runs hollow; the whole range on the
    left, a zoom near the bar on the right."""
    styles = {("stage", "test"): dict(marker="o", s=60, color="tab:blue", label="stage, test set"),
              ("candidate", "test"): dict(marker="s", s=25, color="tab:orange",
                                          label="other run, test set"),
              ("candidate", "held-out"): dict(marker="^", s=30, facecolors="none",
                                              edgecolors="tab:green",
                                              label="candidate, held-out images")}
    figure, axes_pair = plt.subplots(1, 2, figsize=(12, 4.8))
    for axes, title in zip(axes_pair, ("every run", f"zoom near {bar:.2f}%")):
        for (kind, evaluated_on), style in styles.items():
            chosen = [p for p in points if p["kind"] == kind and p["evaluated_on"] == evaluated_on]
            if chosen:
                axes.scatter([p["params"] for p in chosen], [p["worst_last4"] for p in chosen],
                             zorder=3, **style)
        for p in points:
            if p["kind"] == "stage":
                axes.annotate(p["stage"], (p["params"], p["worst_last4"]), fontsize=9,
                              xytext=(4, 4), textcoords="offset points")
        axes.axhline(bar, color="grey", linestyle=":", linewidth=1, label=f"{bar:.2f}%")
        axes.set(xlabel="parameters (Keras' count, total)",
                 ylabel="worst seed's lowest of the last 4 epochs (%)",
                 title=f"Parameters against consistency: {title}")
        axes.grid(alpha=0.3)
    axes_pair[1].set_ylim(bar - 0.3, bar + 0.3)
    axes_pair[0].legend(loc="lower right", fontsize=8)
    _save(figure, path)
