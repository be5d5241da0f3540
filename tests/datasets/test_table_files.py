"""The files people have, read as the plain CSV of the same table is: a European CSV (';' and a
',' decimal mark, a byte-order mark), compressed text, Feather and Arrow IPC, Excel."""

from __future__ import annotations

import gzip
import importlib.util
import json

import numpy as np
import pandas as pd
import pytest

from treesvsnets.datasets.names import table_name
from treesvsnets.datasets.table_options import TableOptions
from treesvsnets.datasets.tables import load_table
from treesvsnets.datasets.text_separators import sniff_text
from treesvsnets.errors import DatasetError

from ..helpers.cli import cli
from ..helpers.tables import dirty_frame, write_table


def _readings(dataset) -> list[dict]:
    return [r.to_dict() for r in dataset.columns]


def _same_table(read, plain) -> None:
    """``read`` holds what ``plain`` (the table read from a plain CSV) holds, read alike."""
    assert _readings(read) == _readings(plain)
    pd.testing.assert_frame_equal(read.X, plain.X)
    assert np.array_equal(read.y, plain.y) and read.class_names == plain.class_names


def _european(n_rows: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "preis": rng.normal(1500, 400, n_rows).round(2),  # numbers a CSV writes with ','
            "menge": rng.integers(1, 60, n_rows),
            "farbe": rng.choice(["rot", "blau", "grün"], n_rows),
            "klasse": rng.choice(["ja", "nein"], n_rows),
        }
    )


def test_a_european_csv_with_a_bom_is_read_as_the_plain_csv_of_the_same_table(tmp_path):
    frame = _european()
    plain = load_table(write_table(frame, tmp_path / "plain.csv"))
    path = tmp_path / "export.csv"
    frame.to_csv(path, sep=";", decimal=",", index=False, encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbfpreis;")
    read = load_table(path)
    _same_table(read, plain)
    assert read.cleaning["read_with"] == {"sep": ";", "decimal": ","}
    assert plain.cleaning["read_with"] == {"sep": ",", "decimal": "."}


@pytest.mark.parametrize(
    ("encoding", "sep"),
    [("cp1252", ";"), ("latin-1", ";"), ("utf-16", "\t")],  # Excel's CSV, old Unix, "Unicode text"
)
def test_a_file_utf8_cannot_read_is_read_in_its_encoding_and_says_which(tmp_path, encoding, sep):
    """'grün' written by Excel in Western Europe is the byte 0xfc, which UTF-8 refuses: the
    table is read as the plain CSV of the same table, and the encoding recorded."""
    frame = _european()
    frame["farbe"] = frame["farbe"].str.replace("blau", "bläulich")  # one more non-ASCII value
    plain = load_table(write_table(frame, tmp_path / "plain.csv"))
    path = tmp_path / "export.csv"
    frame.to_csv(path, sep=sep, decimal=",", index=False, encoding=encoding)
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    read = load_table(path)
    _same_table(read, plain)
    want = "cp1252" if encoding == "latin-1" else encoding  # Latin-1's letters read alike
    assert read.cleaning["read_with"] == {"sep": sep, "decimal": ",", "encoding": want}


def test_a_file_whose_name_lies_about_its_format_is_one_sentence_and_exit_2(tmp_path):
    """A CSV renamed .xlsx or .csv.xz, a zip of a CSV named .xlsx: the reader's own words,
    and the suffix questioned, not a traceback."""
    csv_text = write_table(_european(), tmp_path / "plain.csv").read_bytes()
    for name in ("table.xlsx", "table.csv.xz", "table.csv.zip"):
        (tmp_path / name).write_bytes(csv_text)
        with pytest.raises(DatasetError) as caught:
            load_table(tmp_path / name)
        suffix = name[len("table") :]
        assert f"(is it a {suffix} file, as its name says?)." in str(caught.value)
    done = cli("inspect", tmp_path / "table.xlsx")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"treesvsnets: error: data file '{tmp_path / 'table.xlsx'}'")
    # a Parquet file naming a column twice (pyarrow: 'Multiple matches for FieldRef.Name(x)')
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = [pa.array([1, 2, 3]), pa.array([4, 5, 6]), pa.array(["a", "b", "a"])]
    pq.write_table(pa.table(columns, names=["x", "x", "y"]), tmp_path / "twice.parquet")
    with pytest.raises(DatasetError) as caught:
        load_table(tmp_path / "twice.parquet")
    assert str(caught.value).endswith("has repeated column names: ['x'].")
    # the other way round: a binary file named as text (pandas: 'new-line character seen in
    # unquoted field - do you need to open the file in universal-newline mode?')
    frame = _european()
    frame.to_parquet(tmp_path / "saved.csv")
    (tmp_path / "packed.csv").write_bytes(gzip.compress(csv_text))
    for name, what in (("saved.csv", "a Parquet file (name it .parquet)"),
                       ("packed.csv", "gzip-compressed (name it .csv.gz)")):  # fmt: skip
        with pytest.raises(DatasetError) as caught:
            load_table(tmp_path / name)
        assert str(caught.value) == f"data file {str(tmp_path / name)!r} is not text: it is {what}."


