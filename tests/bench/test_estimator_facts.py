"""What a plugin's fitted estimator reports about itself reaches its row as plain values.

A ``torch.device`` as ``device_`` stopped the whole run (SQLite cannot bind it: exit 1, every
other row lost), a tensor as ``peak_gpu_memory_mb_`` broke the worker's connection, and a
``history_`` of NumPy numbers failed the cell (a probe of 2026-12-07).
"""

from __future__ import annotations

import json

import numpy as np
import torch

import treesvsnets
from tests.helpers.estimators import ProbaDummy
from treesvsnets.bench.cells.facts import estimator_facts


class OddlyReporting(ProbaDummy):
    """Reports its facts in the types a careless net wrapper would."""

    def fit(self, X, y):
        super().fit(X, y)
        self.device_ = torch.device("cpu")
        self.peak_gpu_memory_mb_ = torch.tensor(12.5)
        self.warmup_seconds_ = np.float32(0.25)
        self.history_ = [{"epoch": np.int64(1), "train_loss": np.float32(0.5)}]
        self.diverged_ = "diverged: loss nan\n## at epoch 3"
        return self


def test_odd_types_are_plain_values_and_unusable_ones_are_left_out():
    fitted = OddlyReporting().fit(np.zeros((4, 2)), [0, 1, 0, 1])
    facts = estimator_facts(fitted)
    assert facts == {
        "device": "cpu",
        "history": json.dumps([{"epoch": 1, "train_loss": 0.5}]),
        "peak_gpu_mb": 12.5,
        "warmup_seconds": 0.25,
        "diverged": "diverged: loss nan ## at epoch 3",
    }
    fitted.peak_gpu_memory_mb_, fitted.warmup_seconds_ = "lots", float("nan")
    fitted.history_, fitted.device_ = {"loss": object()}, ""
    fitted.diverged_ = True
    facts = estimator_facts(fitted)
    assert set(facts) == {"history"} and "object object" in facts["history"]


def test_a_run_with_such_an_estimator_keeps_every_row(tmp_path, register_spec):
    register_spec("odd", OddlyReporting)
    result = treesvsnets.run(datasets=["iris"], estimators=["odd", "logreg"], folds=2,
                             progress=False, out=tmp_path)  # fmt: skip
    rows = result.rows.set_index(["estimator", "fold"])
    assert set(rows["status"]) == {"ok"} and len(rows) == 6
    assert set(rows.loc["odd", "device"]) == {"cpu"}
    assert set(rows.loc["odd", "peak_gpu_mb"]) == {12.5}


def test_probability_columns_that_do_not_follow_classes_fail_their_cells(tmp_path, register_spec):
    """classes_ reversed, predict_proba not: scored as given, ROC-AUC 0.33 and log loss 7.7
    beside an accuracy of 0.95, status ok; classes_ naming a class twice, log loss 12.8."""
    from tests.helpers.estimators import ReversedClasses, TwiceNamedClass

    register_spec("reversed", ReversedClasses)
    register_spec("twice", TwiceNamedClass)
    result = treesvsnets.run(datasets=["iris"], estimators=["reversed", "twice", "logreg"],
                             folds=2, progress=False, out=tmp_path, isolate=False)  # fmt: skip
    rows = result.rows.groupby("estimator")
    assert set(rows.get_group("logreg")["status"]) == {"ok"}
    for name, words in (
        ("reversed", "names another class than predict on"),
        ("twice", "name a class twice: its probability columns cannot be told apart"),
    ):
        group = rows.get_group(name)
        assert set(group["status"]) == {"error"}, group["error"].tolist()
        assert group["error"].str.contains(words, regex=False).all(), group["error"].tolist()


def test_a_warning_raised_a_million_times_is_recorded_once_per_place():
    """Recorded with "always", a fit that warned a million times (an lr scheduler's warning
    in a loop) was charged 5 s and 360 MB by the records alone, and a memory limit stopped it."""
    import warnings

    from treesvsnets.bench.cells.cell import _recording_warnings

    def step() -> None:
        warnings.warn("lr_scheduler.step() before optimizer.step()", UserWarning, stacklevel=1)

    with _recording_warnings() as caught:
        for _ in range(100_000):
            step()
        warnings.warn("another place, another record", UserWarning, stacklevel=1)
    assert [str(w.message) for w in caught] == [
        "lr_scheduler.step() before optimizer.step()",
        "another place, another record",
    ]
    with _recording_warnings() as caught:  # the next cell records it again
        step()
    assert len(caught) == 1


def test_probabilities_off_only_by_their_float_type_s_rounding_are_taken():
    """float16 rows summing to 0.9995, and a -1e-9 from a subtraction, were refused, and the
    cell's accuracy lost with them; 0.9 is still no probability."""
    import pytest

    from treesvsnets.bench.cells.metrics import check_probabilities

    half = np.array([[0.3335, 0.6660], [0.5, 0.5]], dtype=np.float16)
    assert check_probabilities(half, 2) is not None
    clipped = check_probabilities(np.array([[-1e-9, 1.0], [0.25, 0.75]]), 2)
    assert clipped.min() == 0.0 and clipped[1, 1] == 0.75
    with pytest.raises(ValueError, match="do not sum to 1"):
        check_probabilities(np.array([[0.45, 0.45], [0.5, 0.5]]), 2)
    with pytest.raises(ValueError, match="outside"):
        check_probabilities(np.array([[-0.01, 1.01], [0.5, 0.5]]), 2)


def test_params_json_writes_numpy_numbers_as_numbers_and_no_memory_address():
    """np.float32 defaults were recorded as text, a function with its memory address (so one
    config read as another from run to run)."""
    from treesvsnets.bench.cells.facts import json_value

    def kernel(x):
        return x

    written = json.loads(
        json.dumps(
            {"C": np.float32(0.5), "n": np.int64(3), "kernel": kernel, "x": object()},
            default=json_value,
        )  # fmt: skip
    )
    assert written["C"] == 0.5 and written["n"] == 3
    assert written["kernel"].endswith("kernel") and "0x" not in json.dumps(written)


def test_a_long_warning_leaves_room_for_the_others_and_an_empty_one_is_kept(
    tmp_path, register_spec
):
    """Sorted and cut at 500 characters, one long warning hid every other; an empty one
    would have failed the cell (its first line read from no lines)."""
    from tests.helpers.estimators import WordyWarner

    register_spec("wordy", WordyWarner)
    rows = treesvsnets.run(datasets=["iris"], estimators=["wordy"], folds=2, baseline=False,
                           isolate=False, progress=False, out=tmp_path).rows  # fmt: skip
    assert set(rows["status"]) == {"ok"}
    said = rows["warnings"].iloc[0]
    for word in ("short first", "short second", "short third", "FutureWarning: "):
        assert word in said, said
