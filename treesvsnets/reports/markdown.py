"""report.md: the report's content as GitHub Markdown, figures as PNG files beside it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from treesvsnets.reports.layout import Figure, ReportContent

REPORT_FILENAME = "report.md"


def _figures(figures: list[Figure]) -> list[str]:
    lines = []
    for figure in figures:
        lines += [f"![{figure.caption}]({figure.path.as_posix()})", "", f"*{figure.caption}*", ""]
    return lines


def _table(frame) -> str:  # noqa: ANN001 - a DataFrame of display strings
    """A GitHub table; a '|' in a cell or a header (a column's name) is escaped, as it
    would end the cell, and a line break in one is a space."""
    from tabulate import tabulate

    def cell(value: object) -> str:
        return " ".join(str(value).replace("|", "\\|").splitlines())

    cells = {cell(name): [cell(value) for value in values] for name, values in frame.items()}
    return tabulate(cells, headers="keys", tablefmt="github", disable_numparse=True)


def _across(content: ReportContent) -> list[str]:
    """The cross-dataset section: the verdict, the methods' board, the statistics, figures."""
    if not (content.verdict or content.across or content.across_figures):
        return []
    lines = ["## Across datasets", ""]
    if content.verdict:
        lines += [f"**{content.verdict}**", ""]
    if content.across_table is not None:
        lines += [_table(content.across_table), ""]
    if content.across_legend:
        lines += [content.across_legend, ""]
    lines += [*(f"- {sentence}" for sentence in content.across), ""]
    return lines + _figures(content.across_figures)


def render_markdown(content: ReportContent) -> str:
    """The answer first: the run's status and (with several datasets) the cross-dataset
    section, then each dataset; the configuration is a folded block (GitHub renders
    ``<details>``)."""
    status, *configuration = content.header or [""]
    lines = [f"# {content.title}", "", status, ""]
    if content.combined:
        lines += [*(f"- {line}" for line in content.combined), ""]
    lines += ["<details><summary>How this run was made</summary>", ""]
    lines += [*(f"- {line}" for line in configuration), "", "</details>", ""]
    lines += _across(content)  # the answer first; the per-dataset tables' legend after it
    lines += [content.legend, ""]
    for section in content.datasets:
        lines += [f"## {section.name}", "", section.description, ""]
        if section.notes:
            lines += [*(f"- {note}" for note in section.notes), ""]
        if section.columns is not None:
            lines += [
                "How each column of the file was read (statistics of every encoding are fitted "
                "inside each training fold):",
                "",
                _table(section.columns),
                "",
            ]
        lines += [_table(section.table), ""]
        if section.statistics:
            lines += [*(f"- {sentence}" for sentence in section.statistics), ""]
        lines += _figures(section.figures)
        for part in section.subsections:
            lines += [f"### {part.title}", "", *(f"{p}\n" for p in part.paragraphs)]
            for caption, table in part.tables:
                lines += [caption, "", _table(table), ""]
            if part.sentences:
                lines += [*(f"- {sentence}" for sentence in part.sentences), ""]
            lines += _figures(part.figures)
    if content.failed:
        lines += ["## Failed cells", "", *(f"- {line}" for line in content.failed), ""]
    return "\n".join(lines)
