"""PyTorch estimators: TorchClassifier (scikit-learn API), its modules, loop and callbacks.

Importing this subpackage imports torch; the registry (``estimators/nets.py``)
reaches it only when a cell builds a net.
"""

from treesvsnets.estimators.torch.callbacks import Callback, Checkpoint, EarlyStopping
from treesvsnets.estimators.torch.classifier import TorchClassifier

__all__ = ["Callback", "Checkpoint", "EarlyStopping", "TorchClassifier"]
