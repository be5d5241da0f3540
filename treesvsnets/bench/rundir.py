"""Run folders: unique names that never overwrite, and the manifest inside them."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from treesvsnets.errors import ConfigError

MANIFEST_FILENAME = "manifest.json"


def create_run_dir(out: Path, name: str) -> tuple[str, Path]:
    """Make ``out/<UTC timestamp>-<name>``; a taken folder gets a ``-2``, ``-3``... suffix."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot create the output folder {str(out)!r}: {exc.strerror}."
        ) from None
    for attempt in range(1, 1000):
        run_id = f"{stamp}-{name}" if attempt == 1 else f"{stamp}-{name}-{attempt}"
        try:
            (out / run_id).mkdir()
        except FileExistsError:
            continue
        return run_id, out / run_id
    raise ConfigError(f"too many runs named {name!r} this second in {str(out)!r}.")


def write_manifest(run_dir: Path, manifest: dict[str, Any]) -> Path:
    """Write ``manifest.json`` atomically, so a crash never leaves half a file."""
    path = run_dir / MANIFEST_FILENAME
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(partial, path)
    return path


def read_manifest(run_dir: Path) -> dict[str, Any]:
    path = Path(run_dir) / MANIFEST_FILENAME
    if not path.is_file():
        raise ConfigError(f"{str(run_dir)!r} is not a run folder: it has no {MANIFEST_FILENAME}.")
    return json.loads(path.read_text(encoding="utf-8"))
