from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from treesvsnets.estimators import EstimatorSpec, add, unregister


@pytest.fixture
def seed() -> int:
    """The one seed the tests use, so a failure reproduces."""
    return 0


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
