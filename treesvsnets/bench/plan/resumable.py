"""Whether a stopped run can be resumed as it was: the estimators it would run now against
those its manifest recorded (:func:`estimators_changed`); the split plans are compared by
:meth:`~treesvsnets.bench.plan.planning.RunPlan.check_resumable` itself."""

from __future__ import annotations

import json
import re
from typing import Any

#: a default repr's address ('<function f at 0x7f...>'): another in every process
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def _written(value: Any) -> str:
    """``value`` as a manifest writes it (JSON, anything else as text), addresses left out."""
    return _ADDRESS.sub("", json.dumps(value, default=str, sort_keys=True))


def estimators_changed(recorded: list[dict], now: list[dict]) -> str | None:
    """How the estimators a resumed run would run (``now``: the manifest's entries, as
    :meth:`~.planning.RunPlan.estimator_entries` makes them) differ from those it recorded,
    in a phrase naming the first difference, or None (also for a manifest written before
    its entries said each estimator's task and parameters: nothing to compare them by)."""
    if any("task" not in e or "params" not in e for e in recorded):
        return None
    then = {(e.get("name"), e.get("task")): e for e in recorded}
    current = {(e.get("name"), e.get("task")): e for e in now}
    added, gone = (
        sorted(a.keys() - b.keys(), key=str) for a, b in ((current, then), (then, current))
    )
    if added:
        return (
            f"estimator {added[0][0]!r} ({added[0][1]}) would run now and did not in the run "
            "(registered, or its package installed, since)"
        )
    if gone:
        return f"estimator {gone[0][0]!r} ({gone[0][1]}) of the run would not run now"
    for (name, task), entry in sorted(then.items(), key=str):
        was, will = entry.get("params") or {}, current[name, task].get("params") or {}
        for param in sorted({*was, *will}):
            if _written(was.get(param)) != _written(will.get(param)):
                return (
                    f"estimator {name!r} ({task}) ran with {param}={was.get(param)!r} and "
                    f"would run with {param}={will.get(param)!r} now (its plugin or its "
                    "package changed)"
                )
        for key in ("family", "space"):
            if _written(entry.get(key)) != _written(current[name, task].get(key)):
                return f"estimator {name!r} ({task}) has another {key} than in the run"
    return None
