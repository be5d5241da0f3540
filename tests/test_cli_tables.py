"""A user's own table through the real command: run, TOML entries, inspect, bad data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import treesvsnets

from .helpers.cli import cli
from .helpers.tables import PLACEHOLDERS, dirty_frame, messy_and_clean, write_table


@pytest.fixture(scope="module")
def dirty_csv(tmp_path_factory) -> Path:
    return write_table(dirty_frame(), tmp_path_factory.mktemp("tables") / "dirty.csv")


def _run_dir(out: Path) -> Path:
    (run_dir,) = [p for p in out.iterdir() if p.is_dir()]
    return run_dir


def test_run_on_a_dirty_csv_benchmarks_it_and_records_the_cleaning(tmp_path, dirty_csv):
    done = cli(
        "run", "-d", dirty_csv, "-e", "rf", "-e", "logreg", "--folds", "3", "--out", tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "target 'label' (the last column)" in done.stdout + done.stderr
    run_dir = _run_dir(tmp_path)
    rows = pd.read_csv(run_dir / "results.csv")
    assert set(rows["status"]) == {"ok"} and len(rows) == 9  # rf, logreg and the dummy
    assert rows.loc[rows["estimator"] != "dummy", "accuracy"].min() > 0.7
    assert set(rows["dataset"]) == {dirty_csv.stem}  # named by its stem; the path is recorded
    manifest = json.loads((run_dir / "manifest.json").read_text())
    (described,) = manifest["datasets"]
    assert described["path"] == str(dirty_csv)
    assert described["cleaning"]["duplicate_rows_removed"] == 10
    assert described["categorical_columns"] == ["city", "user"]
    assert described["cleaning"]["constant_columns_dropped"] == ["constant"]
    assert described["table_options"]["missing"] == "impute"
    columns = {c["name"]: c for c in described["columns"]}
    assert columns["income"]["kind"] == "numeric" and columns["member"]["kind"] == "boolean"
    assert columns["user"]["encoding"].startswith("target encoding")
    report = (run_dir / "report.md").read_text()
    assert "balanced acc" in report and "duplicate rows removed: 10" in report
    assert "How each column of the file was read" in report
    assert "| user " in report and "target encoding" in report and "| vs baseline" in report
    assert "impute+onehot/target+standard" in set(rows["preprocessing"])


def test_values_a_column_could_not_read_are_named_in_the_runs_first_line(tmp_path):
    """A file whose decimal commas start past the head the decimal mark is judged on: the
    rates written 9,9 cannot be read as numbers, count as missing (imputed in each fold),
    and the run says so on its first line, not only in inspect."""
    rng = np.random.default_rng(0)
    rate, other = rng.integers(0, 100, 12_000) / 10, np.arange(12_000)  # no two rows alike
    written = [
        f"{v:.1f}" if i < 11_000 else f"{v:.1f}".replace(".", ",") for i, v in enumerate(rate)
    ]
    frame = pd.DataFrame({"rate": written, "other": other, "y": np.where(rate > 5, "hi", "lo")})
    frame.to_csv(tmp_path / "late.csv", sep=";", index=False)
    done = cli("run", "-d", tmp_path / "late.csv", "-e", "logreg", "--folds", "2",
               "--out", tmp_path / "runs")  # fmt: skip
    assert done.returncode == 0, done.stderr
    first = done.stderr.splitlines()[0]
    assert "; values unread, now missing: 'rate' 1000 (e.g. '" in first, first


def test_infinities_in_a_column_of_numbers_are_said_as_values_read_as_missing(tmp_path):
    """'inf' written in a file's numbers became missing, imputed, and said nowhere."""
    from treesvsnets.datasets.tables import load_table

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"rate": rng.normal(size=80), "n": rng.integers(0, 50, 80) * 1.0,
                          "y": rng.normal(size=80)})  # fmt: skip
    frame.loc[[3, 9], "rate"] = [np.inf, -np.inf]
    dataset = load_table(write_table(frame, tmp_path / "inf.csv"))
    (rate,) = [reading for reading in dataset.columns if reading.name == "rate"]
    assert (rate.missing, rate.unparsed, rate.unparsed_examples) == (2, 2, ["inf", "-inf"])
    assert dataset.X["rate"].isna().sum() == 2
    done = cli("run", "-d", tmp_path / "inf.csv", "-e", "ridge", "--folds", "2",
               "--out", tmp_path / "runs")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "values unread, now missing: 'rate' 2 (e.g. 'inf')" in done.stderr.splitlines()[0]


