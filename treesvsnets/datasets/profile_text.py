"""A table's profile (:mod:`.profile`) as the text ``treesvsnets inspect`` prints: the column
table, what reading the columns did, then the rows, the target and the warnings."""

from __future__ import annotations

from treesvsnets.datasets.column_types import ZERO_PADDED_NOTE
from treesvsnets.datasets.profile import ColumnProfile, TableProfile
from treesvsnets.datasets.summary_rows import rows_removed
from treesvsnets.datasets.table_headers import WHITESPACE
from treesvsnets.datasets.tables import DUPLICATES_REMOVED_UP_TO


def format_profile(profile: TableProfile) -> str:
    """The profile as text for a terminal: the column table, then what reading the columns
    did, then the rows, the target and the warnings."""
    lines = [
        f"{profile.path}: {profile.rows} rows, {len(profile.columns)} columns, "
        f"target {profile.target!r}"
        + (f", {profile.cleaning['task']}" if profile.cleaning.get("task") else ""),
        *_read_with(profile),
        "",
        _column_table(profile),
        "",
    ]
    used = profile.cleaning.get("rows_used")
    if used is not None:
        lines.append(
            f"counts per column are over the {used} rows a run uses ("
            + ("" if profile.cleaning.get("duplicate_rows_kept") else "exact duplicates and ")
            + "rows without a target left out)"
        )
    lines.append(
        "numbers are scaled as each estimator asks (none for trees); every statistic of an "
        "encoding is fitted inside each training fold"
    )
    lines += _reading_notes(profile)
    lines += [
        f"duplicate rows: {profile.duplicate_rows}"
        + (
            " (exact copies over every column but the row index; more than "
            f"{DUPLICATES_REMOVED_UP_TO:.0%} of the rows, so repeated observations: kept)"
            if profile.cleaning.get("duplicate_rows_kept")
            else " (exact copies over every column but the row index; removed before splitting)"
            if profile.duplicate_rows
            else ""
        ),
        f"constant columns: {', '.join(profile.constant_columns) or 'none'}",
    ]
    if profile.declared_drops:
        lines.append("a run drops, as this built-in's definition says:")
        lines += [f"  - {column}: {why}" for column, why in profile.declared_drops.items()]
    lines += _target_notes(profile)
    if profile.problem:
        lines.append(f"a run would refuse this table: {profile.problem}")
    elif profile.cleaning:
        cap = profile.cleaning.get("row_cap")
        removed = rows_removed(profile.cleaning)
        lines.append(
            f"rows a run would use: {profile.cleaning.get('rows_used')}"
            + (f" of {profile.rows} ({', '.join(removed)} removed)" if removed else "")
            + (f", {cap}" if cap else "")
        )
    return "\n".join(lines)


def _read_with(profile: TableProfile) -> list[str]:
    """The separator and decimal mark a text file was read with (none for other files)."""
    used = profile.read_with
    if not used:
        return []
    names = {",": "',' (comma)", ";": "';' (semicolon)", "\t": "a tab", "|": "'|' (pipe)",
             WHITESPACE: "runs of spaces (a table aligned in columns)"}  # fmt: skip
    sep = names.get(used.get("sep", ""), repr(used.get("sep")))
    decimal = "',' (comma)" if used.get("decimal") == "," else "'.' (point)"
    encoding = f", in {used['encoding']} (UTF-8 could not read it)" if "encoding" in used else ""
    ends = (
        "; the separator that ends each data row (not the header) is ignored"
        if "separator_at_the_end_of_each_row" in used
        else ""
    )
    return [
        f"read with separator {sep} and decimal mark {decimal}{encoding} "
        f"(sep = / decimal = to change){ends}"
    ]