@pytest.mark.parametrize(
    "header",
    ["width,width,length,length,species", "width,width ,length,species", "width;width;species"],
)
def test_a_header_that_names_a_column_twice_is_refused_however_the_names_are_spaced(
    tmp_path, header
):
    """pandas reads a second 'width' as 'width.1' and would keep both under two names (and
    `drop = ["width"]` would drop only one); as written, or apart only by a space, the file
    is refused alike."""
    n = header.count(header[5]) + 1  # fields per row
    rows = [header] + [header[5].join(str(i + j) for j in range(n - 1)) + f"{header[5]}a"
                       for i in range(6)]  # fmt: skip
    path = tmp_path / "repeated.csv"
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(DatasetError, match=r"has repeated column names: \['(length', ')?width'\]"):
        load_table(path)


def test_thousands_groups_do_not_outvote_the_decimal_commas_of_a_european_file(tmp_path):
    """Amounts written 7.804 (seven thousand...) as often as rates written 2,2: the file's
    decimal mark is the comma, so the amounts are thousands and the rates numbers."""
    rng = np.random.default_rng(0)
    amounts, rates = rng.integers(1000, 9000, 200), rng.integers(0, 100, 200) / 10
    pd.DataFrame(
        {
            "amount": [f"{v // 1000}.{v % 1000:03d}" for v in amounts],
            "rate": [f"{v:.1f}".replace(".", ",") for v in rates],
            "y": np.where(rates > 5, "hi", "lo"),
        }
    ).to_csv(tmp_path / "eu.csv", sep=";", index=False)
    dataset = load_table(tmp_path / "eu.csv")
    assert dataset.cleaning["read_with"] == {"sep": ";", "decimal": ","}
    np.testing.assert_array_equal(dataset.X["amount"], amounts)
    np.testing.assert_allclose(dataset.X["rate"], rates)


def test_decimal_points_in_a_semicolon_file_its_first_lines_could_not_tell_are_decimals(tmp_path):
    """Numbers written '%.3f' in a semicolon file ('636.688;603.268'): each reads as a
    thousands group or three decimals, and the semicolon chose the comma: every value was read
    1000 times too large, and values above 1,000 further down ('4990.754') became missing.
    A column of a European file that writes its values below 1,000 without a point keeps its
    thousands; so does every column of a file that writes a decimal comma somewhere."""
    rng = np.random.default_rng(0)
    a, b = rng.uniform(1, 999, 5000), rng.uniform(1, 999, 5000)  # 95 KB
    a[-200:] = rng.uniform(1000, 5000, 200)  # past the 64 KiB the decimal mark is judged on
    frame = pd.DataFrame({"a": a, "b": b, "y": np.where(a + b > 1000, "hi", "lo")})
    frame.to_csv(tmp_path / "points.csv", sep=";", index=False, float_format="%.3f")
    dataset = load_table(tmp_path / "points.csv")
    assert dataset.cleaning["read_with"] == {"sep": ";", "decimal": ","}  # the guess, said
    np.testing.assert_allclose(dataset.X["a"], a, atol=5e-4)
    np.testing.assert_allclose(dataset.X["b"], b, atol=5e-4)
    assert all("with decimal points" in column.note for column in dataset.columns)
    thousands = pd.DataFrame({"p": ["999", "1.299", "2.499", "850", "12.000"] * 20})
    thousands.assign(y=["a", "b"] * 50).to_csv(tmp_path / "eu.csv", sep=";", index=False)
    np.testing.assert_array_equal(
        load_table(tmp_path / "eu.csv").X["p"][:5], [999, 1299, 2499, 850, 12000]
    )


