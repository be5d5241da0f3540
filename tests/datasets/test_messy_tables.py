"""Messy tables read as an analyst reads them: types, placeholders, dates, IDs, duplicates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris

import treesvsnets
from treesvsnets.bench.cells.splits import make_split_plan
from treesvsnets.datasets.columns import CategoryEncoder, DatetimeFeatures
from treesvsnets.datasets.table_options import TableOptions
from treesvsnets.datasets.tables import load_table
from treesvsnets.errors import TreesVsNetsError

from ..helpers.tables import PLACEHOLDERS, messy_and_clean, write_table


@pytest.fixture(scope="module")
def twins(tmp_path_factory):
    """The messy CRM export as CSV, its clean twin as Parquet (real dtypes), and the frames."""
    folder = tmp_path_factory.mktemp("twins")
    messy, clean = messy_and_clean()
    return (
        write_table(messy, folder / "crm.csv"),
        write_table(clean, folder / "crm_clean.parquet"),
        messy,
        clean,
    )


def test_every_messy_pattern_is_read_as_its_clean_type(twins):
    messy_path, clean_path, messy, clean = twins
    dataset = load_table(messy_path)
    twin = load_table(clean_path)
    readings = {r.name: r for r in dataset.columns}
    kinds = {name: r.kind for name, r in readings.items()}
    assert kinds == {r.name: r.kind for r in twin.columns}
    assert kinds == {
        "customer_id": "dropped",
        "income": "numeric",
        "utilization": "numeric",
        "age": "numeric",
        "member": "boolean",
        "plan": "categorical",
        "region": "categorical",
        "signup": "datetime",
        "source": "dropped",
    }
    assert readings["customer_id"].note.startswith("an identifier")
    assert readings["source"].note.startswith("constant")
    # the values are the clean twin's, and missing exactly where the messy one has a token
    deduplicated = clean.drop_duplicates().reset_index(drop=True)
    np.testing.assert_allclose(dataset.X["income"], deduplicated["income"])
    np.testing.assert_allclose(dataset.X["utilization"], deduplicated["utilization"], atol=1e-12)
    np.testing.assert_array_equal(dataset.X["member"], deduplicated["member"].astype(float))
    assert dataset.X["plan"].tolist() == deduplicated["plan"].tolist()  # case variants merged
    assert (dataset.X["signup"] == deduplicated["signup"]).all()
    assert dataset.class_names == twin.class_names and (dataset.y == twin.y).all()
    # placeholders: the tokens that are not blank cells, counted per column
    used = messy.drop_duplicates()
    tokens = [p for p in PLACEHOLDERS if p]
    assert readings["income"].placeholders == used["income"].isin(tokens).sum() > 0
    assert readings["income"].missing == deduplicated["income"].isna().sum()
    assert readings["age"].unparsed == 0 and readings["age"].note == "parsed from text as numbers"
    assert set(readings["plan"].merged) == {"Gold", "Silver", "Bronze"}
    assert "GOLD" in readings["plan"].merged["Gold"]
    assert dataset.cleaning["duplicate_rows_removed"] == len(messy) - len(used) > 0
    assert dataset.cleaning["columns_dropped_as_identifiers"] == ["customer_id"]
    assert dataset.cleaning["category_spellings_merged"]["plan"] == readings["plan"].merged
    assert readings["region"].encoding.startswith("target encoding")
    assert readings["plan"].encoding.startswith("one-hot")
    assert dataset.describe()["columns"][1]["name"] == "income"


@pytest.mark.slow  # a long scenario or an accuracy check: .ci/run's slow pass
def test_the_messy_table_scores_what_its_clean_twin_scores_on_the_same_folds(tmp_path, twins):
    messy_path, clean_path, _, _ = twins
    messy, twin = load_table(messy_path), load_table(clean_path)
    plans = [make_split_plan(d, 5, 0) for d in (messy, twin)]
    for a, b in zip(plans[0].folds, plans[1].folds, strict=True):
        assert a.test.tolist() == b.test.tolist()
    result = treesvsnets.run(
        datasets=[str(messy_path), str(clean_path)],
        estimators=["rf", "hgb", "lightgbm", "logreg"],
        folds=5,
        threads=1,
        isolate=False,
        out=tmp_path,
        progress=False,
        baseline=False,
    )
    rows = result.rows
    assert set(rows["status"]) == {"ok"}
    scores = rows.groupby(["estimator", "dataset"])["accuracy"].mean().unstack()
    for estimator, pair in scores.iterrows():
        assert pair[messy_path.stem] >= 0.97 * pair[clean_path.stem], estimator
    assert scores[clean_path.stem].min() > 0.6  # the majority class is 0.41


def test_a_number_column_with_a_few_odd_values_keeps_them_as_missing_and_says_which(tmp_path):
    values = [f"{v:.1f}" for v in range(95)] + ["n.a.", "tbd", "tbd", "12 kg", "~3"]
    frame = pd.DataFrame({"weight": values, "y": ["a", "b"] * 50})
    dataset = load_table(write_table(frame, tmp_path / "odd.csv"))
    (reading,) = dataset.columns
    assert reading.kind == "numeric" and reading.unparsed == 4
    assert reading.unparsed_examples[0] == "tbd" and set(reading.unparsed_examples) == {
        "tbd",
        "12 kg",
        "~3",
    }
    assert reading.placeholders == 1  # "n.a." is a missing-value token
    assert dataset.X["weight"].isna().sum() == reading.missing == 5
    assert "missing + indicator" in reading.encoding
    assert dataset.cleaning["values_unparsed_as_missing"] == {"weight": 4}


def test_numbers_as_people_write_them_parse_and_ambiguous_ones_do_not(tmp_path):
    frame = pd.DataFrame(
        {
            "money": ["$1,234.50", "€ 99", "(2,000)", "£1 000", "-$5", "1e3", "+7", "0"] * 5,
            "share": ["12%", "0.5 %", "100%", "7%", "-3%", "50%", "1%", "0%"] * 5,
            "commas": ["3,5", "4,25", "1,0", "2,75", "3,5", "4,25", "1,0", "9,9"] * 5,
            "y": ["a", "b"] * 20,
        }
    )
    dataset = load_table(write_table(frame, tmp_path / "numbers.csv"))
    kinds = {r.name: r.kind for r in dataset.columns}
    assert kinds == {"money": "numeric", "share": "numeric", "commas": "categorical"}
    assert dataset.X["money"].iloc[:8].tolist() == [1234.5, 99, -2000, 1000, -5, 1000, 7, 0]
    np.testing.assert_allclose(
        dataset.X["share"].iloc[:8], [0.12, 0.005, 1, 0.07, -0.03, 0.5, 0.01, 0]
    )


def test_placeholder_tokens_are_missing_in_any_case_and_can_be_replaced(tmp_path):
    tokens = ["NA", "n/a", "NULL", "None", "UNKNOWN", "?", "-", "--", " unknown "]
    frame = pd.DataFrame(
        {"x": [str(i % 10) for i in range(40)] + tokens, "y": ["a", "b", "c"] * 16 + ["a"]}
    )
    path = write_table(frame, tmp_path / "tokens.csv")
    (reading,) = load_table(path).columns
    assert reading.kind == "numeric" and reading.placeholders == len(tokens)
    assert reading.unparsed == 0
    (custom,) = load_table(path, TableOptions(null_tokens=("?",))).columns
    assert custom.placeholders == 1 and custom.kind == "categorical"


def test_yes_no_in_any_spelling_is_a_boolean_and_mixed_words_are_not(tmp_path):
    frame = pd.DataFrame(
        {
            "flag": ["yes", "No", "Y", "n", "TRUE", "false", "1", "0"] * 5,  # 1/0 among them
            "answer": ["yes", "no", "maybe", "yes", "no", "yes", "no", "maybe"] * 5,
            "y": ["a", "a", "b", "b"] * 10,  # not flag's pattern: flag would be a copy of it
        }
    )
    dataset = load_table(write_table(frame, tmp_path / "flags.csv"))
    assert {r.name: r.kind for r in dataset.columns} == {
        "flag": "boolean",
        "answer": "categorical",
    }
    assert dataset.X["flag"].iloc[:8].tolist() == [1, 0, 1, 0, 1, 0, 1, 0]


def test_identifiers_are_dropped_with_a_note_unless_kept(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "ticket": [f"T-{i:05d}" for i in rng.permutation(60)],
            "PassengerId": rng.permutation(60) + 1,
            # distinct whole numbers under a plain name, out of file order: a feature (the row
            # positions 0..59 would be the file's row index: tests/datasets/test_row_index.py)
            "x": rng.permutation(60) * 3,
            "y": ["a", "b"] * 30,
        }
    )
    path = write_table(frame, tmp_path / "ids.csv")
    dataset = load_table(path)
    assert list(dataset.X.columns) == ["x"]
    assert dataset.cleaning["columns_dropped_as_identifiers"] == ["ticket", "PassengerId"]
    kept = load_table(path, TableOptions(keep=("ticket", "PassengerId")))
    assert list(kept.X.columns) == ["ticket", "PassengerId", "x"]


def test_exact_duplicates_are_judged_on_the_rows_as_read_before_columns_are_dropped(tmp_path):
    """The bug this guards: dropping an ID first made 1,183 of 2,400 rows 'duplicates'."""
    rng = np.random.default_rng(1)
    n = 200
    frame = pd.DataFrame(
        {
            "row": [f"r{i}" for i in range(n)],
            "color": rng.choice(["red", "blue"], n),
            "size": rng.choice(["S", "M", "L"], n),
            "y": rng.choice(["yes", "no"], n),
        }
    )
    frame = pd.concat([frame, frame.iloc[:5]], ignore_index=True)  # 5 exact copies
    path = write_table(frame, tmp_path / "crm.csv")
    dataset = load_table(path, TableOptions(drop=("row",)))
    assert dataset.cleaning["duplicate_rows_removed"] == 5
    assert dataset.n_samples == n  # the rows that share features but not always labels stay
    features = dataset.X[["color", "size"]].astype(str).agg("|".join, axis=1)
    conflicting = pd.Series(dataset.y).groupby(features.to_numpy()).nunique()
    assert (conflicting > 1).any()  # the same features with both labels: real data, kept


def test_dates_become_numbers_fitted_on_the_training_rows_only():
    train = pd.DataFrame({"d": pd.to_datetime(["2024-01-01", "2024-01-11", None])})
    test = pd.DataFrame({"d": pd.to_datetime(["2023-12-31", "2024-03-01 12:00"], format="ISO8601")})
    features = DatetimeFeatures().fit(train)
    out = features.transform(test)
    # days since the training rows' first date, year, month, day, weekday (no hours in training)
    np.testing.assert_allclose(out[0], [-1, 2023, 12, 31, 6])
    np.testing.assert_allclose(out[1], [60.5, 2024, 3, 1, 4])
    assert np.isnan(features.transform(train)[2]).all()


def test_a_date_column_blank_in_every_training_row_gives_missing_days_not_a_failed_fold(
    tmp_path,
):
    """A date column filled in one row of the file: the folds without it in training failed
    every cell ("Cannot cast DatetimeArray to dtype float64"), the dummy's too."""
    blank = pd.DataFrame({"d": pd.to_datetime([None, None])})
    out = (
        DatetimeFeatures().fit(blank).transform(pd.DataFrame({"d": pd.to_datetime(["2021-03-04"])}))
    )
    assert np.isnan(out[0, 0]) and out[0, 1:].tolist() == [2021, 3, 4, 3]
    iris = load_iris(as_frame=True).frame
    iris.insert(0, "closed_on", [""] * len(iris))
    iris.loc[9, "closed_on"] = "2021-03-04"
    iris.to_csv(tmp_path / "iris_dated.csv", index=False)
    result = treesvsnets.run(datasets=[str(tmp_path / "iris_dated.csv")],
                             estimators=["logreg"], folds=3, isolate=False, progress=False,
                             out=tmp_path / "runs")  # fmt: skip
    assert set(result.rows["status"]) == {"ok"} and len(result.rows) == 6


