"""What a benchmark's seeds show together -- best, last 4, the bar -- and seeds.md, its table."""

import dataclasses
import statistics

from keras_mnist7.spec.bar import BAR, LAST_EPOCHS


def params_text(params):
    return (f"trainable {params['trainable']:,} / non-trainable {params['non_trainable']:,} / "
            f"total {params['total']:,}")


@dataclasses.dataclass(frozen=True)
class SeedStats:
    """What one run's test (or held-out) accuracies, in percent, show against the bar."""

    best: float
    best_epoch: int  # 1-based
    last4: tuple  # the last LAST_EPOCHS epochs
    min_last4: float
    holds_bar: bool  # every one of the last LAST_EPOCHS epochs >= BAR
    first_at_bar: int | None  # the first epoch >= BAR, 1-based; None: never
    final: float


def seed_stats(run):
    """SeedStats of one run as seeds.json records it (its "test_acc" curve)."""
    test = run["test_acc"]
    best = max(range(len(test)), key=test.__getitem__)
    last4 = tuple(test[-LAST_EPOCHS:])
    first = next((epoch for epoch, acc in enumerate(test, 1) if acc >= BAR), None)
    return SeedStats(best=test[best], best_epoch=best + 1, last4=last4, min_last4=min(last4),
                     holds_bar=len(test) >= LAST_EPOCHS and min(last4) >= BAR,
                     first_at_bar=first, final=test[-1])


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
        lines.append(f"| {run['seed']} | {s.best:.2f} ({s.best_epoch}) | "
                     f"{', '.join(f'{a:.2f}' for a in s.last4)} | {s.min_last4:.2f} | "
                     f"{s.first_at_bar or 'never'} | {seconds:.1f} |")
    finals = [s.final for s in stats]
    mean = statistics.mean(finals)
    std = statistics.stdev(finals) if len(finals) > 1 else 0.0
    holding = sum(s.holds_bar for s in stats)
    over = f"{len(finals)} seeds: {mean:.2f} +- {std:.2f} % (mean +- sample std)" \
        if len(finals) > 1 else f"1 seed: {mean:.2f} %"
    lines += ["", f"Final {scored} accuracy over {over}. Seeds with every one of the last 4 epochs "
                  f">= {BAR:.2f}%: {holding} of {len(finals)}."]
    return "\n".join(lines)


def over_seeds(finals):
    """Final test accuracy across seeds: mean +- sample std, or the one value."""
    if len(finals) == 1:
        return f"Final test {finals[0]:.2f}% (1 seed)"
    return (f"Final test over {len(finals)} seeds {statistics.mean(finals):.2f} +- "
            f"{statistics.stdev(finals):.2f}% (mean +- sample std)")


def pct(values):
    return ", ".join(f"{v:.2f}" for v in values)