def test_a_header_longer_than_the_head_the_separator_is_judged_on_is_read_whole(tmp_path):
    """A spectrum's 1,500 wavelengths in a ';' file with decimal commas: the header alone is
    longer than the first 64 KiB the separator and decimal mark are judged on, so the ','
    of the .csv suffix was taken and the file refused as one column."""
    rng = np.random.default_rng(0)
    values = rng.normal(size=(30, 1500)).round(3)
    names = [f"absorbance_at_wavelength_{i:05d}_nm_corrected" for i in range(1500)]
    frame = pd.DataFrame(values, columns=names).assign(y=np.where(values[:, 0] > 0, "a", "b"))
    path = tmp_path / "spectra.csv"
    frame.to_csv(path, sep=";", decimal=",", index=False)
    assert len(path.read_text().splitlines()[0]) > 1 << 16
    dataset = load_table(path)
    assert dataset.cleaning["read_with"] == {"sep": ";", "decimal": ","}
    np.testing.assert_allclose(dataset.X.to_numpy(dtype=float), values)


def test_a_separator_ending_every_line_adds_no_column(tmp_path):
    """'a;b;y;' on every line: pandas reads an unnamed, empty last column, which would have
    been the target; it is dropped, and the table is the plain one."""
    frame = _european()
    plain = load_table(write_table(frame, tmp_path / "plain.csv"))
    path = tmp_path / "trailing.csv"
    text = frame.to_csv(sep=";", decimal=",", index=False)
    path.write_text(text.replace("\n", ";\n"))
    read = load_table(path)
    _same_table(read, plain)
    assert read.cleaning["read_with"]["empty_columns_at_the_end_dropped"] == 1


@pytest.mark.parametrize("target", ["klasse", "preis"])
def test_a_separator_ending_every_data_row_but_not_the_header_shifts_no_column(tmp_path, target):
    """'preis;menge;farbe;klasse' then 'a;b;c;d;' on each row: pandas would take the first
    field for row names and shift every column by one (the labels lost, another column the
    target). Row names (R's write.table: the header one field short) stay row names."""
    frame = _european()
    options = TableOptions(target=target)
    plain = load_table(write_table(frame, tmp_path / "plain.csv"), options)
    path = tmp_path / "ends.csv"
    header, *rows = frame.to_csv(sep=";", decimal=",", index=False).splitlines()
    path.write_text("\n".join([header, *(row + ";" for row in rows)]) + "\n")
    read = load_table(path, options)
    _same_table(read, plain)
    assert read.cleaning["read_with"]["separator_at_the_end_of_each_row"] == "ignored"
    named = tmp_path / "row_names.csv"
    named.write_text("\n".join([header, *(f"r{i};{row}" for i, row in enumerate(rows))]) + "\n")
    read = load_table(named, options)
    _same_table(read, plain)
    assert "separator_at_the_end_of_each_row" not in read.cleaning["read_with"]


def test_quoted_decimal_commas_in_a_comma_separated_file_are_decimals(tmp_path):
    """A spreadsheet in a decimal-comma locale saves "45,4" quoted in a file separated by
    commas: the columns were 665 and 234 categories (target-encoded), and a column most of
    whose values have three decimals ("3,096") would have read them as thousands."""
    rng = np.random.default_rng(0)
    grams = np.round(rng.uniform(0.3, 4, 400), 3)
    grams[::12] = np.round(grams[::12], 1)  # one in twelve shows fewer decimals: '2,5'
    lengths = np.round(rng.normal(45, 6, 400), 1)
    label = np.where(grams * 2 + lengths / 20 > 6.2, "ja", "nein")
    point = pd.DataFrame({"kg": grams, "cm": lengths, "frueh": label})
    comma = point.assign(
        **{c: [f"{v:g}".replace(".", ",") for v in point[c]] for c in ("kg", "cm")}
    )
    read = load_table(write_table(comma, tmp_path / "komma.csv"))
    plain = load_table(write_table(point, tmp_path / "punkt.csv"))
    assert read.cleaning["read_with"]["decimal"] == "."
    for column in ("kg", "cm"):
        np.testing.assert_allclose(read.X[column], plain.X[column])
    notes = {r.name: r.note for r in read.columns}
    assert notes["kg"].endswith("with decimal commas (unlike the file's first lines)")


