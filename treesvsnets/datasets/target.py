"""A table's target column: which task it makes, and its values for that task.

The task is read from the target as an analyst would: text, yes/no and a few whole numbers
are class labels (classification); numbers with fractions, or many distinct whole numbers,
are a quantity to predict (regression). ``task = ...`` (``--task``) overrides the choice.
Every refusal names the file and the column.

:func:`read_target` gives the task, why, and the target's numbers (at most
:data:`MAX_CLASS_CODES`, 20, distinct whole numbers are class codes);
:func:`check_regression_target` refuses a regression target that is not finite or is
constant; :func:`quantile_bins` cuts a target into the quantile bins a regression split can
be stratified on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from treesvsnets.errors import DatasetError
from treesvsnets.tasks import CLASSIFICATION, REGRESSION, TASKS

#: a whole-number target with more distinct values than this is a quantity (regression)
MAX_CLASS_CODES = 20
#: whole numbers with more distinct values than this, in fewer than twice as many rows, are
#: a quantity (a small table's weights: 16 values in 20 rows), not class codes
MOSTLY_DISTINCT_FROM = 10
#: a target with more distinct values than this holds no word labels (:func:`target_tokens`)
MAX_LABELS = 1_000
#: a target this much of which parses as numbers, with many values, is a quantity with typos
MOSTLY_NUMBERS = 0.9


@dataclass(frozen=True)
class TargetReading:
    task: str
    reason: str  # why this task: "inferred: ..." or "given: task = ..."
    numbers: Any | None  # the target as floats (a Series) when it reads as numbers


def _as_numbers(values: Any) -> tuple[Any | None, list[str], float]:
    """The target as floats when every value is a number ("$1,234" and "12%" included), else
    (None, examples of the values that are not, the share of values that are)."""
    import pandas as pd

    from treesvsnets.datasets.text_values import parse_numbers

    if pd.api.types.is_bool_dtype(values.dtype):
        return None, [], 0.0
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.astype(float), [], 1.0
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return None, [str(v) for v in values.iloc[:3]], 0.0
    parsed = parse_numbers(values.astype("string"))
    failed = parsed.isna()
    if failed.any():
        examples = [str(v)[:40] for v in values[failed].value_counts().index[:3]]
        return None, examples, 1 - float(failed.mean())
    return parsed.astype(float), [], 1.0


def read_target(values: Any, task: str | None, column: str, where: str) -> TargetReading:
    """The task of target ``values`` (rows without a target already removed): ``task`` when
    given, else inferred; a regression target's numbers are checked (finite, not constant)."""
    if task is not None and task not in TASKS:
        raise DatasetError(f"{where}: task must be 'classification' or 'regression', got {task!r}.")
    numbers, not_numbers, share = _as_numbers(values)
    if task == CLASSIFICATION:
        return TargetReading(CLASSIFICATION, "given: task = classification", numbers)
    if task == REGRESSION:
        if numbers is None:
            shown = ", ".join(repr(v) for v in not_numbers) or "yes/no values"
            raise DatasetError(
                f"{where}: task = regression, but target column {column!r} holds values that "
                f"are not numbers ({shown}); a regression target must be numeric (or use "
                "task = classification)."
            )
        reason = "given: task = regression"
    elif numbers is None:
        if share >= MOSTLY_NUMBERS and values.nunique() > MAX_CLASS_CODES:
            shown = ", ".join(repr(v) for v in not_numbers)
            raise DatasetError(
                f"{where}: target column {column!r} holds numbers except "
                f"{round((1 - share) * len(values))} value(s) ({shown}); fix them, list them "
                "as missing (null_tokens = [...]), or say task = 'classification' to read every "
                "value as a class."
            )
        return TargetReading(CLASSIFICATION, "inferred: the target holds labels", None)
    else:
        distinct = int(numbers.nunique())
        finite = numbers.to_numpy()
        whole = bool(np.isfinite(finite).all() and np.all(np.mod(finite, 1) == 0))
        # most rows a value of their own (16 weights in 20 rows): a quantity, not class codes
        unlike_codes = distinct > MOSTLY_DISTINCT_FROM and distinct > len(numbers) / 2
        if whole and distinct <= MAX_CLASS_CODES and not unlike_codes:
            return TargetReading(
                CLASSIFICATION,
                f"inferred: {distinct} distinct whole numbers, read as class codes "
                f"(task = regression to predict them as numbers)",
                numbers,
            )
        kind = "distinct whole numbers" if whole else "distinct numbers with fractions"
        reason = f"inferred: {distinct} {kind} (task = classification to treat them as classes)"
    check_regression_target(numbers.to_numpy(dtype=float), column, where)
    return TargetReading(REGRESSION, reason, numbers)


