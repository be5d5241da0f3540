"""The package's layers: the run composes the harness and the reports; the harness never
reaches up into the reports, the reports never reach into the harness, and both meet in
``treesvsnets.results`` (the row, the store, the run folder), which imports neither."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "treesvsnets"


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _importing(package: str, prefix: str) -> dict[str, list[str]]:
    found = {
        str(path.relative_to(PACKAGE)): sorted(
            name for name in _imports(path) if name.startswith(prefix)
        )
        for path in (PACKAGE / package).rglob("*.py")
    }
    return {k: v for k, v in found.items() if v}


def test_no_bench_module_imports_the_reports():
    assert _importing("bench", "treesvsnets.reports") == {}


def test_no_report_module_imports_the_harness():
    assert _importing("reports", "treesvsnets.bench") == {}


def test_the_results_layer_imports_neither_the_harness_nor_the_reports():
    assert _importing("results", "treesvsnets.bench") == {}
    assert _importing("results", "treesvsnets.reports") == {}


def test_running_the_harness_alone_loads_no_report_module():
    code = (
        "import sys, treesvsnets.bench.run, treesvsnets.bench.execute.worker\n"
        "print(sorted(m for m in sys.modules if m.startswith('treesvsnets.reports')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_public_run_is_the_composition_that_writes_the_reports(tmp_path):
    import treesvsnets
    from treesvsnets import api

    assert treesvsnets.run is api.run and treesvsnets.resume is api.resume
    result = treesvsnets.run(
        datasets=["iris"], estimators=["logreg"], folds=2, out=tmp_path, progress=False
    )
    assert (result.run_dir / "report.html").is_file() and (result.run_dir / "summary.csv").is_file()


def test_a_report_that_cannot_be_drawn_is_a_warning_and_every_result_is_kept(tmp_path, monkeypatch):
    import pytest

    import treesvsnets
    from treesvsnets.errors import TreesVsNetsWarning
    from treesvsnets.reports import report

    def broken(*args, **kwargs):
        raise RuntimeError("no fonts")

    monkeypatch.setattr(report, "write_report", broken)
    with pytest.warns(TreesVsNetsWarning, match="could not write the report .RuntimeError: no"):
        result = treesvsnets.run(
            datasets=["iris"], estimators=["logreg"], folds=2, out=tmp_path, progress=False
        )
    assert result.manifest["status"] == "complete" and len(result.rows) == 4
    assert (result.run_dir / "results.csv").is_file()
    assert not (result.run_dir / "report.html").exists()


def test_no_module_imports_a_private_name_of_another():
    """A name with a leading underscore is its module's own: another module that needs it
    needs it public (``trial.py`` once imported cell.py's ``_fit_one``)."""
    found = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("treesvsnets"):
                private = [
                    a.name
                    for a in node.names
                    if a.name.startswith("_") and not a.name.endswith("__")  # not __version__
                ]
                found += [f"{path.relative_to(PACKAGE)}: {node.module}.{name}" for name in private]
    assert found == []


#: a function longer than this says why in its docstring ("Long because ...")
LONGEST_FUNCTION = 80


def test_no_function_is_longer_than_80_lines_unless_its_docstring_says_why():
    found = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            length = node.end_lineno - node.lineno + 1
            if length > LONGEST_FUNCTION and "Long because" not in (ast.get_docstring(node) or ""):
                found.append(f"{path.relative_to(PACKAGE)}: {node.name} ({length} lines)")
    assert found == []


#: the harness's stages in the order they may import each other: a stage imports only the
#: stages before it (bench/run.py, at the top, composes all four)
STAGES = ("cells", "tune", "plan", "execute")


def test_no_stage_of_the_harness_imports_a_later_one():
    found = []
    for position, stage in enumerate(STAGES):
        later = STAGES[position + 1 :]
        for path in (PACKAGE / "bench" / stage).rglob("*.py"):
            found += [
                f"bench/{stage}/{path.name} imports {name}"
                for name in _imports(path)
                if any(name.startswith(f"treesvsnets.bench.{other}") for other in later)
                or name == "treesvsnets.bench.run"
            ]
    assert found == []


def test_the_harness_is_its_four_stages_and_the_run_that_composes_them():
    bench = PACKAGE / "bench"
    folders = sorted(p.name for p in bench.iterdir() if p.is_dir() and p.name != "__pycache__")
    assert folders == sorted(STAGES)
    assert sorted(p.name for p in bench.glob("*.py")) == ["__init__.py", "run.py"]


#: a module longer than this does more than one job
LONGEST_MODULE = 450


def test_no_module_is_longer_than_450_lines():
    found = {}
    for path in PACKAGE.rglob("*.py"):
        name = str(path.relative_to(PACKAGE))
        length = path.read_text().count("\n")
        if length > LONGEST_MODULE:
            found[name] = length
    assert found == {}


def test_every_module_says_what_it_holds_in_its_docstring():
    """docs/architecture.md is a map; what each file holds is its own docstring's job."""
    found = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if len((ast.get_docstring(ast.parse(path.read_text())) or "").split()) < 8
    ]
    assert found == []


def test_only_the_plan_stage_reads_the_run_config():
    """The plan stage checks the RunConfig and hands the other stages what they need (a run
    context, the split recipe, table options, jobs); they never import it."""
    found = []
    for stage in ("cells", "tune", "execute"):
        for path in (PACKAGE / "bench" / stage).rglob("*.py"):
            names = _imports(path)
            if "treesvsnets.config" in names or "RunConfig" in path.read_text():
                found.append(f"bench/{stage}/{path.name}")
    assert found == []