def _column_table(profile: TableProfile) -> str:
    """One line per column: as read, what it became, its counts, its encoding or why dropped."""
    from tabulate import tabulate

    return tabulate(
        [
            [
                c.name,
                c.dtype,
                c.kind,
                c.missing or "",
                c.placeholders or "",
                c.unparsed or "",
                c.distinct,
                "" if c.outliers is None else c.outliers or "",
                c.note if c.kind == "dropped" else c.encoding,
                c.example,
            ]
            for c in profile.columns
        ],
        headers=[
            "column",
            "read as",
            "type",
            "missing",
            "placeholders",
            "unparsed",
            "distinct",
            "IQR outliers",
            "encoding (or why dropped)",
            "e.g.",
        ],
    )


def _reading_notes(profile: TableProfile) -> list[str]:
    """The values that did not parse, and the category spellings merged (the target's too)."""
    lines = []
    unparsed = [c for c in profile.columns if c.unparsed and c.kind != "dropped"]
    if unparsed:
        lines.append("values that did not parse and became missing:")
        lines.extend(
            f"  - {c.name} ({c.kind}): {c.unparsed} value(s), e.g. "
            + ", ".join(repr(v) for v in c.unparsed_examples)
            for c in unparsed
        )
    codes = [c.name for c in profile.columns if c.note == ZERO_PADDED_NOTE]
    if codes:
        lines.append(
            "codes written with leading zeros ('02134'), read as categories, not numbers "
            f"(numeric = [...] reads them as numbers): {', '.join(codes)}"
        )
    merged = [c for c in profile.columns if c.merged]
    target_merged = profile.cleaning.get("target_spellings_merged", {})
    if target_merged:
        merged.append(ColumnProfile(profile.target, "", "target", 0, 0, merged=target_merged))
    if merged:
        lines.append("category spellings merged (they differ only in case or spaces):")
        lines.extend(
            f"  - {c.name}: "
            + "; ".join(
                f"{kept!r} <- {', '.join(repr(v) for v in variants)}"
                for kept, variants in c.merged.items()
            )
            for c in merged
        )
    return lines


#: the classes the class balance line names, the largest first (the others counted)
SHOWN_CLASSES = 12


def _target_notes(profile: TableProfile) -> list[str]:
    """The class balance or the target's numbers, the suspected leaks, the target's order."""
    lines = []
    total = sum(profile.class_counts.values())
    if total:
        counts = list(profile.class_counts.items())
        if len(counts) > SHOWN_CLASSES:  # a value per row (an ID) listed 6,000 characters
            counts.sort(key=lambda item: -item[1])
        shown = counts[:SHOWN_CLASSES]
        balance = ", ".join(f"{name} {count} ({count / total:.0%})" for name, count in shown)
        if len(shown) < len(counts):
            fewest, most = counts[-1][1], counts[len(shown)][1]
            rows = f"{fewest} row(s) each" if fewest == most else f"{fewest} to {most} rows"
            balance += f" and {len(counts) - len(shown)} more classes of {rows}"
        ratio = max(profile.class_counts.values()) / min(profile.class_counts.values())
        lines.append(f"class balance: {balance}; largest/smallest {ratio:.1f}")
    if profile.target_summary:
        summary = profile.target_summary
        lines.append(
            "target: "
            + ", ".join(f"{key} {summary[key]:.4g}" for key in ("mean", "std", "min", "median"))
            + f", max {summary['max']:.4g}"
        )
    if profile.leakage:
        lines.append("suspected leakage (check before trusting any score):")
        lines.extend(f"  - {leak}" for leak in profile.leakage)
    else:
        lines.append("suspected leakage: none found")
    if profile.target_order:
        verb = "rises or falls" if len(profile.order_columns) == 1 else "rise or fall"
        found = (
            f" ({', '.join(profile.order_columns)} {verb} with the row order)"
            if profile.order_columns
            else ""
        )
        lines.append(
            f"the target {profile.target_order}; any column derived from the row order (a row "
            f"index, an entry number) leaks it: check that none is among the features{found}"
        )
    return lines