def test_many_valued_categories_are_target_encoded_cross_fitted_and_unseen_get_the_mean():
    rng = np.random.default_rng(0)
    values = rng.choice([f"v{i}" for i in range(40)], 400)
    y = (np.char.str_len(values.astype(str)) % 2 + (rng.random(400) < 0.2)) % 2
    X = values.reshape(-1, 1).astype(object)
    encoder = CategoryEncoder(max_onehot=10)
    cross_fitted = encoder.fit_transform(X, y)
    assert cross_fitted.shape == (400, 1)
    refitted = encoder.transform(X)
    assert not np.allclose(cross_fitted, refitted)  # each training row encoded by other folds
    unseen = encoder.transform(np.array([["never seen"]], dtype=object))
    np.testing.assert_allclose(unseen, [[y.mean()]], atol=1e-9)
    assert np.corrcoef(refitted[:, 0], y)[0, 1] > 0.5  # the encoding carries the signal
    again = CategoryEncoder(max_onehot=10).fit_transform(X, y)
    np.testing.assert_array_equal(again, cross_fitted)  # seeded: the same every time
    ordinal = CategoryEncoder(max_onehot=10, high_cardinality="ordinal").fit(X, y)
    assert ordinal.transform(np.array([["never seen"]], dtype=object)).tolist() == [[-1.0]]


