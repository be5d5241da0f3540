"""What a fitted estimator may report about itself (a net: its device, history, GPU memory,
warm-up time, divergence), as the plain values a result row stores.

A plugin's estimator sets these attributes as it likes: a ``torch.device``, a tensor, NumPy
numbers, a multi-line text. Each is made a string, a finite float or JSON here, or left out;
one odd value once stopped the whole run (SQLite cannot bind a ``torch.device``, and a tensor
sent from the worker broke the connection), every other result lost with it.
"""

from __future__ import annotations

import json
import math
from typing import Any


def estimator_facts(estimator: Any) -> dict[str, Any]:
    """The row's columns the fitted ``estimator`` reports (none that it does not)."""
    facts: dict[str, Any] = {}
    device = getattr(estimator, "device_", None)
    if device is not None and str(device):
        facts["device"] = str(device)
    history = _json(getattr(estimator, "history_", None))
    if history is not None:
        facts["history"] = history
    for attribute, column in (
        ("peak_gpu_memory_mb_", "peak_gpu_mb"),
        ("warmup_seconds_", "warmup_seconds"),
    ):
        number = _number(getattr(estimator, attribute, None))
        if number is not None and number >= 0:
            facts[column] = number
    diverged = getattr(estimator, "diverged_", None)
    if isinstance(diverged, str) and diverged.strip():
        facts["diverged"] = " ".join(diverged.split())  # one line, as the reports print it
    return facts


def _number(value: Any) -> float | None:
    """``value`` as a finite float (a NumPy number, a one-element tensor), else None."""
    if value is None or isinstance(value, bool | str):
        return None
    try:
        number = float(value.item() if hasattr(value, "item") else value)
    except (TypeError, ValueError, RuntimeError):
        return None
    return number if math.isfinite(number) else None


def json_value(item: Any) -> Any:
    """What JSON writes for ``item``, which it cannot write itself: a NumPy number its Python
    number (np.float32(0.1) was written "0.1" as text), an array its list, a function or class
    its qualified name, anything else its text without a memory address (which changed from
    run to run, so the same config read as two)."""
    import re

    if hasattr(item, "tolist"):
        return item.tolist()
    if callable(item) and hasattr(item, "__qualname__"):
        return f"{getattr(item, '__module__', '')}.{item.__qualname__}".lstrip(".")
    return re.sub(r" at 0x[0-9a-fA-F]+", "", str(item))


def _json(value: Any) -> str | None:
    """``value`` as JSON, NumPy numbers and arrays (and tensors) as their Python values;
    None when it is absent or cannot be written."""
    if value is None:
        return None

    try:
        return json.dumps(value, default=json_value)
    except (TypeError, ValueError):
        return None
