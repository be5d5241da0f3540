"""mnist1d, generated offline and cached in the data folder, and tables that declare a shape."""

from __future__ import annotations

import numpy as np
import pytest

from treesvsnets.datasets import load
from treesvsnets.datasets import sequences as sequences_module
from treesvsnets.datasets.table_options import TableOptions
from treesvsnets.datasets.tables import load_table
from treesvsnets.errors import DatasetError


def test_mnist1d_has_its_official_split_and_is_cached_in_the_data_folder(tmp_path, monkeypatch):
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    first = load("mnist1d", data_dir=tmp_path)
    assert np.array_equal(np.random.get_state()[1], before)  # the package's reseeding undone
    assert first.X.shape == (5000, 40) and first.sequence_shape == (1, 40)
    assert first.image_shape is None and first.n_classes == 10
    assert np.array_equal(first.official_test, np.arange(4000, 5000))
    assert np.bincount(first.y).min() >= 450  # ten balanced digits
    cached = list((tmp_path / "mnist1d").glob("mnist1d-*.npz"))
    assert len(cached) == 1

    def no_generating(settings):
        raise AssertionError("generated again instead of read from the cache")

    monkeypatch.setattr(sequences_module, "_generate", no_generating)
    again = load("mnist1d", data_dir=tmp_path)
    assert again.fingerprint == first.fingerprint


def test_mnist1d_is_generated_where_the_data_folder_cannot_be_written(tmp_path):
    blocked = tmp_path / "a-file"  # no folder can be made inside a file (even by root)
    blocked.write_text("not a folder")
    dataset = load("mnist1d", data_dir=blocked)
    assert dataset.X.shape == (5000, 40) and blocked.read_text() == "not a folder"


def _sequence_csv(path, n=60, length=8, missing=False, text=False):
    rng = np.random.default_rng(0)
    lines = [",".join([f"t{i}" for i in range(length)] + (["colour"] if text else []) + ["y"])]
    for row in range(n):
        values = [f"{v:.3f}" for v in rng.normal(size=length)]
        if missing and row == 3:
            values[2] = ""
        lines.append(
            ",".join(
                values + ([("red", "blue", "green")[row % 3]] if text else []) + [str(row % 2)]
            )
        )
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_table_declares_its_rows_sequences_or_images(tmp_path):
    csv = _sequence_csv(tmp_path / "seq.csv")
    as_sequences = load_table(csv, TableOptions(shape=(1, 8)))
    assert as_sequences.sequence_shape == (1, 8) and as_sequences.image_shape is None
    as_images = load_table(csv, TableOptions(shape=(2, 2, 2)))
    assert as_images.image_shape == (2, 2, 2) and as_images.sequence_shape is None


@pytest.mark.parametrize(
    ("csv_kind", "shape", "message"),
    [
        ({}, (1, 9), "shape [1, 9] holds 9 values but the table has 8 feature columns"),
        ({"missing": True}, (1, 8), "column 't2' has missing values"),
        ({"text": True}, (1, 8), "'colour' is not numeric"),
    ],
)
def test_a_shape_that_does_not_fit_the_table_is_one_sentence(tmp_path, csv_kind, shape, message):
    csv = _sequence_csv(tmp_path / "seq.csv", **csv_kind)
    with pytest.raises(DatasetError) as caught:
        load_table(csv, TableOptions(shape=shape))
    assert message in str(caught.value) and str(csv) in str(caught.value)


@pytest.mark.parametrize("shape", [(40,), (1, 2, 3, 4), (0, 40), (1.5, 40)])
def test_a_malformed_shape_is_refused(shape):
    with pytest.raises(DatasetError, match=r"shape must be \[channels, length\]"):
        TableOptions(shape=shape)


def test_a_config_files_dataset_entry_declares_the_shape(tmp_path):
    from treesvsnets.config import RunConfig
    from treesvsnets.config_files import load_toml
    from treesvsnets.datasets.registry import load as load_named

    csv = _sequence_csv(tmp_path / "signals.csv")
    config_file = tmp_path / "bench.toml"
    config_file.write_text(
        f'datasets = [{{path = "{csv}", shape = [1, 8]}}]\nestimators = ["cnn1d"]\n'
    )
    config = load_toml(config_file)
    assert config.table_options(str(csv)).shape == (1, 8)
    dataset = load_named(str(csv), table_options=config.table_options(str(csv)))
    assert dataset.sequence_shape == (1, 8)
    # --shape gives every table file the shape; a file's own entry wins; a manifest keeps it
    flagged = RunConfig(datasets=(str(csv),), shape=(2, 4))
    assert flagged.table_options(str(csv)).shape == (2, 4)
    assert RunConfig.from_dict(flagged.to_dict()).shape == (2, 4)
    assert RunConfig.from_dict(RunConfig().to_dict()).shape is None