@pytest.mark.parametrize(
    ("options", "frame", "expected"),
    [
        (
            TableOptions(numeric=("code",)),
            pd.DataFrame({"code": ["A1", "B2", "3", "C4"] * 5, "y": ["a", "b"] * 10}),
            "column 'code' is declared numeric but only 25% of its values parse as numbers "
            "(e.g. 'A1')",
        ),
        (
            TableOptions(datetime=("when",)),
            pd.DataFrame({"when": ["soon", "later", "2024-01-01", "x"] * 5, "y": ["a", "b"] * 10}),
            "column 'when' is declared datetime but only 25% of its values parse as dates",
        ),
        (
            TableOptions(numeric=("v",), datetime=("v",)),
            pd.DataFrame({"v": ["1", "2"] * 10, "y": ["a", "b"] * 10}),
            "column 'v' is declared numeric and datetime; give it one type.",
        ),
        (
            TableOptions(keep=("nope",)),
            pd.DataFrame({"v": ["1", "2"] * 10, "y": ["a", "b"] * 10}),
            "nope",
        ),
    ],
)
def test_forced_types_that_do_not_fit_are_refused_naming_file_and_column(
    tmp_path, options, frame, expected
):
    path = write_table(frame, tmp_path / "forced.csv")
    with pytest.raises(TreesVsNetsError) as caught:
        load_table(path, options)
    message = str(caught.value)
    assert str(path) in message and expected in message
    assert message.count(". ") <= 1 and "\n" not in message


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_target_encoding_raises_no_library_warning_and_encodes_as_the_seeded_folds_did(task):
    """scikit-learn 1.9 deprecates TargetEncoder's shuffle= and random_state= (a FutureWarning
    per fit): the encoder gets a seeded splitter instead, and encodes exactly as the deprecated
    arguments (5 shuffled folds seeded 0) did."""
    import warnings

    from sklearn.preprocessing import TargetEncoder

    rng = np.random.default_rng(1)
    X = rng.choice([f"v{i}" for i in range(40)], (300, 1)).astype(object)
    y = rng.integers(2, size=300) if task == "classification" else rng.normal(size=300)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        encoded = CategoryEncoder(max_onehot=10).fit_transform(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        kind = {"target_type": "continuous"} if task == "regression" else {}
        deprecated = TargetEncoder(cv=5, shuffle=True, random_state=0, **kind).fit_transform(X, y)
    np.testing.assert_array_equal(encoded, deprecated)


def test_case_that_codes_a_category_is_kept_and_a_minus_sign_and_sheet_errors_are_read(tmp_path):
    """Found on real tables (a probe of 2026-12-07): a genotype's AA, Aa and aa merged into
    one spelling, made the column constant and dropped it (logreg 0.52, 0.76 by hand); the
    minus sign '−' made a macro table's real interest rate 177 classes; Excel's '#DIV/0!'
    made a money supply column a category."""
    rng = np.random.default_rng(0)
    gene = rng.choice(["AA", "Aa", "aa"], 300)
    rate = rng.normal(size=300).round(2)
    frame = pd.DataFrame(
        {
            "gene": gene,
            "m1": [f"{v:.1f}" for v in rng.normal(100, 10, 300)],
            "status": np.where((gene == "aa") ^ (rng.random(300) < 0.2), "case", "control"),
            "realint": [f"{v:.2f}".replace("-", "\u2212") for v in rate],
        }
    )
    frame.loc[:9, "m1"] = "#DIV/0!"
    dataset = load_table(write_table(frame, tmp_path / "t.csv"), TableOptions(target="realint"))
    kinds = {r.name: r.kind for r in dataset.columns}
    assert kinds == {"gene": "categorical", "m1": "numeric", "status": "categorical"}
    assert set(dataset.X["gene"]) == {"AA", "Aa", "aa"}
    assert dataset.is_regression and np.allclose(dataset.y, rate)
    (m1,) = [r for r in dataset.columns if r.name == "m1"]
    assert m1.placeholders == 10 and not m1.unparsed


def test_a_parquet_files_named_index_is_a_column(tmp_path):
    """pandas' to_parquet saves a date index in the file's schema; read back, it was the
    frame's index, and neither inspect nor a run said it existed."""
    frame = pd.DataFrame(
        {"wind": np.random.default_rng(0).normal(10, 3, 40), "ozone": np.arange(40.0) * 2 % 7},
        index=pd.date_range("1973-05-01", periods=40, name="date"),
    )
    frame.to_parquet(tmp_path / "aq.parquet")
    dataset = load_table(tmp_path / "aq.parquet", TableOptions(target="ozone"))
    assert {r.name: r.kind for r in dataset.columns} == {"date": "datetime", "wind": "numeric"}


def test_a_parquet_files_unnamed_index_is_read_as_the_same_frames_csv_reads_it(tmp_path):
    """An unnamed date index was dropped without a word (rf 0.64 where the CSV, whose
    'Unnamed: 0' holds the dates, gave 0.92); a filtered frame's row numbers are the row index
    in both, dropped saying so. pandas' own numbering (a range) is no column in either."""
    rng = np.random.default_rng(0)
    days = pd.date_range("2020-01-01", periods=120, freq="D")
    dated = pd.DataFrame({"temp": rng.normal(size=120), "y": np.where(days.month > 2, "b", "a")})
    numbered = dated.assign(x=rng.normal(size=120))
    frames = {"dated": dated.set_axis(days), "filtered": numbered[numbered["temp"] > -1]}
    frames["plain"] = numbered.reset_index(drop=True)
    for name, frame in frames.items():
        frame.to_parquet(tmp_path / f"{name}.parquet")
        frame.to_csv(tmp_path / f"{name}.csv")
        read = [load_table(tmp_path / f"{name}{suffix}") for suffix in (".parquet", ".csv")]
        readings = [[(r.name, r.kind) for r in d.columns] for d in read]
        if name == "plain":  # the CSV's 'Unnamed: 0' is the row index; the Parquet has none
            readings[1] = [r for r in readings[1] if r[0] != "Unnamed: 0"]
        assert readings[0] == readings[1], name
        np.testing.assert_array_equal(read[0].X.columns, read[1].X.columns)
    (dates, *_) = load_table(tmp_path / "dated.parquet").columns
    assert (dates.name, dates.kind) == ("Unnamed: 0", "datetime")
    (index, *_) = load_table(tmp_path / "filtered.parquet").columns
    assert index.kind == "dropped" and index.note.startswith("the file's row index")


def test_class_codes_beside_a_blank_target_keep_the_names_the_file_writes(tmp_path):
    """breast_cancer with two blank targets: pandas reads the codes as floats, and the classes
    were named '0.0' and '1.0' (the same table as Parquet, Int64: '0' and '1', and another
    fingerprint)."""
    from sklearn.datasets import load_breast_cancer

    frame = load_breast_cancer(as_frame=True).frame
    frame.loc[[3, 7], "target"] = np.nan
    frame.to_csv(tmp_path / "bc.csv", index=False)
    frame.astype({"target": "Int64"}).to_parquet(tmp_path / "bc.parquet")
    text, binary = load_table(tmp_path / "bc.csv"), load_table(tmp_path / "bc.parquet")
    assert text.class_names == binary.class_names == ("0", "1")
    assert text.fingerprint == binary.fingerprint and len(text.y) == 567


def test_decimal_commas_below_the_first_lines_of_a_semicolon_file_are_numbers(tmp_path):
    """openintro's loans with ';' and decimal commas, sorted by debt_to_income: its first
    rows whole numbers, so the file read as decimal '.', and the column became a
    1,883-level category with no word."""
    rng = np.random.default_rng(0)
    ratio = np.sort(rng.uniform(0, 25, 20_000)).round(2)  # 80% whole: past the first 64 KiB
    text = [f"{v:.0f}" if v < 20 else f"{v:.2f}".replace(".", ",") for v in ratio]
    frame = pd.DataFrame({"debt_to_income": text, "grade": rng.choice(["A", "B"], 20_000)})
    path = tmp_path / "loans.csv"
    frame.to_csv(path, sep=";", index=False)
    dataset = load_table(path, TableOptions(target="grade"))
    (reading,) = dataset.columns
    assert reading.kind == "numeric" and "with decimal commas" in reading.note
    late = ratio >= 20
    assert np.allclose(dataset.X["debt_to_income"].to_numpy()[late], ratio[late])
    told = TableOptions(target="grade", decimal=".")  # the user's word is kept
    assert load_table(path, told).columns[0].kind == "categorical"


def test_clock_times_and_durations_are_numbers_in_their_last_fields_unit(tmp_path):
    """A time of day ('08:30', '8:30 PM') and a duration ('0:33:08') are read as an analyst
    reads them, as numbers: they were a 358-category column, target-encoded, and 'an
    identifier' that was dropped. A column of H:MM:SS and M:SS (race times) is in seconds."""
    rng = np.random.default_rng(0)
    minutes = rng.integers(0, 24 * 60, 300)
    seconds = rng.integers(0, 3 * 3600, 300)
    frame = pd.DataFrame(
        {
            "departure": [f"{m // 60:02d}:{m % 60:02d}" for m in minutes],
            "pickup": [
                f"{(m // 60 - 1) % 12 + 1}:{m % 60:02d} {'AM' if m < 720 else 'PM'}"
                for m in minutes
            ],  # fmt: skip
            "race": [
                f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"
                if s >= 3600
                else f"{s // 60}:{s % 60:02d}"
                for s in seconds
            ],  # fmt: skip
            "label": np.where(minutes > 720, "pm", "am"),
        }
    )
    frame.loc[3, "departure"] = "n/a"
    dataset = load_table(write_table(frame, tmp_path / "times.csv"))
    readings = {r.name: r for r in dataset.columns}
    assert {readings[c].kind for c in ("departure", "pickup", "race")} == {"numeric"}
    assert readings["race"].note.startswith("parsed from text as clock times or durations")
    assert readings["departure"].missing == 1  # the placeholder, not an unparsed value
    expected = pd.Series(minutes.astype(float)).where(frame.index != 3)
    np.testing.assert_array_equal(dataset.X["departure"], expected)
    np.testing.assert_array_equal(dataset.X["pickup"], minutes.astype(float))
    np.testing.assert_array_equal(dataset.X["race"], seconds.astype(float))
    profile = treesvsnets.inspect_table(frame)
    assert {c.name: c.encoding for c in profile.columns}["race"] == "number (from H:MM[:SS])"


def test_censored_values_read_below_a_limit_at_half_of_it_and_bins_are_not_numbers(tmp_path):
    """Lab values '<0.5' (below the detection limit) and '>100' (above the range): at 20%
    of a column they made it 356 categories, target-encoded, and at 9% missing, imputed at
    the median, the middle of the range. Bins ('<18', '>65') are no numbers."""
    rng = np.random.default_rng(0)
    crp = np.round(rng.gamma(2, 3, 300), 1)
    written = np.where(crp < 1, "<1", np.where(crp > 20, ">20", crp.astype(str)))
    ages = np.where(rng.random(300) < 0.5, "<18", ">65")
    frame = pd.DataFrame({"crp": written, "age_group": ages, "y": np.where(crp > 5, "a", "b")})
    dataset = load_table(write_table(frame, tmp_path / "lab.csv"))
    readings = {r.name: r for r in dataset.columns}
    assert readings["crp"].kind == "numeric" and readings["age_group"].kind == "categorical"
    assert "censored values such as" in readings["crp"].note
    expected = np.where(crp < 1, 0.5, np.where(crp > 20, 20, crp))
    np.testing.assert_allclose(dataset.X["crp"], expected)


def test_numbers_with_one_unit_or_with_magnitudes_are_numbers_and_mixed_words_are_not(tmp_path):
    """Used-car listings: '23.4 kmpl', '1,248 CC' and '41k' / '1.2M' were categories (up to
    970 of them, target-encoded): the unit one column shares is dropped, magnitudes multiply,
    a bare number among them is read as it is; words after numbers that differ ('3 apples',
    '2 pears') stay text."""
    rng = np.random.default_rng(0)
    kmpl = np.round(rng.uniform(10, 30, 200), 1)
    engine = rng.integers(800, 2500, 200)
    price = np.round(rng.uniform(1, 2000, 200), 1) * 1000
    frame = pd.DataFrame(
        {
            "mileage": [f"{v} kmpl" for v in kmpl],
            "engine": [f"{v:,} CC" for v in engine],
            "price": [f"{v / 1e6:g}M" if v >= 1e6 else f"{v / 1e3:g}k" for v in price],
            "fruit": [f"{i % 5} {['apples', 'pears'][i % 2]}" for i in range(200)],
            "tenure": [f"{n} year" if n == 1 else f"{n} Years" for n in engine % 7 + 1],
            "y": np.where(kmpl > 20, "a", "b"),
        }
    )
    frame.loc[5, "engine"] = "998"  # a bare number among them
    dataset = load_table(write_table(frame, tmp_path / "cars.csv"))
    readings = {r.name: r for r in dataset.columns}
    assert readings["fruit"].kind == "categorical"
    assert readings["mileage"].note.endswith("with a unit or magnitudes: kmpl")
    np.testing.assert_allclose(dataset.X["mileage"], kmpl)
    np.testing.assert_allclose(dataset.X["engine"], np.where(np.arange(200) == 5, 998, engine))
    np.testing.assert_allclose(dataset.X["price"], price)
    # '1 year' beside '2 Years': one unit, in the singular
    assert readings["tenure"].note.endswith("with a unit or magnitudes: year")
    np.testing.assert_allclose(dataset.X["tenure"], engine % 7 + 1)


def test_a_code_list_with_letter_codes_among_numbers_is_categories(tmp_path):
    """Diagnoses as ICD-9 codes: '428', '250.83' and, for 3% of the rows, 'V57' or 'E888'.
    The column read as numbers (97% of it parsed) with every letter code missing, and a
    diagnosis code is no quantity: 250.83 is not 'more' than 250. Two stray words in a
    column of measurements ('n.d.', 'see note') keep it numeric."""
    rng = np.random.default_rng(0)
    numeric = rng.choice(["428", "250.83", "414.01", "786.5", "401.9", "599"], 400)
    codes = rng.choice(["V57", "E888", "V45.81"], 400)
    frame = pd.DataFrame(
        {
            "diagnosis": np.where(rng.random(400) < 0.03, codes, numeric),
            "glucose": rng.normal(100, 15, 400).round(1).astype(str),
            "y": rng.choice(["readmitted", "not"], 400),
        }
    )
    frame.loc[[3, 9], "glucose"] = ["n.d.", "see note"]
    dataset = load_table(write_table(frame, tmp_path / "diagnoses.csv"))
    readings = {r.name: r for r in dataset.columns}
    assert readings["diagnosis"].kind == "categorical"
    assert readings["diagnosis"].note.startswith("codes, numbers beside letter codes such as")
    assert set(dataset.X["diagnosis"]) == set(frame["diagnosis"])  # 'V57' kept as written
    assert readings["glucose"].kind == "numeric" and readings["glucose"].unparsed == 2


def test_percentages_written_without_their_sign_and_an_erps_negatives_are_numbers(tmp_path):
    """'54' beside '54%' was read as 54 beside 0.54 (logreg 0.50 where 0.99); fractions
    beside percentages ('0.54', '54%') stay as written. SAP's '12.57-' (a trailing minus)
    made its column 'an identifier', dropped; so did '€1.133,98' in a comma-separated file
    (its '.' taken for a decimal point: no decimal comma anywhere, it was judged)."""
    rng = np.random.default_rng(0)
    share = rng.integers(1, 100, 150)
    amount = rng.uniform(-2000, 2000, 150).round(2)
    euros = rng.uniform(1000, 9000, 150).round(2)
    frame = pd.DataFrame(
        {
            "share": [f"{v}%" if i % 7 else f"{v}" for i, v in enumerate(share)],
            "fraction": [f"{v}%" if i % 2 else f"{v / 100:g}" for i, v in enumerate(share)],
            "amount": [f"{abs(v):.2f}-" if v < 0 else f"{v:.2f}" for v in amount],
            "euros": [
                f"€{v:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".") for v in euros
            ],  # fmt: skip
            "y": np.where(share > 50, "high", "low"),
        }
    )
    dataset = load_table(write_table(frame, tmp_path / "ledger.csv"))
    readings = {r.name: r for r in dataset.columns}
    assert {name: r.kind for name, r in readings.items()} == dict.fromkeys(
        ["share", "fraction", "amount", "euros"], "numeric"
    )
    np.testing.assert_allclose(dataset.X["share"], share / 100)
    np.testing.assert_allclose(dataset.X["fraction"], share / 100)
    np.testing.assert_allclose(dataset.X["amount"], amount)
    np.testing.assert_allclose(dataset.X["euros"], euros)


def test_dates_pandas_does_not_guess_are_dates(tmp_path):
    """Two-digit years ('15.06.23', Oracle's '15-JUN-23'), months ('Jun 2023') and quarters
    ('2023-Q2') were categories (259 of them, target-encoded; accuracy 0.60 where the same
    dates with four-digit years gave 0.88), and --datetime refused them ('0% parse');
    version numbers ('1.10.2') stay text."""
    rng = np.random.default_rng(0)
    days = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 1000, 200), unit="D")
    frame = pd.DataFrame(
        {
            "kurz": days.strftime("%d.%m.%y"),
            "oracle": days.strftime("%d-%b-%y").str.upper(),
            "month": days.strftime("%b %Y"),
            "quarter": [f"{d.year}-Q{d.quarter}" for d in days],
            "version": [f"{i % 3}.{i % 11}.{i % 5}" for i in range(200)],
            "y": np.where(days > pd.Timestamp("2022-06-01"), "late", "early"),
        }
    )
    dataset = load_table(write_table(frame, tmp_path / "dates.csv"))
    kinds = {r.name: r.kind for r in dataset.columns}
    assert kinds == {**dict.fromkeys(["kurz", "oracle", "month", "quarter"], "datetime"),
                     "version": "categorical"}  # fmt: skip
    assert (dataset.X["kurz"] == days).all() and (dataset.X["oracle"] == days).all()
    assert (dataset.X["month"] == days.to_period("M").to_timestamp()).all()
    assert (dataset.X["quarter"] == days.to_period("Q").to_timestamp()).all()