def test_a_sheet_with_a_title_above_its_header_is_refused_saying_so(tmp_path):
    """'Sales report 2024' in a sheet's first cell, the header two rows down: the header was
    read as a data row, a column 'Unnamed: 3' became the target, and the refusal spoke of
    'numbers except 1 value ('Sales')'."""
    pytest.importorskip("openpyxl")
    path = tmp_path / "report.xlsx"
    with pd.ExcelWriter(path) as writer:
        _european().to_excel(writer, index=False, startrow=2)
        writer.sheets["Sheet1"]["A1"] = "Sales report 2024"
    with pytest.raises(DatasetError, match=r"first row names 1 of its 4 columns: is a title"):
        load_table(path)


def test_a_sheet_whose_table_starts_at_b3_is_read_from_there(tmp_path):
    """Blank rows above the header and a blank column left of it (a table placed at B3): it
    was refused as having 'a title above the header'. A row label left of the header, in
    the table's own column, stays a column."""
    pytest.importorskip("openpyxl")
    plain = load_table(write_table(_european(), tmp_path / "plain.csv"))
    path = tmp_path / "placed.xlsx"
    with pd.ExcelWriter(path) as writer:
        _european().to_excel(writer, index=False, startrow=2, startcol=1)
    _same_table(load_table(path), plain)
    labelled = tmp_path / "labelled.xlsx"
    frame = _european()
    with pd.ExcelWriter(labelled) as writer:  # its header cell blank, its labels a region's
        regions = (["north", "south"] * len(frame))[: len(frame)]
        frame.set_axis(regions).to_excel(writer, index=True, startrow=2, startcol=0)
    assert load_table(labelled).X.shape[1] == plain.X.shape[1] + 1  # the row labels' column


def test_a_first_row_with_an_unquoted_separator_is_refused_as_any_other_row_is(tmp_path):
    """'late, rescheduled' unquoted in the first data row: pandas took the first column for
    row names and shifted every column by one, and the run went on with 8 of 400 rows (the
    others had no target); the same line further down is refused by pandas. Both are one
    sentence naming the file and the line now."""
    frame = _european()
    header, *rows = frame.to_csv(index=False).splitlines()
    first = tmp_path / "first.csv"
    first.write_text("\n".join([header, rows[0] + ",late", *rows[1:]]) + "\n")
    with pytest.raises(DatasetError, match=r"line 2 has 5 fields where the header and line 3"):
        load_table(first)
    later = tmp_path / "later.csv"
    later.write_text("\n".join([header, *rows[:5], rows[5] + ",late", *rows[6:]]) + "\n")
    with pytest.raises(DatasetError, match="line 7"):
        load_table(later)


def test_a_parquet_duration_is_read_as_seconds(tmp_path):
    """Parquet keeps durations as their own type: they are numbers (seconds), as a date is
    a datetime, not categories nor a column to refuse."""
    frame = _european()
    waits = np.arange(len(frame)) * 37.5
    frame.insert(0, "wait", pd.to_timedelta(waits, unit="s"))
    frame.loc[3, "wait"] = pd.NaT
    frame.to_parquet(tmp_path / "durations.parquet")
    dataset = load_table(tmp_path / "durations.parquet")
    (reading,) = [r for r in dataset.columns if r.name == "wait"]
    assert (reading.kind, reading.note) == ("numeric", "durations as seconds")
    expected = pd.Series(waits, name="wait").mask(pd.Series(range(len(frame))) == 3)
    pd.testing.assert_series_equal(dataset.X["wait"].astype(float), expected)


