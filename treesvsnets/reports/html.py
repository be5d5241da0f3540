"""report.html: the same content as report.md in one self-contained file (figures embedded as
base64 PNG, no script, no external resource), so it opens offline in any browser."""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from treesvsnets.reports.layout import DatasetSection, Figure, ReportContent

HTML_FILENAME = "report.html"

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
       max-width: 1200px; padding: 0 1rem; color: #222; line-height: 1.45; }
h1 { font-size: 1.5rem; } h2 { border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
ul.header li { margin: .1rem 0; } p.legend { color: #555; font-size: .9rem; }
table { border-collapse: collapse; font-size: .85rem; margin: .5rem 0 1rem; }
th, td { border: 1px solid #ddd; padding: .25rem .5rem; text-align: right; }
th { background: #f4f4f4; } td:nth-child(2), td:nth-child(3) { text-align: left; }
tr:first-child td { font-weight: 600; }
table.columns td { text-align: left; } table.columns tr:first-child td { font-weight: normal; }
figure { display: inline-block; margin: .5rem 1rem 1rem 0; vertical-align: top; }
figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: .8rem; color: #555; max-width: 640px; }
.note { background: #fff8e1; padding: .3rem .6rem; border-left: 3px solid #f0b400; }
code { background: #f4f4f4; padding: 0 .2rem; }
p.verdict { font-size: 1.05rem; background: #eef6f1; padding: .6rem .8rem;
            border-left: 3px solid #1b9e77; }
details > summary { cursor: pointer; } details.dataset > summary h2 { display: inline; }
"""


def _inline(text: str) -> str:
    """Escape ``text`` and turn the Markdown we write (**bold**, `code`) into HTML."""
    escaped = html.escape(text)
    escaped = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", escaped)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", escaped)


def _figure(figure: Figure, run_dir: Path) -> str:
    data = base64.b64encode((run_dir / figure.path).read_bytes()).decode("ascii")
    caption = html.escape(figure.caption)
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{caption}">'
        f"<figcaption>{caption}</figcaption></figure>"
    )


def _table(frame, css: str = "") -> str:  # noqa: ANN001 - a DataFrame of display strings
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    attribute = f' class="{css}"' if css else ""
    return f"<table{attribute}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _list(items: list[str], css: str = "") -> str:
    if not items:
        return ""
    attribute = f' class="{css}"' if css else ""
    return f"<ul{attribute}>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + "</ul>"


def _across(content: ReportContent, run_dir: Path) -> list[str]:
    """The cross-dataset section: the verdict, the methods' board, the statistics, figures."""
    if not (content.verdict or content.across or content.across_figures):
        return []
    return [
        "<section><h2>Across datasets</h2>",
        f'<p class="verdict">{_inline(content.verdict)}</p>' if content.verdict else "",
        "" if content.across_table is None else _table(content.across_table),
        f'<p class="legend">{_inline(content.across_legend)}</p>' if content.across_legend else "",
        _list(content.across),
        "".join(_figure(f, run_dir) for f in content.across_figures),
        "</section>",
    ]


def _dataset(section: DatasetSection, run_dir: Path) -> list[str]:
    """One dataset's section, folded under its name (open)."""
    return [
        f'<details class="dataset" open><summary><h2>{html.escape(section.name)}</h2></summary>',
        "<section>",
        f"<p>{_inline(section.description)}</p>",
        "".join(f'<p class="note">{_inline(n)}</p>' for n in section.notes),
        ""
        if section.columns is None
        else "<details><summary>How each column of the file was read</summary>"
        + _table(section.columns, "columns")
        + "</details>",
        _table(section.table),
        _list(section.statistics),
        "".join(_figure(f, run_dir) for f in section.figures),
        *(
            f"<h3>{html.escape(part.title)}</h3>"
            + "".join(f"<p>{_inline(p)}</p>" for p in part.paragraphs)
            + "".join(f"<p>{_inline(c)}</p>" + _table(t) for c, t in part.tables)
            + _list(part.sentences)
            + "".join(_figure(f, run_dir) for f in part.figures)
            for part in section.subsections
        ),
        "</section></details>",
    ]


def render_html(content: ReportContent, run_dir: Path) -> str:
    """The page reads from the answer down: the run's status, then (with several datasets)
    the cross-dataset section and its verdict, then each dataset, folded under its name; the
    run's configuration is one folded block."""
    status, *configuration = content.header or [""]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_inline(content.title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{_inline(content.title)}</h1>",
        f"<p>{_inline(status)}</p>",
        _list(content.combined),
        "<details><summary>How this run was made: datasets, estimators and their settings, "
        "protocol, machine, versions</summary>" + _list(configuration, "header") + "</details>",
        *_across(content, run_dir),  # the answer first; the per-dataset tables' legend after it
        f'<p class="legend">{_inline(content.legend)}</p>',
    ]
    for section in content.datasets:
        parts += _dataset(section, run_dir)
    if content.failed:
        parts += ["<section><h2>Failed cells</h2>", _list(content.failed), "</section>"]
    parts.append("</body></html>")
    return "\n".join(p for p in parts if p)