def test_a_quantity_with_a_few_words_in_place_of_values_is_numbers(tmp_path):
    """Listings whose price is 'Call for price', 'negotiable' or 'TBD' in 18% of the rows:
    the column was 340 target-encoded categories (accuracy 0.59, against 0.86 with the words
    blank); its numbers are the feature, the words missing (its flag keeps them apart).
    Sizes ('S', 'M', 'L' beside a few numbers) stay categories."""
    rng = np.random.default_rng(0)
    price = rng.uniform(1000, 30000, 300).round()
    words = rng.choice(["Call for price", "negotiable", "TBD"], 300)
    worded = rng.random(300) < 0.18
    frame = pd.DataFrame(
        {
            "price": np.where(worded, words, [f"${p:,.0f}" for p in price]),
            "size": rng.choice(["S", "M", "L", "42", "44", "46"], 300),
            "km": rng.integers(0, 200_000, 300),  # no two rows alike
            "y": np.where(price > 15000, "dear", "cheap"),
        }
    )
    dataset = load_table(write_table(frame, tmp_path / "listings.csv"))
    readings = {r.name: r for r in dataset.columns}
    assert readings["price"].kind == "numeric" and readings["size"].kind == "categorical"
    assert readings["price"].unparsed == worded.sum()
    assert "a few words among them read as missing" in readings["price"].note
    np.testing.assert_allclose(dataset.X["price"], np.where(worded, np.nan, price))