def test_parquet_decimals_and_times_of_day_are_numbers_as_features_and_target(tmp_path):
    """A database's or Spark's decimal128 column is numbers (it was refused as 'Decimal
    values'), as a feature and as a regression target; a time64 column is seconds since
    midnight, as a duration is."""
    import datetime
    import decimal

    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = _european()
    prices = [decimal.Decimal(f"{v:.2f}") for v in frame["preis"]]
    prices[3] = None
    times = [datetime.time(i % 24, (7 * i) % 60) for i in range(len(frame))]
    table = pa.table(
        {
            "preis": pa.array(prices, pa.decimal128(10, 2)),
            "uhrzeit": pa.array(times, pa.time64("us")),
            "klasse": frame["klasse"],
        }
    )
    pq.write_table(table, tmp_path / "decimals.parquet")
    dataset = load_table(tmp_path / "decimals.parquet")
    kinds = {r.name: (r.kind, r.note) for r in dataset.columns}
    assert kinds["preis"][0] == "numeric" and kinds["uhrzeit"] == (
        "numeric",
        "durations as seconds",
    )
    expected = frame["preis"].mask(frame.index == 3)
    np.testing.assert_allclose(dataset.X["preis"], expected, equal_nan=True)
    seconds = [t.hour * 3600 + t.minute * 60 for t in times]
    np.testing.assert_array_equal(dataset.X["uhrzeit"].astype(float), seconds)
    pq.write_table(table.drop(["klasse"]), tmp_path / "price.parquet")
    target = load_table(tmp_path / "price.parquet", TableOptions(target="preis"))
    assert target.is_regression and len(target.y) == len(frame) - 1


