from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

from treesvsnets.bench.cells.splits import make_split_plan
from treesvsnets.datasets import load
from treesvsnets.estimators import EstimatorSpec, add, unregister


@pytest.fixture
def seed() -> int:
    """The one seed the tests use, so a failure reproduces."""
    return 0


@pytest.fixture(scope="session")
def wine():
    """A small real dataset (178 rows, 3 classes) for cell-level tests."""
    return load("wine")


@pytest.fixture(scope="session")
def wine_plan(wine):
    return make_split_plan(wine, n_folds=3, seed=0)


@pytest.fixture(scope="session")
def diabetes():
    """scikit-learn's diabetes: 442 rows, a numeric target (regression)."""
    return load("diabetes")


@pytest.fixture(scope="session")
def diabetes_plan(diabetes):
    return make_split_plan(diabetes, n_folds=3, seed=0)


@pytest.fixture(scope="session")
def digits():
    """scikit-learn's 8x8 digits: 1797 rows, 10 classes, an image shape for CNNs."""
    return load("digits")


@pytest.fixture(scope="session")
def digits_plan(digits):
    return make_split_plan(digits, n_folds=3, seed=0)


@pytest.fixture(scope="session")
def digits_split(digits, digits_plan):
    """Scaled digits for the nets: fit / validation / test rows (and labels) of the first fold
    of the shared plan, standard-scaled on the fit rows."""
    from sklearn.preprocessing import StandardScaler

    fold = digits_plan.folds[0]
    scaler = StandardScaler().fit(digits.X[fold.fit])
    return tuple(
        part
        for rows in (fold.fit, fold.val, fold.test)
        for part in (scaler.transform(digits.X[rows]), digits.y[rows])
    )


@pytest.fixture
def register_spec() -> Iterator[Callable[..., EstimatorSpec]]:
    """Register test estimators for one test, and remove them afterwards."""
    added: list[str] = []

    def _register(name: str, factory, family: str = "other", **fields) -> EstimatorSpec:
        fields.setdefault("threads_param", None)
        spec = add(
            EstimatorSpec(name=name, family=family, factory=factory, source="tests", **fields)
        )
        added.append(name)
        return spec

    yield _register
    for name in added:
        unregister(name)


@pytest.fixture(scope="session")
def shared_data_dir():
    """The original MNIST / Fashion-MNIST files beside the checkout (read-only), if present."""
    import os
    from pathlib import Path

    candidates = [
        os.environ.get("TREESVSNETS_DATA_DIR"),
        Path(__file__).parents[2] / "shared" / "datasets",
    ]
    for candidate in candidates:
        if candidate and (Path(candidate) / "MNIST" / "raw" / "train-images-idx3-ubyte").is_file():
            return Path(candidate)
    pytest.skip("the MNIST files are not beside the checkout (../shared/datasets)")


@pytest.fixture(scope="session")
def mnist_2k(shared_data_dir):
    """A stratified 2,000-row MNIST subset that keeps the official train/test proportion."""
    return load("mnist", data_dir=shared_data_dir).subsample(2000)


@pytest.fixture(scope="module")
def dask_cluster():
    """A Dask cluster on loopback, as a user's would be: two worker processes of one thread
    each (the address of its scheduler; skipped without the distributed package)."""
    distributed = pytest.importorskip("distributed")
    environment = dict(os.environ)
    try:
        with distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            worker_dashboard_address=None,
        ) as cluster:
            # its nannies set their workers' variables (OMP_NUM_THREADS=1, PYTHONHASHSEED...)
            # in this process's environment, where every later test's commands would get them
            _restore(environment)
            yield cluster.scheduler_address
    finally:
        _restore(environment)


def _restore(environment: dict[str, str]) -> None:
    os.environ.clear()
    os.environ.update(environment)


@pytest.fixture(autouse=True, scope="session")
def _workers_from_the_fork_server():
    """The workers of runs in this process are forked by the tests' fork server, which has
    already imported what a new worker imports first (tests/helpers/forkserver.py)."""
    from tests.helpers.forkserver import use_served_workers

    use_served_workers()
    yield