def test_a_sheets_totals_row_is_dropped_and_a_category_named_total_is_not(tmp_path):
    """A sales sheet's last row 'TOTAL' with each column's sum: kept, it was an observation
    many times any other (the target's maximum 1.68e7), and the estimator that extrapolated
    to it ranked first. A row of sums without the word is one too; 'Total' as a category
    whose numbers are no sums stays a row."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "region": rng.choice(["north", "south", "Total"], 60),
            "units": rng.integers(1, 100, 60),
            "sales": rng.uniform(10, 1000, 60).round(2),
        }
    )
    sums = {"units": frame["units"].sum(), "sales": frame["sales"].sum()}
    for label, name in (("TOTAL", "labelled"), ("east", "unlabelled")):
        with_total = pd.concat([frame, pd.DataFrame([{"region": label, **sums}])])
        dataset = load_table(write_table(with_total, tmp_path / f"{name}.csv"))
        assert dataset.cleaning["totals_rows_dropped"] == 1 and len(dataset.y) == 60
        assert dataset.y.max() == frame["sales"].max()
    kept = load_table(write_table(frame, tmp_path / "plain.csv"))
    assert "totals_rows_dropped" not in kept.cleaning and len(kept.y) == 60


def test_a_header_repeated_among_the_rows_is_dropped_and_said_by_run_and_inspect(tmp_path):
    """Two files appended (`cat a.csv b.csv`): the second header, read as a row, made a class
    of the name 'species' ("has a single row"), or a text value in a column of numbers."""
    from tests.helpers.cli import cli

    iris = load_iris(as_frame=True).frame.rename(columns={"target": "species"})
    path = tmp_path / "appended.csv"
    path.write_text(iris.iloc[:75].to_csv(index=False) + iris.iloc[75:].to_csv(index=False))
    dataset = load_table(path)
    assert dataset.cleaning["header_rows_dropped"] == 1
    assert dataset.n_classes == 3 and len(dataset.y) == 149  # and iris's one duplicate row
    assert dataset.schema.numeric == tuple(iris.columns[:4])  # numbers again, all four
    inspected = cli("inspect", path)
    assert inspected.returncode == 0, inspected.stderr
    assert inspected.stdout.rstrip().endswith(
        "rows a run would use: 149 of 151 (1 header row(s) repeated among the rows, 1 "
        "duplicate rows removed)"
    )
    plain = tmp_path / "plain.csv"
    iris.assign(species=iris["species"].map({0: "species", 1: "b", 2: "c"})).to_csv(
        plain, index=False
    )  # a class named as its column, in one column only: a value, kept
    assert "header_rows_dropped" not in load_table(plain).cleaning


def test_codes_written_with_leading_zeros_are_categories_in_every_format(tmp_path):
    """pandas read '02134' as 2134: a ZIP code became a quantity a net scaled and a linear model
    weighed. A column of whole numbers one of which keeps a leading zero is codes, read as
    categories with their zeros (readr's rule), from a CSV as from a Parquet file of text;
    numeric = [...] still reads numbers, and months written 1..12 stay numbers."""
    rng = np.random.default_rng(0)
    zips = rng.choice(["02134", "10001", "00501", "94103"], 120)
    frame = pd.DataFrame(
        {"zip": zips, "month": rng.integers(1, 13, 120), "y": rng.choice(["a", "b"], 120)}
    )
    frame.to_csv(tmp_path / "shops.csv", index=False)
    frame.to_parquet(tmp_path / "shops.parquet")
    for suffix in (".csv", ".parquet"):
        dataset = load_table(tmp_path / f"shops{suffix}", TableOptions(target="y"))
        kinds = {r.name: r.kind for r in dataset.columns}
        assert kinds == {"zip": "categorical", "month": "numeric"}, suffix
        assert set(dataset.X["zip"]) == {"02134", "10001", "00501", "94103"}, suffix
    forced = load_table(tmp_path / "shops.csv", TableOptions(target="y", numeric=["zip"]))
    assert set(forced.X["zip"]) == {2134.0, 10001.0, 501.0, 94103.0}