def test_infinite_values_are_missing_and_a_column_of_them_is_empty(tmp_path):
    """'inf becomes missing': counted as missing, and a column of nothing else is dropped as
    empty (it was one category, 'inf'), with no numpy warning on the way."""
    import warnings

    frame = _european()
    frame.insert(0, "unendlich", np.inf)
    frame.loc[:9, "preis"] = -np.inf
    path = write_table(frame, tmp_path / "inf.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dataset = load_table(path)
    readings = {r.name: r for r in dataset.columns}
    assert readings["unendlich"].kind == "dropped" and "empty" in readings["unendlich"].note
    assert readings["preis"].missing == 10 and "unendlich" not in dataset.X
    assert dataset.X["preis"].isna().sum() == 10


def test_numbers_in_text_follow_the_files_decimal_mark(tmp_path):
    """A column pandas leaves as text (a placeholder, thousands grouped) is parsed with the
    file's decimal mark: '1.234,5' is 1234.5 in a ';' file."""
    path = tmp_path / "grouped.csv"
    path.write_text(
        "betrag;menge;y\n"
        + "".join(f"1.2{i % 10}4,5;{i % 7},5;{'ab'[i % 2]}\n" for i in range(40))
        + "unbekannt;2,5;a\n",
        encoding="utf-8",
    )
    read = load_table(path, TableOptions(null_tokens=("unbekannt",)))
    kinds = {r.name: r.kind for r in read.columns}
    assert kinds == {"betrag": "numeric", "menge": "numeric"}
    assert read.X["betrag"].iloc[0] == 1204.5 and read.X["menge"].iloc[1] == 1.5
    assert read.X["betrag"].isna().sum() == 1


def test_sep_and_decimal_given_for_a_table_replace_the_detected_ones(tmp_path):
    path = tmp_path / "export.csv"
    _european().to_csv(path, sep=";", decimal=",", index=False)
    with pytest.raises(DatasetError, match="1 column.*separator"):
        load_table(path, TableOptions(sep=","))
    as_text = load_table(path, TableOptions(decimal="."))  # '1500,25' is then no number
    assert {r.name: r.kind for r in as_text.columns}["preis"] == "dropped"  # an identifier
    with pytest.raises(DatasetError, match="decimal must be"):
        TableOptions(decimal=";")


@pytest.mark.parametrize(
    ("head", "default", "expected"),
    [
        ("a,b,y\n1,2,p\n", ",", (",", ".")),
        ("a;b;y\n1,5;2,0;p\n", ",", (";", ",")),
        ("a;b;y\n1.5;2.0;p\n", ",", (";", ".")),
        ("a\tb\ty\n1,5\t2\tp\n", ",", ("\t", ",")),
        ('a,b,y\n"x;y",2,p\n"z;w",3,q\n', ",", (",", ".")),  # ';' inside quotes
        ("a b y\n1 2 p\n", ",", (",", ".")),  # nothing fits: the suffix's, refused later
        ("a;b;y\n7.804;2,2;p\n1.250;3,5;q\n", ",", (";", ",")),  # 7.804: a thousands group
        ("a;b;y\n1.250;2.500;p\n", ",", (";", ",")),  # only groups of three: ';' says ','
        ("a;b;y\n0.125;2;p\n", ",", (";", ".")),  # 0.125 is no thousands group
    ],
)
def test_the_separator_and_decimal_mark_are_judged_on_the_files_head(head, default, expected):
    assert sniff_text(head, default) == expected


COMPRESSIONS = [".gz", ".bz2", ".xz", ".zip"]
if importlib.util.find_spec("zstandard") is not None:
    COMPRESSIONS.append(".zst")


@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_a_compressed_csv_is_read_as_the_plain_one_and_named_by_its_stem(tmp_path, compression):
    frame = dirty_frame()
    plain = load_table(write_table(frame, tmp_path / "plain.csv"))
    path = tmp_path / f"data.csv{compression}"
    frame.to_csv(path, index=False)
    _same_table(load_table(path), plain)
    assert table_name(str(path)) == "data"


def test_comment_lines_above_the_header_and_old_mac_line_ends_are_read_past(tmp_path):
    """A LIMS export's '# exported from ...' lines above the header ('Error tokenizing data.
    C error: Expected 1 fields in line 3, saw 3'), a file whose lines end in CR alone
    (pandas asked for 'universal-newline mode'); a header written '#id,...' is the header."""
    frame = dirty_frame()
    plain = load_table(write_table(frame, tmp_path / "plain.csv"))
    text = frame.to_csv(index=False)
    commented = tmp_path / "commented.csv"
    commented.write_text("# exported from LIMS 2024-03-01\n# operator: jd\n" + text)
    old_mac = tmp_path / "old_mac.csv"
    old_mac.write_bytes(text.replace("\n", "\r").encode())
    for path in (commented, old_mac):
        _same_table(load_table(path), plain)
    assert load_table(commented).cleaning["read_with"]["comment_lines_skipped"] == "2"
    hashed = tmp_path / "hashed.csv"
    hashed.write_text("#" + text)
    assert sorted(c.name for c in load_table(hashed).columns)[0].startswith("#")


def test_a_zip_made_on_a_mac_is_read_as_its_one_table_and_two_tables_are_refused(tmp_path):
    """macOS's Compress adds '__MACOSX/._data.csv' (and a '.DS_Store'): 'a .zip file must
    hold one table, this one holds 2'."""
    import zipfile

    frame = dirty_frame()
    plain = load_table(write_table(frame, tmp_path / "plain.csv"))
    path = tmp_path / "data.csv.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("data/data.csv", frame.to_csv(index=False))
        archive.writestr("__MACOSX/data/._data.csv", b"\x00\x05\x16\x07resource fork")
        archive.writestr("data/.DS_Store", b"\x00\x00\x00\x01Bud1")
    _same_table(load_table(path), plain)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("data/other.csv", "a,b\n1,2\n")
    with pytest.raises(DatasetError, match="must hold one table, this one holds 2"):
        load_table(path)


@pytest.mark.skipif(importlib.util.find_spec("zstandard") is not None, reason="reads .zst")
def test_a_zst_file_without_zstandard_is_one_sentence_naming_the_package(tmp_path):
    path = tmp_path / "data.csv.zst"
    path.write_bytes(b"\x28\xb5\x2f\xfd")
    with pytest.raises(DatasetError, match="zstandard"):
        load_table(path)


def test_feather_and_arrow_ipc_files_are_read_as_the_plain_csv(tmp_path):
    import pyarrow as pa

    frame = dirty_frame()
    plain_path = write_table(frame, tmp_path / "plain.csv")
    plain = load_table(plain_path)
    as_read = pd.read_csv(plain_path, keep_default_na=False, na_values=[""])
    as_read.to_feather(tmp_path / "data.feather")
    table = pa.Table.from_pandas(as_read, preserve_index=False)
    with pa.ipc.new_stream(tmp_path / "stream.arrow", table.schema) as writer:
        writer.write_table(table)
    for name in ("data.feather", "stream.arrow"):
        read = load_table(tmp_path / name)
        assert _readings(read) == _readings(plain)
        pd.testing.assert_frame_equal(read.X, plain.X, check_dtype=False)
        assert "read_with" not in read.cleaning


def test_an_xlsx_workbook_is_read_through_openpyxl(tmp_path):
    pytest.importorskip("openpyxl")
    frame = _european()
    path = tmp_path / "sheet.xlsx"
    frame.to_excel(path, index=False)
    _same_table(load_table(path), load_table(write_table(frame, tmp_path / "plain.csv")))


def test_a_file_without_a_header_row_is_refused_saying_so_and_years_as_names_are_a_header(
    tmp_path,
):
    """UCI's iris.data ('5.1,3.5,1.4,0.2,Iris-setosa' first): its first row became the
    header, columns named '5.1', the target 'Iris-setosa', one row lost, and the run went on;
    integers only (birthwt without its header) were 'repeated column names: ['0']'."""
    iris = tmp_path / "iris.data.csv"
    iris.write_text("5.1,3.5,1.4,0.2,Iris-setosa\n4.9,3.0,1.4,0.2,Iris-setosa\n" * 10)
    counts = tmp_path / "counts.csv"
    counts.write_text("0,19,182,2,0\n1,33,155,0,1\n" * 10)
    for path in (iris, counts):
        with pytest.raises(DatasetError, match=r"its first row \(.*\) is data, not column names"):
            load_table(path)
    spectra = tmp_path / "spectra.csv"  # wavelengths as names, over absorbances near 0.4
    spectra.write_text(
        "1100.5,1102.0,1103.5,y\n"
        + "".join(
            f"0.{40 + i % 7},0.{30 + i % 5},0.{20 + i % 3},{'ab'[i % 2]}\n" for i in range(30)
        )
    )
    assert sorted(c.name for c in load_table(spectra).columns) == ["1100.5", "1102.0", "1103.5"]
    years = tmp_path / "years.csv"
    years.write_text(
        "country,1990,1991,y\n" + "".join(f"c{i},{i},{i * 2},{i % 2}\n" for i in range(20))
    )
    assert sorted(c.name for c in load_table(years).columns) == ["1990", "1991", "country"]


def test_a_sheet_that_names_a_column_twice_is_refused_as_a_csv_is(tmp_path):
    """pandas renames a sheet's second 'width' to 'width.1' (a CSV's header is refused)."""
    pytest.importorskip("openpyxl")
    frame = pd.DataFrame([[1.0, 2.0, "a"], [3.0, 4.0, "b"]] * 5)
    frame.columns = ["width", "width", "species"]
    path = tmp_path / "sheet.xlsx"
    frame.to_excel(path, index=False)
    with pytest.raises(DatasetError, match=r"has repeated column names: \['width'\]"):
        load_table(path)


def test_a_workbook_whose_first_sheet_is_notes_names_its_sheets(tmp_path):
    """A README sheet before the data: 'is the separator right? give it with sep', which a
    workbook has none of."""
    pytest.importorskip("openpyxl")
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"notes": ["exported 2024", "see data"]}).to_excel(
            writer, sheet_name="README", index=False
        )
        _european().to_excel(writer, sheet_name="data", index=False)
    with pytest.raises(DatasetError, match=r"first sheet, 'README'; its sheets: 'README', 'data'"):
        load_table(path)
    # a workbook of one empty sheet was told to put the table's sheet first too
    pd.DataFrame().to_excel(tmp_path / "empty.xlsx")
    with pytest.raises(DatasetError) as caught:
        load_table(tmp_path / "empty.xlsx")
    assert str(caught.value).endswith(
        "(its only sheet, 'Sheet1', holds no table of two columns or more)."
    )


