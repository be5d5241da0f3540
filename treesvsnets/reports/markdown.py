"""report.md: what was run, and a leaderboard per dataset.

The first version of the report; plots and statistics come later and read the
same store and manifest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from treesvsnets.reports.leaderboard import format_tables, leaderboard

REPORT_FILENAME = "report.md"


def _limits(config: dict[str, Any]) -> str:
    limits = [
        f"{label} {value}{unit}"
        for label, value, unit in (
            ("time limit", config.get("timeout"), " s"),
            ("memory limit", config.get("max_memory"), ""),
        )
        if value is not None
    ]
    return f"; per cell: {', '.join(limits)}" if limits else ""


def _data_notes(described: dict[str, Any], splits: list[dict[str, Any]]) -> list[str]:
    """What loading did to a table, and test rows that also appear in training."""
    notes = []
    if described.get("cleaning"):
        steps = "; ".join(
            f"{key.replace('_', ' ')}: {value}" for key, value in described["cleaning"].items()
        )
        notes.append(f"- data preparation: {steps}")
    seen = sum(sum(s.get("test_rows_seen_in_train", [])) for s in splits)
    if seen:
        tested = sum(sum(s.get("test_sizes", [])) for s in splits)
        notes.append(
            f"- **{seen} of {tested} test rows have features identical to a training row** "
            "(duplicates across the split inflate accuracy)"
        )
    return notes + ([""] if notes else [])


def render_markdown(rows: pd.DataFrame, manifest: dict[str, Any]) -> str:
    config = manifest.get("config", {})
    environment = manifest.get("environment", {})
    packages = environment.get("packages", {})
    statuses = manifest.get("cells_by_status", {})
    lines = [
        f"# treesvsnets run `{manifest.get('run_id', '?')}`",
        "",
        f"- status: **{manifest.get('status', '?')}**; "
        f"cells: {', '.join(f'{n} {s}' for s, n in statuses.items()) or 'none'}"
        + (
            f"; {manifest['cells_missing']} not run (finish with "
            f"`treesvsnets run --resume RUN_DIR`)"
            if manifest.get("cells_missing")
            else ""
        ),
        f"- cells ran on {manifest.get('executor', '?')}" + _limits(config),
        f"- started {manifest.get('started_at', '?')}, wall time "
        f"{manifest.get('wall_seconds', float('nan')):.1f} s",
        f"- {config.get('folds', '?')}-fold stratified cross-validation, seeds "
        f"{', '.join(str(s) for s in config.get('seeds', []))}; "
        f"threads per cell: {manifest.get('threads_per_cell', '?')}",
        f"- machine: {environment.get('cpu', '?')}, {environment.get('cores', '?')} cores, "
        f"Python {environment.get('python', '?')}"
        + (f"; GPU: {', '.join(environment['gpus']) or 'none'}" if "gpus" in environment else ""),
        "- versions: "
        + ", ".join(f"{name} {version}" for name, version in packages.items() if version),
        "",
        "Accuracy is the mean ± standard deviation over folds (and seeds); times are means per "
        "fold; `ms/1k rows` is prediction latency per 1,000 test rows; `peak MB` is the "
        "process's peak resident memory during the cell.",
        "",
    ]
    datasets = {entry["name"]: entry for entry in manifest.get("datasets", [])}
    splits = manifest.get("splits", [])
    for dataset, table in format_tables(leaderboard(rows), "github").items():
        described = datasets.get(dataset, {})
        its_splits = [s for s in splits if s["dataset"] == dataset]
        hashes = ", ".join(f"seed {s['seed']}: `{s['hash']}`" for s in its_splits)
        lines += [
            f"## {dataset}",
            "",
            f"{described.get('n_samples', '?')} samples, {described.get('n_features', '?')} "
            f"features, {described.get('n_classes', '?')} classes; fingerprint "
            f"`{described.get('fingerprint', '?')}`; split hashes: {hashes or '?'}",
            "",
            *_data_notes(described, its_splits),
            table,
            "",
        ]
    failed = rows[rows["status"] != "ok"] if not rows.empty else rows
    if not failed.empty:
        lines += ["## Failed cells", ""]
        for _, row in failed.iterrows():
            lines.append(
                f"- {row['dataset']} / {row['estimator']} seed {row['seed']} fold {row['fold']}: "
                f"**{row['status']}**: {row['error']}"
            )
        lines.append("")
    return "\n".join(lines)


def write_report(run_dir: Path, rows: pd.DataFrame, manifest: dict[str, Any]) -> Path:
    path = run_dir / REPORT_FILENAME
    path.write_text(render_markdown(rows, manifest), encoding="utf-8")
    return path
