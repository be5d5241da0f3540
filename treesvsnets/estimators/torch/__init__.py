"""PyTorch estimators: TorchClassifier and TorchRegressor (scikit-learn API) over one
TorchNet, its modules, loop, objectives and callbacks.

Importing this subpackage imports torch; the registry (``estimators/nets.py``)
reaches it only when a cell builds a net.
"""

from treesvsnets.estimators.torch.callbacks import Callback, Checkpoint, EarlyStopping
from treesvsnets.estimators.torch.classifier import TorchClassifier
from treesvsnets.estimators.torch.regressor import TorchRegressor

__all__ = ["Callback", "Checkpoint", "EarlyStopping", "TorchClassifier", "TorchRegressor"]