def test_an_xlsx_workbook_without_openpyxl_is_one_sentence_naming_the_extra(tmp_path, monkeypatch):
    path = tmp_path / "sheet.xlsx"
    path.write_bytes(b"PK\x03\x04")
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "openpyxl" else find_spec(name, *a),
    )
    with pytest.raises(DatasetError, match=r"pip install 'treesvsnets\[excel\]'"):
        load_table(path)


def test_inspect_and_run_read_the_files_people_have(tmp_path):
    """The command line: ``inspect`` of a European CSV says how it was read; ``run`` on a
    .csv.gz names the table by its stem, records the reading in the manifest, and prints no
    library warning (its many-valued column is target-encoded)."""
    path = tmp_path / "export.csv"
    _european().to_csv(path, sep=";", decimal=",", index=False, encoding="utf-8-sig")
    inspected = cli("inspect", path)
    assert inspected.returncode == 0, inspected.stderr
    assert "separator ';' (semicolon) and decimal mark ',' (comma)" in inspected.stdout
    assert "preis     float64" in inspected.stdout
    forced = cli("inspect", path, "--sep", ",")
    assert forced.returncode == 2 and "1 column" in forced.stderr

    frame = dirty_frame()
    shops = [f"shop{i % 40}" for i in range(len(frame))]  # > 20 values: target-encoded
    frame.insert(0, "shop", shops)
    gz = tmp_path / "data.csv.gz"
    frame.to_csv(gz, index=False)
    done = cli("run", "-d", gz, "-e", "logreg", "--folds", "2", "--out", tmp_path / "runs")
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr, done.stderr
    (run_dir,) = [p for p in (tmp_path / "runs").iterdir() if p.is_dir()]
    rows = pd.read_csv(run_dir / "results.csv")
    assert set(rows["dataset"]) == {"data"} and set(rows["status"]) == {"ok"}
    assert not rows["warnings"].astype(str).str.contains("TargetEncoder").any()
    (described,) = json.loads((run_dir / "manifest.json").read_text())["datasets"]
    assert described["cleaning"]["read_with"] == {"sep": ",", "decimal": "."}
    assert "target encoding" in {r["name"]: r["encoding"] for r in described["columns"]}["shop"]


