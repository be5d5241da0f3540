"""What machine and which library versions produced a run: :func:`describe_environment`
(machine, CPU, Python, the library versions read from their metadata, nothing imported; the
CUDA devices only when an estimator of the run can use a GPU, since that imports torch)."""

from __future__ import annotations

import hashlib
import json
import platform
from importlib import metadata

from treesvsnets.bench.cells.measure import cpu_count

#: Distributions whose versions change results or timings.
TRACKED_PACKAGES = (
    "treesvsnets",
    "numpy",
    "scipy",
    "pandas",
    "scikit-learn",
    "xgboost",
    "lightgbm",
    "torch",
    "torchvision",
    "threadpoolctl",
)


def package_versions() -> dict[str, str | None]:
    """Installed versions, read from metadata (nothing is imported)."""
    versions: dict[str, str | None] = {}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def versions_hash(versions: dict[str, str | None]) -> str:
    payload = json.dumps({"python": platform.python_version(), **versions}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def gpu_names() -> list[str]:
    """CUDA devices torch can see (imports torch: call it only when nets will run)."""
    import torch

    if not torch.cuda.is_available():
        return []
    return [torch.cuda.get_device_name(index) for index in range(torch.cuda.device_count())]


def describe_environment(with_gpu: bool = False) -> dict[str, object]:
    """Machine, Python and library versions; ``with_gpu`` adds the CUDA devices (imports torch)."""
    versions = package_versions()
    environment: dict[str, object] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cores": cpu_count(),
        "packages": versions,
        "versions_hash": versions_hash(versions),
    }
    if with_gpu:
        environment["gpus"] = gpu_names()
    return environment
