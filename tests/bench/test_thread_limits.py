"""A cell's thread budget on the native pools (treesvsnets.bench.cells.thread_limits): the
limit holds inside the block and is undone after it, and a library loaded after the first
limit is found by the next one (the libraries are looked up again when the loaded shared
objects change)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from threadpoolctl import threadpool_info

from treesvsnets.bench.cells import thread_limits


def _threads() -> dict[str, int]:
    return {info["filepath"]: info["num_threads"] for info in threadpool_info()}


def test_the_limit_holds_in_the_block_and_is_undone_after_it():
    import numpy  # noqa: F401 - its BLAS is one of the pools

    before = _threads()
    assert before, "numpy's BLAS should be loaded"
    with thread_limits.limited_threads(1):
        assert set(_threads().values()) == {1}
    assert _threads() == before


@pytest.mark.skipif(thread_limits.loaded_objects() is None, reason="no dl_iterate_phdr here")
def test_a_library_loaded_after_the_first_limit_is_limited_by_the_next():
    # a fresh interpreter: numpy (and its OpenBLAS) not imported before the first limit
    script = textwrap.dedent(
        """
        import json, sys
        from treesvsnets.bench.cells import thread_limits
        first = thread_limits.controller()
        same = thread_limits.controller() is first
        assert "numpy" not in sys.modules
        import numpy
        from threadpoolctl import threadpool_info
        blas = [i["filepath"] for i in threadpool_info() if i["user_api"] == "blas"]
        second = thread_limits.controller()
        with thread_limits.limited_threads(1):
            inside = {i["filepath"]: i["num_threads"] for i in threadpool_info()}
        print(json.dumps({"same": same, "new": second is not first,
                          "again": thread_limits.controller() is second,
                          "blas": blas, "inside": inside}))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    seen = json.loads(out.stdout)
    assert seen["same"] and seen["new"] and seen["again"]
    assert seen["blas"], "numpy should have loaded a BLAS"
    assert all(seen["inside"][path] == 1 for path in seen["blas"])
