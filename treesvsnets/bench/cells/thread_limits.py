"""A cell's or a trial's thread budget on the native libraries' thread pools (BLAS, OpenMP):
:func:`limited_threads`, what ``threadpoolctl.threadpool_limits(limits=n)`` does, without
finding the libraries again while none was loaded or unloaded.

threadpoolctl finds the pools by reading ``/proc/self/maps`` and opening each matching
library, about 3 ms on a worker that has imported scikit-learn, XGBoost and LightGBM: 0.15 s
of the 50 cells of the four-estimator suite, on the worker's path between cells. Here the
controller it builds is kept while the process's shared objects stay the same (each one's
name and load address, read from the dynamic linker's list: about 50 µs), so a library loaded
since (a new import, a plugin's ``ctypes.CDLL``) is found as before. Where the linker's list
cannot be read (no ``dl_iterate_phdr``: macOS, Windows), each call builds its own controller,
as ``threadpool_limits`` does.
"""

from __future__ import annotations

import ctypes
import threading
from typing import Any


class _ObjectInfo(ctypes.Structure):
    """The first two fields of glibc's and musl's ``struct dl_phdr_info``."""

    _fields_ = [("address", ctypes.c_size_t), ("name", ctypes.c_char_p)]


_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(_ObjectInfo), ctypes.c_size_t, ctypes.c_void_p
)
_LOCK = threading.Lock()
_cached: tuple[tuple[tuple[int, bytes], ...], Any] | None = None


def _list_objects() -> Any:
    """A function listing the loaded shared objects, or None where there is no such list."""
    try:
        iterate = ctypes.CDLL(None).dl_iterate_phdr
    except (OSError, AttributeError, TypeError):
        return None
    iterate.argtypes = [_CALLBACK, ctypes.c_void_p]
    iterate.restype = ctypes.c_int

    def loaded() -> tuple[tuple[int, bytes], ...]:
        found: list[tuple[int, bytes]] = []

        def note(info: Any, size: int, data: Any) -> int:
            found.append((info.contents.address, info.contents.name or b""))
            return 0

        iterate(_CALLBACK(note), None)
        return tuple(found)

    return loaded


_LOADED = _list_objects()


def loaded_objects() -> tuple[tuple[int, bytes], ...] | None:
    """The process's shared objects as (load address, name), or None where unknown."""
    return None if _LOADED is None else _LOADED()


def controller() -> Any:
    """A ``ThreadpoolController`` of the libraries loaded now: the last one built while
    the same shared objects are loaded."""
    global _cached
    from threadpoolctl import ThreadpoolController

    objects = loaded_objects()
    if objects is None:
        return ThreadpoolController()
    with _LOCK:
        if _cached is None or _cached[0] != objects:
            _cached = (objects, ThreadpoolController())
        return _cached[1]


def limited_threads(limits: int) -> Any:
    """Limit every BLAS and OpenMP pool loaded now to ``limits`` threads until the returned
    context manager's block ends (then restore them), as ``threadpool_limits`` does."""
    return controller().limit(limits=limits)
