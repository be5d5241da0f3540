"""Decimal commas a file's decimal point did not read: whether a column may hold them
(:func:`commas_may_follow`: the file was read with a point the user did not give, and no
column shows a point's decimals where commas are quoted in a comma-separated file), and
whether a column writes them beyond doubt (:func:`written_with_commas`: '€1.133,98')."""

from __future__ import annotations

from typing import Any


def commas_may_follow(features: Any, read_with: dict[str, str], options: Any) -> bool:
    """Whether a column may hold decimal commas the file's decimal point does not read: a
    file read with a point the user did not give. Further down than the lines the point was
    judged on (a column sorted by its values: whole numbers first), or quoted in a file
    separated by commas with no decimal point anywhere (a spreadsheet in a decimal-comma
    locale saves "3,096","45,4"; beside '$1,234.50', '3,5' stays unread)."""
    if read_with.get("decimal", ".") != "." or options.decimal is not None:
        return False
    return read_with.get("sep") != "," or not _decimal_points(features)


def written_with_commas(values: Any) -> bool:
    """Whether a text column writes its numbers with a decimal comma beyond doubt, whatever
    the file's other columns do: most of its first thousand values have a point's groups
    before a comma's decimals ('€1.133,98'), none a comma's groups before a point's."""
    if values.dtype.kind not in "OUT" and not str(values.dtype).startswith("str"):
        return False
    head = values.iloc[:1000].dropna().astype(str)
    european = head.str.contains(r"\d\.\d{3},\d", regex=True)
    american = head.str.contains(r"\d,\d{3}\.\d", regex=True)
    return bool(len(head)) and 2 * int(european.sum()) > len(head) and not american.any()


def _decimal_points(features: Any) -> bool:
    """Whether a column of ``features`` holds a number with a decimal point: read as one (a
    fraction in a float column), or written so in text (in its first thousand values)."""
    import numpy as np

    for column in features.columns:
        values = features[column]
        if values.dtype.kind == "f":
            if bool((np.modf(values.dropna().to_numpy())[0] != 0).any()):
                return True
        elif values.dtype.kind in "OUT" or str(values.dtype).startswith("str"):
            head = values.iloc[:1000].dropna().astype(str)
            points = head.str.contains(r"\d\.\d", regex=True)
            points &= ~head.str.contains(r"\d\.\d{3},\d", regex=True)  # '1.133,98': a comma's
            if bool(points.any()):
                return True
    return False