#: a regression target's largest magnitude: beyond it, squared errors summed over millions of
#: rows overflow a 64-bit float (its largest is 1.8e308), and no RMSE can be computed
LARGEST_TARGET = 1e150


def check_regression_target(y: np.ndarray, column: str, where: str) -> None:
    """Refuse a regression target with infinite values, values too large to score, or a
    single value."""
    infinite = ~np.isfinite(y)
    if infinite.any():
        raise DatasetError(
            f"{where}: target column {column!r} holds {int(infinite.sum())} infinite value(s); "
            "a regression target must be finite: fix or remove those rows (blank targets are "
            "dropped and counted)."
        )
    largest = float(np.max(np.abs(y))) if len(y) else 0.0
    if largest > LARGEST_TARGET:
        raise DatasetError(
            f"{where}: target column {column!r} holds values as large as {largest:.3g}, whose "
            f"squared errors overflow a 64-bit float (no RMSE can be computed beyond "
            f"{LARGEST_TARGET:.0e}); rescale the target (divide it by a power of ten) or "
            "predict its logarithm."
        )
    if len(y) and np.ptp(y) == 0:
        raise DatasetError(
            f"{where}: target column {column!r} has the same value ({y[0]:g}) in every row; "
            "there is nothing to predict."
        )


def quantile_bins(y: np.ndarray, n_bins: int) -> np.ndarray:
    """Integer bin codes of ``y`` by its quantiles (ties kept in one bin): what stratifying a
    regression split on the target uses."""
    edges = np.unique(np.quantile(y, np.linspace(0, 1, n_bins + 1)[1:-1]))
    return np.searchsorted(edges, y, side="right").astype(np.int64)


def is_none(values: Any) -> Any:
    """Where ``values`` say None (any case, surrounding spaces ignored)."""
    return values.astype(str).str.strip().str.lower() == "none"


def is_na(values: Any) -> Any:
    """Where ``values`` say NA, in capitals (surrounding spaces ignored)."""
    return values.astype(str).str.strip() == "NA"


#: a two-letter code in capitals (a continent's, a country's): NA among them is one
_CODE = re.compile(r"[A-Z]{2}")


def target_tokens(values: Any, options: Any, target: str, where: str) -> frozenset:
    """The tokens that mean "no target" under the TableOptions ``options``: theirs, less
    ``None`` where the other labels are words (an R factor's level: no exercise, no airbags;
    rows dropped as missing made a 3-class task binary, silently), and less ``NA`` where the
    other labels are two-letter codes in capitals (North America beside EU and AS, Namibia
    beside other countries' codes: a quarter of the rows had gone), when the user gave no
    ``null_tokens`` of their own. Among numbers (class codes, a quantity) both stay missing,
    and so does NA among other words (R writes a missing value NA)."""
    from treesvsnets.datasets.column_types import null_mask

    tokens = options.tokens
    if options.null_tokens is not None or options.task == REGRESSION:
        return tokens
    unique = values.dropna().unique()  # labels are few: no pass over every row as text
    if len(unique) > MAX_LABELS:
        return tokens
    distinct = [str(v).strip() for v in unique]
    if not {v.lower() for v in distinct} & {"none", "na"} & tokens:
        return tokens
    labelled = values[~null_mask(values, tokens)]
    try:
        words = labelled.empty or read_target(labelled, None, target, where).numbers is None
    except DatasetError:  # numbers but for a few: said when the target is read
        return tokens
    if not words:
        return tokens
    others = [v for v in distinct if v and v.lower() not in tokens]
    codes = "NA" in distinct and bool(others) and all(_CODE.fullmatch(v) for v in others)
    return tokens - {"none"} - ({"na"} if codes else set())


