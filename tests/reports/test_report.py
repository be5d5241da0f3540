"""The HTML/Markdown report and run comparison, on real small runs."""

from __future__ import annotations

import base64
import html
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

import treesvsnets
from tests.helpers.cli import cli
from tests.helpers.estimators import RaisingEstimator

DATASETS = ["iris", "wine", "breast_cancer"]
ESTIMATORS = ["rf", "logreg", "dense", "raises"]
#: per dataset: pareto, folds, learning curves, confusion of the best of 3 families, ROC (and
#: breast_cancer, binary: precision-recall); + CD; across datasets: Elo, win rates, normalized
#: scores, Elo against train time
FIGURES = len(DATASETS) * 7 + 1 + 1 + 4


class _Page(HTMLParser):
    """Collects the images, the headings and the text of a page, failing on unbalanced tags."""

    VOID = {"meta", "img", "br", "link", "input", "hr"}

    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.headings: list[str] = []
        self.text: list[str] = []
        self.open: list[str] = []
        self._in_heading = False

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs)["src"])
        if tag not in self.VOID:
            self.open.append(tag)
        self._in_heading = tag in ("h1", "h2")

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, (self.open[-3:], tag)
        self.open.pop()
        self._in_heading = False

    def handle_data(self, data):
        self.text.append(data)
        if self._in_heading:
            self.headings.append(data.strip())


@pytest.fixture(scope="module")
def report_run(tmp_path_factory):
    from treesvsnets.estimators import EstimatorSpec, add, unregister

    add(
        EstimatorSpec(
            name="raises",
            family="other",
            factory=RaisingEstimator,
            source="tests",
            threads_param=None,
        )
    )
    try:
        result = treesvsnets.run(
            datasets=DATASETS,
            estimators=ESTIMATORS,
            folds=3,
            params={"dense": {"epochs": 5}},
            isolate=False,
            progress=False,
            out=tmp_path_factory.mktemp("report"),
        )
    finally:
        unregister("raises")
    return result