def test_target_values_far_from_the_rest_are_named_in_the_runs_first_line(tmp_path):
    """Three typos in a price near 50 (999999, 1e7): RMSE 333,141, every model 'NOT better'
    than the dummy, and nothing pointed at the three rows; they are kept, and named."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2))
    price = 50 + 5 * x[:, 0] + rng.normal(size=200)
    price[[7, 70, 170]] = [999_999, 1e7, 99_999]
    pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "price": price}).to_csv(
        tmp_path / "prices.csv", index=False
    )
    done = cli("run", "-d", tmp_path / "prices.csv", "-e", "ridge", "--folds", "2",
               "--out", tmp_path / "runs")  # fmt: skip
    assert done.returncode == 0, done.stderr
    first = done.stderr.splitlines()[0]
    assert "; 3 target value(s) 50 interquartile ranges or more from the median (1e+07, " in first
    assert "200 of 200 rows used" in first  # kept


def test_a_toml_entry_names_the_file_its_target_and_the_columns_to_drop(tmp_path, dirty_csv):
    config = tmp_path / "bench.toml"
    config.write_text(
        "estimators = ['logreg']\nfolds = 3\n"
        f"datasets = [{{path = '{dirty_csv}', target = 'city', drop = ['user'], "
        "categorical = ['member'], missing = 'drop'}]\n"
    )
    done = cli("run", "--config", config, "--out", tmp_path / "runs")
    assert done.returncode == 0, done.stderr
    manifest = json.loads((_run_dir(tmp_path / "runs") / "manifest.json").read_text())
    (described,) = manifest["datasets"]
    assert described["class_names"] == ["Kyiv", "Lima", "Oslo", "Pune"]
    assert "user" not in described["categorical_columns"] + described["numeric_columns"]
    assert "member" in described["categorical_columns"]
    assert described["cleaning"]["rows_with_missing_values_dropped"] > 0


def test_the_flags_of_a_run_override_columns_as_inspects_do_and_add_to_a_toml_entry(
    tmp_path, dirty_csv
):
    """--drop, --categorical (and --numeric, --datetime, --keep) apply to every table file a
    run is given, as inspect's flags do to its file; a [tables] entry's own lists add to them."""
    config = tmp_path / "bench.toml"
    config.write_text(f"[tables.'{dirty_csv}']\ndrop = ['constant']\n")
    flags = ("--target", "city", "--drop", "user", "--categorical", "member")
    done = cli("run", "-d", dirty_csv, "-e", "logreg", "--folds", "3", "--config", config,
               *flags, "--out", tmp_path / "runs")  # fmt: skip
    assert done.returncode == 0, done.stderr
    manifest = json.loads((_run_dir(tmp_path / "runs") / "manifest.json").read_text())
    (described,) = manifest["datasets"]
    assert manifest["config"]["drop"] == ["user"] and manifest["config"]["categorical"] == [
        "member"
    ]
    assert described["table_options"]["drop"] == ["user", "constant"]
    assert "user" not in described["categorical_columns"] + described["numeric_columns"]
    assert "member" in described["categorical_columns"]
    inspected = cli("inspect", dirty_csv, *flags, "--json")
    assert inspected.returncode == 0, inspected.stderr
    columns = {c["name"]: c["kind"] for c in json.loads(inspected.stdout)["columns"]}
    assert columns["user"] == "dropped" and columns["member"] == "categorical"
    # a built-in dataset has its own columns: the flag would be ignored, so it is refused
    refused = cli("run", "-d", "iris", "--drop", "user", "--out", tmp_path / "none")
    assert refused.returncode == 2 and "'drop' describes a table file" in refused.stderr
    assert not (tmp_path / "none").exists()


@pytest.mark.parametrize(
    ("frame", "extra", "words"),
    [
        (None, ["--target", "lable"], ["'lable'", "Did you mean 'label'?"]),
        (None, ["--drop", "usr"], ["'usr'", "Did you mean 'user'?"]),
        (None, ["--target", "LABEL"], ["'LABEL'", "Did you mean 'label'?"]),  # case apart
        (
            pd.DataFrame({"x": np.linspace(0, 1, 20), "y": ["a"] * 18 + ["b"] * 2}),
            [],
            ["'b'", "'y'", "folds"],
        ),
        (  # a notes column filled in 3 rows: a run on them went ahead
            pd.DataFrame(
                {
                    "x": np.arange(60.0),
                    "y": ["a", "b"] * 30,
                    "notes": ["VIP", "moved", "VIP"] + [""] * 57,
                }
            ),  # fmt: skip
            [],
            [
                "the last column 'notes', taken as the target, is blank in 57 of 60 rows",
                "--target",
            ],  # fmt: skip
        ),
        (  # a record number: the run predicted it from a signup date, R² 0.9998
            pd.DataFrame({"x": np.arange(60.0), "y": ["a", "b"] * 30, "no": range(1, 61)}),
            [],
            ["the last column 'no', taken as the target, is the file's row index", "--target"],
        ),
    ],
    ids=[
        "unknown target",
        "unknown dropped column",
        "target in other case",
        "class smaller than the folds",
        "last column mostly blank",
        "last column the row numbers",
    ],
)
def test_bad_tables_exit_2_with_one_sentence_naming_file_and_column(
    tmp_path, dirty_csv, frame, extra, words
):
    path = dirty_csv if frame is None else write_table(frame, tmp_path / "small.csv")
    done = cli("run", "-d", path, "-e", "logreg", *extra, "--out", tmp_path / "runs")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert str(path) in lines[0] and all(word in lines[0] for word in words), lines[0]
    assert not (tmp_path / "runs").exists()


def test_inspect_profiles_the_table_and_points_at_a_leaking_column(tmp_path):
    frame = dirty_frame().assign(copy_of_label=lambda f: f["label"].str.upper())
    path = write_table(frame[[c for c in frame if c != "label"] + ["label"]], tmp_path / "t.csv")
    done = cli("inspect", path)
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert f"{path}: 310 rows, 9 columns, target 'label'" in text
    assert "duplicate rows: 10" in text
    assert "constant columns: constant" in text
    assert "copy_of_label: holds the target itself" in text
    assert "rare 12 (4%)" in text

    done = cli("inspect", path, "--target", "city", "--drop", "copy_of_label", "--json")
    assert done.returncode == 0, done.stderr
    profile = json.loads(done.stdout)
    columns = {c["name"]: c for c in profile["columns"]}
    assert columns["city"]["kind"] == "target" and columns["copy_of_label"]["kind"] == "dropped"
    used = pd.read_csv(path).drop_duplicates().dropna(subset=["city"])  # the rows a run uses
    assert columns["income"]["kind"] == "numeric"
    assert columns["income"]["missing"] == used["income"].isna().sum()
    assert columns["age"]["outliers"] >= 2  # 999 and 1e6; -5 lies inside the fences
    assert profile["leakage"] == []


def test_inspect_of_a_missing_file_is_one_sentence_and_exit_2(tmp_path):
    done = cli("inspect", tmp_path / "nope.parquet")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"treesvsnets: error: data file '{tmp_path / 'nope.parquet'}' does not exist."
    )


@pytest.mark.parametrize(("name", "advice"), [("peng.json", "."), ("old.xls", " (an .xls")])
def test_a_file_of_another_type_is_named_as_one_by_run_as_by_inspect(tmp_path, name, advice):
    """run called an existing peng.json an "unknown dataset" and listed the built-ins."""
    (tmp_path / name).write_text('{"a": 1}')
    for argv in (["run", "-d", name, "--out", "runs"], ["inspect", name]):
        done = cli(*argv, cwd=tmp_path)
        assert done.returncode == 2, done.stderr
        suffix = name.rsplit(".", 1)[1]
        assert f"data file '{name}' has an unknown type '.{suffix}'; use .csv" in done.stderr
        assert f"or .xlsx{advice}" in done.stderr and "choose from" not in done.stderr


def test_palmer_penguins_shipped_by_a_package_runs_end_to_end(tmp_path):
    palmerpenguins = pytest.importorskip("palmerpenguins")
    csv = Path(palmerpenguins.__file__).parent / "data" / "penguins.csv"
    done = cli(
        "run",
        "-d",
        csv,
        "--target",
        "species",
        "-e",
        "rf",
        "-e",
        "logreg",
        "-e",
        "hgb",
        "--folds",
        "3",
        "--out",
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    rows = pd.read_csv(_run_dir(tmp_path) / "results.csv")
    assert set(rows["status"]) == {"ok"}
    # bill and flipper measurements separate the three species well (published: ~0.97-0.99)
    scores = rows.groupby("estimator")["accuracy"].mean()
    assert scores.drop("dummy").min() > 0.95 and scores["dummy"] < 0.5  # the baseline: Adelie


def test_inspect_shows_each_columns_type_placeholders_and_encoding(tmp_path):
    messy, _ = messy_and_clean(n_rows=400)
    path = write_table(messy, tmp_path / "crm.csv")
    done = cli("inspect", path)
    assert done.returncode == 0, done.stderr
    table = {line.split()[0]: line for line in done.stdout.splitlines() if line[:1].isalpha()}
    header = next(line for line in done.stdout.splitlines() if line.startswith("column"))
    for word in ("read as", "type", "placeholders", "unparsed", "encoding"):
        assert word in header
    used = messy.drop_duplicates()
    placeholders = used["income"].isin([p for p in PLACEHOLDERS if p]).sum()
    assert " numeric " in table["income"] and f" {placeholders} " in table["income"]
    assert " boolean " in table["member"] and "0/1" in table["member"]
    assert " datetime " in table["signup"] and "days since the fold's first date" in table["signup"]
    assert " categorical " in table["region"] and "target encoding" in table["region"]
    assert " categorical " in table["plan"] and "one-hot, 3 categories" in table["plan"]
    assert " dropped " in table["customer_id"] and "an identifier" in table["customer_id"]
    assert " dropped " in table["source"] and "constant" in table["source"]
    assert "category spellings merged" in done.stdout and "'Gold' <- " in done.stdout
    assert f"duplicate rows: {len(messy) - len(used)}" in done.stdout


def test_inspect_counts_placeholder_targets_and_the_report_escapes_a_pipe_in_a_name(tmp_path):
    """20 'unknown' targets are missing targets (a run drops them), a column of 1s is the
    constant 1, and a column named 'cost|eur' keeps report.md's table of columns whole."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    label = np.where(x > 0, "yes", "no").astype(object)
    label[:20] = "unknown"
    frame = pd.DataFrame({"cost|eur": x, "ones": 1, "label": label})
    path = write_table(frame, tmp_path / "t.csv")
    done = cli("inspect", path, "--json")
    assert done.returncode == 0, done.stderr
    columns = {c["name"]: c for c in json.loads(done.stdout)["columns"]}
    target = columns["label"]
    assert (target["missing"], target["placeholders"], target["distinct"]) == (20, 20, 2)
    assert columns["ones"]["note"] == "constant: '1' in every row"
    done = cli("run", "-d", path, "-e", "logreg", "--folds", "2", "-q", "--out", tmp_path / "r")
    assert done.returncode == 0, done.stderr
    (markdown,) = (tmp_path / "r").glob("*/report.md")
    row = next(line for line in markdown.read_text().splitlines() if "cost" in line and "|" in line)
    assert "cost\\|eur" in row and row.count(" | ") == row.replace("\\|", "").count(" | ")


