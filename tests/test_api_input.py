"""The library's own calls take what a notebook passes them, and refuse the rest in one sentence.

A misspelt keyword of ``treesvsnets.run``, a ``Path``, a dict of settings, a DataFrame for
``inspect_table``: each gave Python's raw TypeError or AttributeError (a probe of 2026-12-07).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import treesvsnets
from tests.helpers.tables import dirty_frame, write_table
from treesvsnets.errors import ConfigError, Terminated

QUICK = {"estimators": ["logreg"], "folds": 2, "isolate": False, "baseline": False}


def test_a_misspelt_setting_or_a_config_of_another_kind_is_one_sentence():
    with pytest.raises(ConfigError, match="unknown setting 'fold'.* Did you mean 'folds'"):
        treesvsnets.run(datasets=["iris"], fold=3)
    with pytest.raises(ConfigError, match="config must be a RunConfig or a dict"):
        treesvsnets.run(5)
    with pytest.raises(ConfigError, match="check_estimator takes an estimator's name"):
        treesvsnets.check_estimator(5)
    with pytest.raises(ConfigError, match="unknown option 'targt'.* Did you mean 'target'"):
        treesvsnets.inspect_table("iris.csv", targt="label")


def test_paths_and_a_dict_of_settings_are_taken_as_their_text_is(tmp_path):
    table = write_table(dirty_frame(), tmp_path / "t.csv")
    suite = tmp_path / "mine.toml"
    suite.write_text('datasets = ["t.csv"]\n')
    by_path = treesvsnets.run(datasets=[table], out=tmp_path / "a", progress=False, **QUICK)
    by_dict = treesvsnets.run({"datasets": [str(table)], "out": tmp_path / "b", **QUICK},
                              progress=False)  # fmt: skip
    by_suite = treesvsnets.run(suite=suite, out=tmp_path / "c", progress=False, **QUICK)
    for result in (by_dict, by_suite):
        assert list(result.rows["accuracy"]) == list(by_path.rows["accuracy"])
    assert set(by_suite.rows["dataset"]) == {"t"}


def test_a_dataframe_is_profiled_as_its_file_would_be(tmp_path):
    frame = dirty_frame()
    from_file = treesvsnets.inspect_table(write_table(frame, tmp_path / "t.csv"), drop="user")
    from_frame = treesvsnets.inspect_table(frame, drop="user")
    assert from_frame.path == "the DataFrame" and Path(from_file.path).name == "t.csv"
    assert [(c.name, c.kind) for c in from_frame.columns] == [
        (c.name, c.kind) for c in from_file.columns
    ]
    assert from_frame.class_counts == from_file.class_counts
    # printed, or shown by a notebook, it is inspect's text, not every column's dataclass
    from treesvsnets.datasets.profile_text import format_profile

    assert str(from_frame) == format_profile(from_frame)
    assert str(from_frame).startswith("the DataFrame: 310 rows") and "ColumnProfile(" not in str(
        from_frame
    )
    shown = []
    from_frame._repr_pretty_(
        type("Printer", (), {"text": lambda self, t: shown.append(t)})(), False
    )
    assert shown == [str(from_frame)]


def test_class_weights_by_label_or_code_hold_through_a_resume_and_unknown_ones_are_refused(
    tmp_path,
):
    """The manifest keeps a class_weight dict as JSON, its keys text: a resumed run rebuilt
    {0: 1, 1: 2, 2: 1} as {'0': ...} and its cells failed ('The classes, [0, 1, 2], are not in
    class_weight'); from the command line (TOML: text keys) every cell failed so. The keys
    are the dataset's labels, or their codes; one that is neither is refused before a cell."""
    import sqlite3

    import numpy as np

    by_code = {"logreg": {"class_weight": {0: 1.0, 1: 5.0, 2: 1.0}}}
    by_label = {"logreg": {"class_weight": {"setosa": 1.0, "versicolor": 5.0, "virginica": 1.0}}}
    settings = dict(datasets=["iris"], estimators=["logreg"], folds=3, baseline=False,
                    progress=False)  # fmt: skip
    first = treesvsnets.run(**settings, params=by_code, out=tmp_path / "a")
    plain = treesvsnets.run(**settings, out=tmp_path / "plain")
    labelled = treesvsnets.run(**settings, params=by_label, out=tmp_path / "b")
    assert set(first.rows["status"]) == {"ok"}
    assert list(labelled.rows["accuracy"]) == list(first.rows["accuracy"])
    assert not np.array_equal(first.rows["log_loss"], plain.rows["log_loss"])  # weighed
    with sqlite3.connect(first.run_dir / "results.sqlite") as store:
        store.execute("delete from results where fold = 2")  # as a kill before the last fold
    resumed = treesvsnets.resume(first.run_dir, progress=False)
    assert set(resumed.rows["status"]) == {"ok"}
    assert list(resumed.rows.sort_values("fold")["log_loss"]) == list(
        first.rows.sort_values("fold")["log_loss"]
    )
    with pytest.raises(ConfigError, match=r"class_weight names 'yes', which is no class"):
        treesvsnets.run(**settings, params={"logreg": {"class_weight": {"yes": 2}}},
                        out=tmp_path / "c")  # fmt: skip


def test_a_notebooks_arguments_are_taken_or_refused_in_one_sentence(tmp_path):
    """NumPy's numbers and ranges were refused ('folds' must be an integer, got
    np.int64(2)); a DataFrame as a dataset printed every row; progress='no' left an empty
    run folder and a TypeError; resume(None), compare_runs(None, ...), inspect_table(None)
    and aggregate([]) were Python's TypeError and ValueError."""
    import numpy as np
    import pandas as pd

    rows = treesvsnets.run(datasets=["iris"], estimators=["logreg"], folds=np.int64(2),
                           seeds=range(1), baseline=False, progress=False,
                           out=tmp_path / "numpy").rows  # fmt: skip
    assert len(rows) == 2 and set(rows["status"]) == {"ok"}
    frame = pd.DataFrame({"x": range(300), "y": ["a", "b", "c"] * 100})
    with pytest.raises(ConfigError, match=r"not DataFrames: write one to a file") as refused:
        treesvsnets.run(datasets=[frame], estimators=["logreg"], out=tmp_path / "frame")
    assert len(str(refused.value)) < 400
    # it read "got ( x y 0 0 a 1 1 b ... (a tuple)": a list's frame named with its shape
    assert str(refused.value).endswith("got [a DataFrame of shape (300, 2)].")
    with pytest.raises(ConfigError, match=r"progress must be True, False or a function"):
        treesvsnets.run(datasets=["iris"], estimators=["logreg"], progress="no",
                        out=tmp_path / "no")  # fmt: skip
    assert not (tmp_path / "no").exists() and not (tmp_path / "frame").exists()
    for call in (
        lambda: treesvsnets.resume(None),
        lambda: treesvsnets.compare_runs(None, None),
        lambda: treesvsnets.inspect_table(None),
    ):
        with pytest.raises(ConfigError, match=r"a folder's or file's path .* is needed, got None"):
            call()
    with pytest.raises(ConfigError, match="no run folder was given"):
        treesvsnets.aggregate([])


def test_a_progress_function_that_raises_is_warned_of_and_the_run_goes_on(tmp_path):
    """A notebook's callback with a bug ended the whole run."""
    from treesvsnets.errors import TreesVsNetsWarning

    seen = []

    def progress(event):
        seen.append(event.index)
        raise KeyError("no such column")

    with pytest.warns(TreesVsNetsWarning, match=r"the progress function raised KeyError: "):
        result = treesvsnets.run(datasets=["iris"], estimators=["logreg"], folds=2,
                                 progress=progress, out=tmp_path)  # fmt: skip
    assert seen == [0] and len(result.rows) == 4 and set(result.rows["status"]) == {"ok"}


def test_the_nets_are_imported_from_the_package_as_the_readme_names_them():
    """`from treesvsnets import TorchClassifier` raised ImportError (only
    treesvsnets.estimators.torch had them), though the README names them as the Python API;
    the package's import still loads no torch."""
    import subprocess
    import sys

    code = (
        "import sys, treesvsnets; assert 'torch' not in sys.modules\n"
        "from treesvsnets import TorchClassifier, TorchRegressor\n"
        "from sklearn.datasets import load_iris\n"
        "X, y = load_iris(return_X_y=True)\n"
        "net = TorchClassifier(epochs=3, random_state=0).fit(X, y)\n"
        "print(type(net).__name__, net.predict(X).shape, TorchRegressor.__name__)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["TorchClassifier", "(150,)", "TorchRegressor"]


@pytest.mark.parametrize("how", [KeyboardInterrupt, Terminated])
def test_a_stopped_call_says_in_its_traceback_what_is_kept_and_how_to_finish(tmp_path, how):
    """A notebook's run stopped by Ctrl-C or SIGTERM ended in a bare traceback ('received
    signal SIGTERM') naming neither the folder that keeps its cells nor resume()."""

    def stop_after_the_first_cell(event):
        if event.row is not None:
            raise how("received signal SIGTERM")

    with pytest.raises(KeyboardInterrupt) as caught:
        treesvsnets.run(datasets=["iris"], estimators=["logreg"], folds=2, out=tmp_path,
                        isolate=False, progress=stop_after_the_first_cell)  # fmt: skip
    (run_dir,) = tmp_path.iterdir()
    assert caught.value.__notes__ == [
        f"finished cells are kept in {run_dir}; finish it with: "
        f"treesvsnets.resume({str(run_dir)!r})"
    ]
    finished = treesvsnets.resume(run_dir, progress=False)  # as the note says
    assert finished.manifest["status"] == "complete" and len(finished.rows) == 4
