"""benchmarks/_common.py: spreads of repeats, rotating order, and how RESULTS.md is assembled."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import _common  # noqa: E402


def test_spread_shows_median_and_range_and_ratios_pair_repeats():
    spread = _common.Spread.of([3.0, 1.0, 2.0])
    assert spread.median == 2.0
    assert spread.show(1, " s") == "2.0 s (1.0–3.0)"
    assert _common.Spread.of([1.5]).show(2) == "1.50"  # one value: no range
    assert _common.ratios([2.0, 6.0], [1.0, 2.0]).values == (2.0, 3.0)
    with pytest.raises(ValueError):
        _common.ratios([1.0], [1.0, 2.0])


def test_sides_rotate_so_none_always_runs_first():
    order = _common.alternating(["a", "b", "c"], 4)
    assert order == [["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"], ["a", "b", "c"]]
    calls = []
    results = _common.run_sides(
        {"x": lambda: calls.append("x") or 1, "y": lambda: calls.append("y") or 2},
        repeats=2,
        progress=False,
    )
    assert calls == ["x", "y", "y", "x"]
    assert results == {"x": [1, 1], "y": [2, 2]}


def test_results_md_joins_saved_sections_with_a_target_summary(tmp_path, monkeypatch):
    monkeypatch.setattr(_common, "RESULTS_DIR", tmp_path / "results")
    monkeypatch.setattr(_common, "RESULTS_MD", tmp_path / "RESULTS.md")
    section = _common.Section(
        "startup",
        "| command | wall s |\n| --- | ---: |\n| x | 0.5 |",
        {"walls": {"x": [0.5]}},
        "python benchmarks/startup.py",
        [_common.Target("`x` < 1 s", "0.500 s", True), _common.Target("y", "2", False)],
    )
    saved = json.loads(section.save().read_text())
    assert saved["targets"][1] == {"target": "y", "measured": "2", "met": False}
    assert saved["machine"] and saved["measured_at"].endswith("UTC")

    text = _common.write_results().read_text()
    assert "## Targets at a glance" in text
    assert "| 1b | `x` < 1 s | 0.500 s | met |" in text
    assert "| 1b | y | 2 | **not met** |" in text
    assert "| x | 0.5 |" in text  # the section's own markdown
    # a section never measured says how to measure it
    assert "`python benchmarks/run_all.py --only scaling`" in text


def test_a_re_rendered_section_keeps_when_and_where_it_was_measured(tmp_path, monkeypatch):
    monkeypatch.setattr(_common, "RESULTS_DIR", tmp_path / "results")
    measured = {"measured_at": "2026-01-02 03:04 UTC", "machine": "m", "commit": "abc1234"}
    section = _common.Section("harness", "text", provenance=measured)
    saved = json.loads(section.save().read_text())
    assert {key: saved[key] for key in measured} == measured
