"""How a recorded benchmark differs from its stage as the registry has it today, as flags."""

import dataclasses
import json

from keras_mnist7.spec.architecture import POOL, Architecture, Conv, format_plan
from keras_mnist7.spec.stages import Recipe, get_stage, with_defaults


def _flag(name, value):
    if isinstance(value, bool):
        return f"--{name}" if value else f"--no{name}"
    shown = "unset" if value is None else format(value, "g") if isinstance(value, float) else value
    return f"--{name}={shown}"


def changes_from_stage(stage, result):
    """How a benchmark's runs differ from the stage as the registry has it today, as the
    main.py flags that would make today's stage train that way."""
    entry = get_stage(stage)
    recipe, today = with_defaults(Recipe, result.get("recipe") or {}), asdict_json(entry.recipe)
    changes = [_flag(name, recipe.get(name)) for name in today if recipe.get(name) != today[name]]
    architecture = result.get("architecture")
    if architecture is None:
        changes.append("architecture not recorded")
    else:
        architecture = with_defaults(Architecture, architecture)
        mine = asdict_json(entry.architecture)
        # Plans compare in --plan's notation: a plan recorded before a Conv field existed
        # lacks it, and reads as that field's default.
        architecture["plan"] = recorded_plan(architecture["plan"])
        mine["plan"] = format_plan(entry.architecture.plan)
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
