"""Datasets: built-in loaders and the per-fold preprocessing pipeline."""

from treesvsnets.datasets.base import Dataset
from treesvsnets.datasets.registry import DatasetInfo, all_infos, info, load, register_dataset

__all__ = ["Dataset", "DatasetInfo", "all_infos", "info", "load", "register_dataset"]