#: a target value this many interquartile ranges from the median is far from the rest
FAR_IQRS = 50


def far_values(numbers: Any) -> dict[str, Any]:
    """A regression target's values :data:`FAR_IQRS` interquartile ranges or more from its
    median, the farthest first (at most 3 named): typos or another unit ('999999' among
    prices near 50), which decide every squared error (RMSE 333,141 and every model 'NOT
    better' than the dummy, nothing said why): ``{"count": n, "values": [...]}``, or {}.
    Said in the run's first line; kept."""
    import pandas as pd

    values = pd.Series(np.asarray(numbers, dtype=float)).dropna()
    if len(values) < 20:
        return {}
    low, median, high = values.quantile([0.25, 0.5, 0.75])
    distance = (values - median).abs()
    far = distance[distance >= FAR_IQRS * (high - low)] if high > low else distance[:0]
    if far.empty:
        return {}
    farthest = far.sort_values(ascending=False, kind="stable").index[:3]
    return {"count": len(far), "values": [float(values[i]) for i in farthest]}


NAME_THE_TARGET = "name the target column with --target (target = ... in a config file)."


def check_last_column_as_target(values: Any, where: str) -> None:
    """Refuse, as the target no one named, a last column that is the file's row index
    (1..n, or whole numbers under an index's name): the benchmark predicted the row number
    (R² 0.9998 from a signup date), where as a feature the column would be dropped."""
    from treesvsnets.datasets.column_types import row_index_reason

    reason = row_index_reason(values)
    if reason is not None:
        raise DatasetError(
            f"{where}: the last column {values.name!r}, taken as the target, is {reason}; "
            + NAME_THE_TARGET
        )


def check_last_column_filled(name: str, blank: int, rows: int, where: str) -> None:
    """Refuse, as the target no one named, a last column blank in most rows but not all (a
    notes column filled in a few: a run went ahead on 6 of 400 rows)."""
    if rows / 2 < blank < rows:
        raise DatasetError(
            f"{where}: the last column {name!r}, taken as the target, is blank in {blank} "
            f"of {rows} rows; {NAME_THE_TARGET}"
        )


def whole_as_int(values: Any) -> Any:
    """Whole-number labels read as floats (codes beside a blank target) as integers: named
    '1' as the file writes them (and a Parquet Int64 column gives), not '1.0'."""
    if values.dtype.kind != "f" or not len(values):
        return values
    numbers = values.to_numpy()
    whole = np.isfinite(numbers).all() and (np.abs(numbers) < 2**53).all()
    return values.astype(np.int64) if whole and (np.mod(numbers, 1) == 0).all() else values


def encoded_target(y: Any, task: str, target: str, where: str) -> tuple[np.ndarray, tuple]:
    """The target as the harness reads it (floats, or class codes with the class names), with
    one value or one class refused (rows dropped above may leave only one)."""
    from treesvsnets.datasets.base import encode_labels

    if task == REGRESSION:
        codes = y.to_numpy(dtype=np.float64)
        check_regression_target(codes, target, where)
        return codes, ()
    codes, class_names = encode_labels(y.to_numpy())
    if len(class_names) < 2:  # one number in every row is said as a regression target's is
        try:
            value = float(class_names[0])
        except (TypeError, ValueError):  # a word: a class
            value = None
        if value is not None and np.isfinite(value):
            check_regression_target(np.full(len(codes), value), target, where)
        raise DatasetError(
            f"{where}: target column {target!r} has a single class ({class_names[0]!r}); "
            "classification needs at least two."
        )
    return codes, class_names