def test_a_toml_entry_gives_a_tables_separator_and_decimal_mark(tmp_path):
    path = tmp_path / "export.txt"
    _european().to_csv(path, sep="|", decimal=",", index=False)
    config = tmp_path / "bench.toml"
    config.write_text(
        "estimators = ['logreg']\nfolds = 2\n"
        f"datasets = [{{path = '{path}', sep = '|', decimal = ','}}]\n"
    )
    done = cli("run", "--config", config, "--out", tmp_path / "runs", "--no-baseline")
    assert done.returncode == 0, done.stderr
    (run_dir,) = [p for p in (tmp_path / "runs").iterdir() if p.is_dir()]
    (described,) = json.loads((run_dir / "manifest.json").read_text())["datasets"]
    assert described["cleaning"]["read_with"] == {"sep": "|", "decimal": ","}
    assert "preis" in described["numeric_columns"]


def test_a_given_separator_still_has_its_decimal_mark_detected(tmp_path):
    path = tmp_path / "export.txt"  # a .txt file: no separator implied by its suffix
    _european().to_csv(path, sep=";", decimal=",", index=False)
    read = load_table(path, TableOptions(sep=";"))
    assert read.cleaning["read_with"] == {"sep": ";", "decimal": ","}
    assert {r.name: r.kind for r in read.columns}["preis"] == "numeric"


def test_inspect_of_a_table_with_a_column_of_lists_says_a_run_refuses_it(tmp_path):
    """A Parquet column of lists (tags): inspect ended in pandas' 'unhashable type:
    numpy.ndarray' traceback where a run refuses it in one sentence; it now profiles the
    table, the column 'refused', with the run's sentence."""
    import treesvsnets

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "tags": [list(rng.choice(["a", "b", "c"], 2)) for _ in range(60)],
            "x": rng.normal(size=60),
            "y": rng.choice(["p", "q"], 60),
        }
    )
    frame.to_parquet(tmp_path / "tagged.parquet")
    profile = treesvsnets.inspect_table(tmp_path / "tagged.parquet")
    kinds = {c.name: c.kind for c in profile.columns}
    assert kinds == {"tags": "refused", "x": "numeric", "y": "target"}
    assert "column 'tags' holds ndarray values that cannot be encoded" in profile.problem