def test_a_forced_type_that_does_not_fit_exits_2_naming_file_and_column(tmp_path):
    frame = pd.DataFrame({"code": ["A1", "B2", "3", "C4"] * 10, "y": ["a", "b"] * 20})
    path = write_table(frame, tmp_path / "codes.csv")
    config = tmp_path / "bench.toml"
    config.write_text(
        f"estimators = ['rf']\ndatasets = [{{path = '{path}', numeric = ['code']}}]\n"
    )
    done = cli("run", "--config", config, "--out", tmp_path / "runs")
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line == (
        f"treesvsnets: error: data file '{path}': column 'code' is declared numeric but only 25% "
        "of its values parse as numbers (e.g. 'A1'); fix the values or declare it categorical."
    )
    assert not (tmp_path / "runs").exists()
    inspected = cli("inspect", path, "--numeric", "code")
    assert inspected.returncode == 2 and inspected.stdout == ""
    assert inspected.stderr.strip() == line


@pytest.mark.slow  # a long scenario or an accuracy check: .ci/run's slow pass
def test_the_default_estimators_on_a_table_leave_out_the_image_net_and_say_so(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=120), "z": rng.normal(size=120)})
    frame["y"] = np.where(frame["x"] + 0.3 * rng.normal(size=120) > 0, "up", "down")
    path = write_table(frame, tmp_path / "small.csv")
    done = cli("run", "-d", path, "--folds", "2", "--param", "dense.epochs=5", "--out", tmp_path)
    assert done.returncode == 0, done.stderr
    assert "treesvsnets: not run on 'small': cnn (needs images)" in done.stderr
    rows = pd.read_csv(_run_dir(tmp_path) / "results.csv")
    assert "cnn" not in set(rows["estimator"])
    assert {"rf", "stacking", "logreg", "dense", "dummy"} <= set(rows["estimator"])
    assert set(rows["status"]) == {"ok"}
    named = cli("run", "-d", path, "-e", "cnn", "--out", tmp_path / "named")
    assert named.returncode == 2 and "estimator 'cnn' needs images" in named.stderr


