"""Decimal commas a file's decimal point did not read: whether a column may hold them
(:func:`commas_may_follow`: the file was read with a point the user did not give, and no
column shows a point's decimals where commas are quoted in a comma-separated file), and
whether a column writes them beyond doubt (:func:`written_with_commas`: '€1.133,98').

And the other way round, decimal points a guessed comma did not read
(:func:`written_with_points`): a semicolon file whose first lines held only numbers such as
'86.478' (a thousands group, or three decimals) is read with a decimal comma, as a European
file is; a column without a comma whose values the comma's reading leaves unparsed
('4990.754' further down) has decimal points, and so, where no column writes a decimal comma,
does one whose every value has three decimals ('59.000', '2.500': a thousands column writes
its values below 1,000 without a point)."""

from __future__ import annotations

import re
from typing import Any

#: a number with a point before exactly three digits: a thousands group, or three decimals
_THREE_DECIMALS = re.compile(r"^[+-]?\d{1,3}\.\d{3}$")


def commas_may_follow(features: Any, read_with: dict[str, str], options: Any) -> bool:
    """Whether a column may hold decimal commas the file's decimal point does not read: a
    file read with a point the user did not give. Further down than the lines the point was
    judged on (a column sorted by its values: whole numbers first), or quoted in a file
    separated by commas with no decimal point anywhere (a spreadsheet in a decimal-comma
    locale saves "3,096","45,4"; beside '$1,234.50', '3,5' stays unread)."""
    if read_with.get("decimal", ".") != "." or options.decimal is not None:
        return False
    return read_with.get("sep") != "," or not _decimal_points(features)


def holds_a_comma_number(values: Any) -> bool:
    """Whether a text column writes a digit, a comma, a digit anywhere ('45,4'): only such
    a column can read otherwise with decimal commas (a table of words was read twice)."""
    return _is_text(values) and bool(
        values.dropna().astype(str).str.contains(r"\d,\d", regex=True).any()
    )


def written_with_commas(values: Any) -> bool:
    """Whether a text column writes its numbers with a decimal comma beyond doubt, whatever
    the file's other columns do: most of its first thousand values have a point's groups
    before a comma's decimals ('€1.133,98'), none a comma's groups before a point's."""
    if not _is_text(values):
        return False
    head = values.iloc[:1000].dropna().astype(str)
    european = head.str.contains(r"\d\.\d{3},\d", regex=True)
    american = head.str.contains(r"\d,\d{3}\.\d", regex=True)
    return bool(len(head)) and 2 * int(european.sum()) > len(head) and not american.any()


def _decimal_points(features: Any) -> bool:
    """Whether a column of ``features`` holds a number with a decimal point: read as one (a
    fraction in a float column), or written so in text (in its first thousand values; a
    '1.133,98' is a comma's)."""
    return _written(features, r"\d\.\d", unless=r"\d\.\d{3},\d")


def _written(features: Any, pattern: str, unless: str | None = None) -> bool:
    """Whether a column of ``features`` holds a fraction the file's decimal mark read (a float
    column's), or, in text, a value among its first thousand matching ``pattern`` (and not
    ``unless``)."""
    import numpy as np

    for column in features.columns:
        values = features[column]
        if values.dtype.kind == "f":
            if bool((np.modf(values.dropna().to_numpy())[0] != 0).any()):
                return True
        elif _is_text(values):
            head = values.iloc[:1000].dropna().astype(str)
            found = head.str.contains(pattern, regex=True)
            if unless is not None:
                found &= ~head.str.contains(unless, regex=True)
            if bool(found.any()):
                return True
    return False


def _is_text(values: Any) -> bool:
    return values.dtype.kind in "OUT" or str(values.dtype).startswith("str")


def comma_guessed(features: Any, read_with: dict[str, str], options: Any) -> str | None:
    """How a file was read with a decimal comma the user did not give: ``"witnessed"`` when a
    column writes one ('2,2': a fraction the comma read, or in text among its first thousand
    values), ``"unwitnessed"`` when only the semicolon and numbers such as '86.478' chose it;
    None when the user gave the mark or it is a point."""
    if read_with.get("decimal", ".") != "," or options.decimal is not None:
        return None
    return "witnessed" if _written(features, r"\d,\d") else "unwitnessed"


def written_with_points(values: Any, reading: Any, guessed: str | None) -> bool:
    """Whether a text column of a file read with a decimal comma the user did not give
    (``guessed``: :func:`comma_guessed`) writes its numbers with decimal points (see the
    module's docstring); ``reading``: how the comma read it."""
    if guessed is None or not _is_text(values):
        return False
    present = values.dropna().astype(str).str.strip()
    present = present[present != ""]
    if present.empty or bool(present.str.contains(",", regex=False).any()):
        return False
    if reading.kind == "numeric" and reading.unparsed:
        return True
    return guessed == "unwitnessed" and bool(present.str.match(_THREE_DECIMALS).all())