def test_report_html_is_one_self_contained_page_with_every_plot_and_estimator(report_run):
    run_dir = report_run.run_dir
    page = _Page()
    page.feed((run_dir / "report.html").read_text(encoding="utf-8"))
    page.close()
    assert page.open == [], "unclosed tags"
    figures = sorted((run_dir / "figures").glob("*.png"))
    assert len(figures) == FIGURES
    assert len(page.images) == len(figures)
    # the page stays light: compressed figures (a run of 8 tables once gave 5 MB for 44 figures,
    # over 110 KB each; these are about 15 KB, so a run of many datasets is no multi-MB page)
    assert (run_dir / "report.html").stat().st_size < 30_000 * len(figures)
    for source in page.images:
        assert source.startswith("data:image/png;base64,")  # embedded: opens offline
        assert base64.b64decode(source.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    text = " ".join(page.text)
    for name in ESTIMATORS:
        assert name in text
    # the answer first: across datasets (and its verdict), then each dataset
    assert page.headings[1:] == ["Across datasets", *DATASETS, "Failed cells"]
    assert "Nadeau-Bengio corrected t-test" in text and "Friedman test over 3 datasets" in text
    assert "ValueError: deliberate failure in fit" in text
    assert "Across 3 datasets, the best of the " in text
    assert {"rf (default)", "dense (default)"} <= set(page.text)  # the methods' board
    assert "Not rated, every cell failed: raises (default)." in text


def test_report_md_links_the_png_files_and_shows_failed_estimators(report_run):
    run_dir = report_run.run_dir
    markdown = (run_dir / "report.md").read_text(encoding="utf-8")
    linked = [line.split("](")[1].rstrip(")") for line in markdown.splitlines() if "![" in line]
    assert sorted(linked) == sorted(f"figures/{p.name}" for p in (run_dir / "figures").glob("*"))
    assert "| failed" in markdown.replace("|  ", "| ").replace("| failed ", "| failed")
    assert "95% CI" in markdown and "balanced acc" in markdown
    # from the answer down: the verdict, the board and its legend, then the per-dataset legend
    order = [
        markdown.index(part)
        for part in ("## Across datasets", "**Across 3 datasets", "| rank", "**Elo**: a Bradley",
                     "Accuracy is the mean", "## iris")
    ]  # fmt: skip
    assert order == sorted(order)


def test_summary_csv_has_one_row_per_dataset_and_estimator_with_its_interval(report_run):
    summary = pd.read_csv(report_run.run_dir / "summary.csv")
    assert len(summary) == len(DATASETS) * (len(ESTIMATORS) + 1)  # and the dummy baseline
    assert set(summary.loc[summary["estimator"] == "dummy", "family"]) == {"baseline"}
    # the baseline is the floor: every model that learned is marked better than it
    assert (
        summary.loc[summary["estimator"].isin(["rf", "logreg"]), "vs_baseline"]
        .str.startswith("better")
        .all()
    )
    ok = summary[summary["estimator"] != "raises"]
    assert (ok["accuracy_ci_low"] <= ok["accuracy"]).all()
    assert (ok["accuracy"] <= ok["accuracy_ci_high"]).all()
    failed = summary[summary["estimator"] == "raises"]
    assert failed["accuracy"].isna().all() and (failed["failures"] == "3 error").all()


def test_the_report_command_rewrites_every_file(report_run, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(report_run.run_dir, copy)
    for name in ("report.html", "report.md", "summary.csv"):
        (copy / name).unlink()
    shutil.rmtree(copy / "figures")
    done = cli("report", copy)
    assert done.returncode == 0, done.stderr
    assert f"report: {copy / 'report.html'} (and report.md, summary.csv)" in done.stdout
    assert {p.name for p in copy.iterdir()} >= {"report.html", "report.md", "summary.csv"}
    assert len(list((copy / "figures").glob("*.png"))) == FIGURES


def test_a_report_rewritten_from_the_folder_is_the_one_the_run_wrote(tmp_path):
    """The run's report reads the manifest as written: ridge's alphas are a tuple in memory
    and a list in manifest.json, and showed as (0.1, ...) in one, [0.1, ...] in the other."""
    run = treesvsnets.run(datasets=["diabetes"], estimators=["ridge"], folds=2, out=tmp_path,
                          progress=False)  # fmt: skip
    written = {name: (run.run_dir / name).read_text() for name in ("report.md", "summary.csv")}
    assert "alphas=[0.1, 1.0, 10.0]" in written["report.md"]
    assert "RMSE is the mean ± standard deviation" in written["report.md"]  # no accuracy here
    done = cli("report", run.run_dir)
    assert done.returncode == 0, done.stderr
    for name, text in written.items():
        assert (run.run_dir / name).read_text() == text, name


def test_the_report_shows_every_manifest_field_it_reads(report_run):
    """The report reads the typed Manifest by attribute: a field renamed on either side
    fails here, as an AttributeError or as the '?' a missing entry shows."""
    from treesvsnets.reports.content import build_content
    from treesvsnets.results.folder import RunFolder

    folder = RunFolder.open(report_run.run_dir)
    content = build_content(folder.rows(), folder.read_manifest())  # no run_dir: no figures
    stored = json.loads(folder.manifest_path.read_text(encoding="utf-8"))
    assert content.title == f"treesvsnets run `{stored['run_id']}`"
    shown = [*content.header, *(section.description for section in content.datasets)]
    assert not [line for line in shown if "?" in line]
    header = "\n".join(content.header)
    for text in (
        f"status: **{stored['status']}**",
        f"threads per cell: {stored['threads_per_cell']};",
        f"cells ran {stored['executor']}",  # in this process (isolate=False)
        f"started {stored['started_at']}, wall time {stored['wall_seconds']:.1f} s",
        f"{stored['environment']['cores']} cores",
    ):
        assert text in header
    assert stored["threads_per_cell"] is not None and stored["executor"] is not None


def test_a_run_recorded_before_the_later_manifest_fields_still_has_a_report(report_run, tmp_path):
    from treesvsnets.reports.content import build_content
    from treesvsnets.results.folder import RunFolder

    copy = tmp_path / "old"
    shutil.copytree(report_run.run_dir, copy)
    folder = RunFolder.open(copy)
    old = json.loads(folder.manifest_path.read_text(encoding="utf-8"))
    for key in ("executor", "threads_per_cell", "cells_planned", "cells_missing", "skipped"):
        old.pop(key, None)
    old["environment"].pop("gpus", None)
    for split in old["splits"]:
        split.pop("test_rows_seen_in_train", None)
    folder.manifest_path.write_text(json.dumps(old), encoding="utf-8")
    content = build_content(folder.rows(), folder.read_manifest())
    assert content.header[0].startswith("status: **complete**")
    assert [section.name for section in content.datasets] == DATASETS


def test_compare_flags_a_changed_split_hash_and_changed_parameters(report_run, tmp_path):
    other = treesvsnets.run(
        datasets=["iris", "wine"],
        estimators=["rf", "logreg"],
        folds=3,
        seeds=[1],  # other folds: other split hashes
        params={"rf": {"n_estimators": 10}},
        isolate=False,
        progress=False,
        out=tmp_path,
    )
    done = cli("compare", report_run.run_dir, other.run_dir, "--csv", tmp_path / "c.csv")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "warning: iris: the split hashes differ" in out
    assert "compared unpaired" in out
    assert "warning: rf: parameters differ (n_estimators 100 vs 10)" in out
    assert "only in A: breast_cancer/dense" in out
    table = pd.read_csv(tmp_path / "c.csv")
    assert set(zip(table["dataset"], table["estimator"], strict=True)) == {
        ("iris", "rf"),
        ("iris", "logreg"),
        ("wine", "rf"),
        ("wine", "logreg"),
        ("iris", "dummy"),
        ("wine", "dummy"),
    }
    assert not table["paired"].any()


def test_compare_of_a_run_with_itself_finds_no_change(report_run):
    comparison = treesvsnets.compare_runs(report_run.run_dir, report_run.run_dir)
    assert comparison.warnings == []
    assert (comparison.table["change"].dropna() == 0).all()
    assert comparison.table["paired"].all()
    assert (comparison.table.dropna(subset=["score_p"])["score_p"] == 1.0).all()


def test_compare_says_failed_where_every_cell_of_one_run_failed(tmp_path, register_spec):
    """The same estimator, every cell of run B failed: its scores and times read 'failed' and
    '—', never 'nan'."""
    from tests.helpers.estimators import ProbaDummy, RaisingEstimator
    from treesvsnets.estimators import EstimatorSpec, add
    from treesvsnets.reports.compare import format_comparison

    register_spec("flip", ProbaDummy)  # removed by the fixture at the end
    runs = []
    for name, factory in (("a", ProbaDummy), ("b", RaisingEstimator)):
        spec = EstimatorSpec(name="flip", family="other", factory=factory, threads_param=None)
        add(spec, override=True)
        runs.append(treesvsnets.run(datasets=["iris"], estimators=["flip"], folds=2,
                                    out=tmp_path / name, progress=False).run_dir)  # fmt: skip
    text = format_comparison(treesvsnets.compare_runs(*runs))
    (line,) = [line for line in text.splitlines() if line.startswith("iris       flip")]
    assert "failed" in line and "—" in line and "nan" not in text, text
    assert line.split()[-1] == "2/0"


def test_compare_of_a_folder_that_is_no_run_is_one_sentence(tmp_path):
    done = cli("compare", tmp_path, tmp_path)
    assert done.returncode == 2
    assert "is not a run folder" in done.stderr and "Traceback" not in done.stderr


#: appended to a copy of report.html (the report itself has no script): once the page has
#: loaded, what the browser drew, written where --dump-dom shows it
_PROBE = """<script>
window.addEventListener("load", () => {
  const box = (el) => { const r = el.getBoundingClientRect(); return [r.width, r.height]; };
  const images = [...document.images].map((img) => ({natural: img.naturalWidth, shown: box(img)}));
  const tables = [...document.querySelectorAll("section > table")].map((t) => ({
    rows: t.rows.length, shown: box(t), text: t.innerText}));
  document.body.setAttribute("data-drawn", JSON.stringify({images, tables}));
});
</script>"""


def _chromium(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


@pytest.mark.skipif(
    shutil.which("chromium") is None, reason="Debian's chromium is not installed here"
)
def test_report_html_renders_in_a_headless_browser(report_run, tmp_path):
    run_dir = report_run.run_dir
    screenshot = tmp_path / "report.png"
    _chromium(
        "--window-size=1280,1600", f"--screenshot={screenshot}", (run_dir / "report.html").as_uri()
    )
    import matplotlib.image

    pixels = matplotlib.image.imread(screenshot)
    assert pixels.shape[:2] == (1600, 1280)
    assert pixels[..., :3].std() > 0.05  # text, tables and plots, not a blank page
    assert np.isfinite(pixels).all()

    # what the browser laid out: every figure decoded and shown, every leaderboard drawn
    probe = tmp_path / "probe.html"
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    probe.write_text(page.replace("</body>", _PROBE + "</body>"), encoding="utf-8")
    dom = _chromium("--window-size=1280,1600", "--dump-dom", probe.as_uri()).stdout
    drawn = json.loads(html.unescape(dom.split('data-drawn="', 1)[1].split('"', 1)[0]))
    figures = list((run_dir / "figures").glob("*.png"))
    assert len(drawn["images"]) == len(figures) > 0
    for image in drawn["images"]:
        width, height = image["shown"]
        assert image["natural"] > 0 and width > 300 and height > 100, image
    rows = pd.read_csv(run_dir / "results.csv")
    across, *boards = drawn["tables"]  # the methods across datasets, then each leaderboard
    assert across["rows"] == len(set(rows["estimator"]) - {"raises", "dummy"}) + 1
    assert "Elo" in across["text"] and min(across["shown"]) > 50
    assert len(boards) == len(DATASETS)
    for table, dataset in zip(boards, DATASETS, strict=True):
        estimators = set(rows.loc[rows["dataset"] == dataset, "estimator"])
        assert table["rows"] == len(estimators) + 1 and min(table["shown"]) > 50
        assert all(name in table["text"] for name in estimators)
        assert "accuracy" in table["text"] and "vs baseline" in table["text"]


def test_datasets_whose_names_make_the_same_file_name_get_figures_of_their_own():
    """'my data' and 'my_data' (or 'vin é' and 'vin ü') once shared figures/my_data-*.png:
    the second dataset's plots showed under both. A name unsafe in a file name gets a digest
    of itself; a safe one keeps its name, as in earlier runs."""
    from treesvsnets.reports.layout import slug

    names = ["my data", "my_data", "vin é", "vin ü", "data/my data.csv", "iris"]
    slugs = [slug(name) for name in names]
    assert len(set(slugs[:4])) == 4
    assert slugs[1] == "my_data" and slugs[5] == "iris"  # safe names are kept as they are
    assert slugs[4] == slug("my data.csv") and slugs[4].startswith("my_data.csv-")
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+", s) for s in slugs)


def test_the_report_of_a_run_stopped_before_its_first_cell_names_no_score(tmp_path):
    """Its legend said "RMSE is the mean ± ..." for a classification run with no rows."""
    from treesvsnets.reports.header import legend
    from treesvsnets.reports.report import write_report
    from treesvsnets.results.folder import RunFolder

    result = treesvsnets.run(datasets=["iris"], estimators=["logreg"], folds=2, isolate=False,
                             progress=False, out=tmp_path / "runs")  # fmt: skip
    manifest = RunFolder(result.run_dir).read_manifest()
    manifest.status, manifest.cells_by_status, manifest.cells_missing = "interrupted", {}, 4
    empty = result.rows.iloc[:0]
    (tmp_path / "stopped").mkdir()
    files = write_report(tmp_path / "stopped", empty, manifest, pd.DataFrame())
    text = files.markdown.read_text()
    assert "No cell has finished: there is nothing to rank yet." in text
    assert "RMSE" not in text and "mean ± standard deviation" not in text
    assert legend(empty.assign(task=[], vs_baseline=[]), None).startswith("No cell has")


def test_a_resumed_or_killed_runs_header_says_how_its_cells_ran_from_its_rows(tmp_path):
    """A resume with --timeout over a complete run (no cell ran) made the header say 'time
    limit 100 s per cell' of cells that ran without one; a run killed outright said 'status:
    running; cells: none' above its rows' leaderboard, with no word of finishing it."""
    from treesvsnets.reports.content import build_content
    from treesvsnets.results.folder import RunFolder

    result = treesvsnets.run(datasets=["iris"], estimators=["logreg"], folds=2, baseline=False,
                             out=tmp_path, progress=False)  # fmt: skip
    folder = RunFolder.open(result.run_dir)
    header = build_content(folder.rows(), folder.read_manifest()).header
    assert "cells ran on 1 worker process" in "\n".join(header)
    treesvsnets.resume(result.run_dir, timeout=100, progress=False)
    header = build_content(folder.rows(), folder.read_manifest()).header
    (ran,) = [line for line in header if line.startswith("cells ran")]
    assert ran == "cells ran (the run was resumed): 2 run 1 at a time with no limit"
    killed = json.loads(folder.manifest_path.read_text(encoding="utf-8"))
    # a process number above Linux's largest: no process has it
    killed.update(status="running", pid=2**23, cells_by_status={}, cells_missing=None)
    folder.manifest_path.write_text(json.dumps(killed), encoding="utf-8")
    status = build_content(folder.rows(), folder.read_manifest()).header[0]
    assert status == (
        "status: **stopped (its process is gone before its end)**; cells: 2 ok; finish with "
        "`treesvsnets run --resume RUN_DIR`"
    )


def test_compare_with_an_interrupted_run_measures_each_change_on_the_folds_both_finished(
    tmp_path,
):
    """A run stopped after 2 of 3 folds against the same run finished: compare showed a change
    in accuracy (A's mean over 2 folds, B's over 3) where the cells both had were identical,
    and its test, on those cells alone, said p = 1."""
    import sqlite3

    from treesvsnets.reports.compare import format_comparison

    runs = [
        treesvsnets.run(datasets=["breast_cancer"], estimators=["logreg"], folds=3,
                        baseline=False, out=tmp_path / name, progress=False).run_dir
        for name in "ab"
    ]  # fmt: skip
    with sqlite3.connect(runs[0] / "results.sqlite") as store:
        store.execute("DELETE FROM results WHERE fold = 2")  # as if stopped before its fold 3
    comparison = treesvsnets.compare_runs(*runs)
    (entry,) = comparison.table.to_dict("records")
    assert entry["change"] == 0.0 and entry["cells_ok"] == "2/3"
    assert any("each change is over the folds both finished" in w for w in comparison.warnings)
    assert "each change is over the folds both finished" in format_comparison(comparison)