def test_a_config_files_table_entry_names_its_file_under_any_spelling_or_is_refused(tmp_path):
    """``[tables."./sub/t.csv"]`` for ``datasets = ["sub/t.csv"]`` was silently ignored, and the
    run learned the last column instead of the target the entry gave."""
    (tmp_path / "sub").mkdir()
    frame = dirty_frame()[["income", "age", "member", "label"]].assign(flag=lambda f: f.age > 50)
    write_table(frame, tmp_path / "sub" / "t.csv")
    body = 'datasets = ["sub/t.csv"]\nestimators = ["logreg"]\nfolds = 2\n[tables."{}"]\n'
    (tmp_path / "dotted.toml").write_text(body.format("./sub/t.csv") + 'target = "label"\n')
    done = cli("run", "--config", "dotted.toml", "--out", "runs", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "table 't': target 'label'" in done.stderr

    (tmp_path / "stray.toml").write_text(body.format("t.csv") + 'target = "label"\n')
    done = cli("run", "--config", "stray.toml", "--out", "stray-runs", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "treesvsnets: error: stray.toml: [tables.\"t.csv\"] names no dataset of its 'datasets' "
        "('sub/t.csv'); write the path as a dataset's, or add it."
    )
    assert not (tmp_path / "stray-runs").exists()


def test_the_first_line_says_how_many_rows_subsample_keeps(tmp_path):
    """It said "300 of 310 rows used" where the cells used 150."""
    path = write_table(dirty_frame(), tmp_path / "t.csv")
    args = ("-e", "logreg", "--folds", "2", "--no-baseline", "--out", tmp_path / "r")
    done = cli("run", "-d", path, "--subsample", "150", *args)
    assert done.returncode == 0, done.stderr
    assert "300 of 310 rows used (10 duplicate rows removed), of which --subsample keeps 150" in (
        done.stderr
    )
    rows = pd.read_csv(next((tmp_path / "r").glob("*/results.csv")))
    assert set(rows["n_train"] + rows["n_test"]) == {150}


def test_a_class_too_small_for_the_folds_that_looks_like_another_is_asked_about(tmp_path):
    """penguins with 'Gento' among the species: refused, rightly, with no word of the typo."""
    rng = np.random.default_rng(0)
    species = rng.choice(["Adelie", "Gentoo", "Chinstrap"], 90)
    species[7] = "Gento"
    frame = pd.DataFrame({"bill": rng.normal(size=90), "species": species})
    path = write_table(frame, tmp_path / "p.csv")
    done = cli("run", "-d", path, "-e", "logreg", "--folds", "3", "--out", tmp_path / "r")
    assert done.returncode == 2
    assert done.stderr.strip().endswith(
        "has a single row, which cannot be both trained on and tested; drop those rows, or "
        "merge the class into another. Is 'Gento' a typo of 'Gentoo'?"
    )


def test_a_target_of_whole_numbers_read_as_classes_is_told_it_may_be_a_quantity(tmp_path):
    """Rooms, days, sizes in mm: read as labels, a value in one row was refused with advice to
    merge classes (and "Is '37.2' a typo of '7.2'?" of prices), never --task regression."""
    rng = np.random.default_rng(0)
    rooms = rng.integers(3, 9, 120)
    rooms[5] = 1
    frame = pd.DataFrame({"area": rooms * 20 + rng.normal(size=120), "rooms": rooms})
    path = write_table(frame, tmp_path / "houses.csv")
    done = cli("run", "-d", path, "-e", "logreg", "--folds", "3", "--out", tmp_path / "r")
    assert done.returncode == 2 and "class '1' of target column 'rooms'" in done.stderr
    assert done.stderr.strip().endswith(
        "Its values are numbers: if they are quantities, --task regression predicts them as "
        "such (task = 'regression' in a config file)."
    )
    as_numbers = cli("run", "-d", path, "-e", "ridge", "--folds", "3", "--task", "regression",
                     "--out", tmp_path / "r")  # fmt: skip
    assert as_numbers.returncode == 0, as_numbers.stderr


def test_inspect_says_a_run_would_refuse_classes_its_folds_cannot_hold(tmp_path):
    """inspect ended "rows a run would use: 400" of a table whose run was refused at once: a
    target of IDs (its class balance listed all 400, 6,000 characters), a class of one row."""
    from treesvsnets.datasets.profile_text import format_profile

    rng = np.random.default_rng(0)
    ids = pd.DataFrame({"x": rng.normal(size=400), "cust_id": [f"C{i:05d}" for i in range(400)]})
    text = format_profile(treesvsnets.inspect_table(write_table(ids, tmp_path / "ids.csv")))
    assert "a run would refuse this table:" in text and "holds a value of its own" in text
    assert "rows a run would use" not in text
    (balance,) = [line for line in text.splitlines() if line.startswith("class balance")]
    assert balance.endswith("C00011 1 (0%) and 388 more classes of 1 row(s) each; "
                            "largest/smallest 1.0")  # fmt: skip
    rooms = pd.DataFrame({"x": rng.normal(size=60), "rooms": [3, 4, 5] * 19 + [1, 6, 6]})
    text = format_profile(treesvsnets.inspect_table(write_table(rooms, tmp_path / "r.csv")))
    assert "a run would refuse this table:" in text and "class '1' of target column" in text
    assert "--task regression" in text
