"""PyTorch estimators: TorchClassifier and TorchRegressor (scikit-learn API) over one
TorchNet, its modules, loop, objectives and callbacks.

Importing this subpackage imports torch; the registry (``estimators/nets.py``)
reaches it only when a cell builds a net. Its modules:

- net.py: TorchNet, every parameter and the fit of both tasks; classifier.py and
  regressor.py: the two task classes; objectives.py: their losses and validation scores;
- builders.py: each architecture's module built from the parameters it reads; modules.py:
  the dense net and the CNNs; tabular.py: the nets that compete on tables;
- training.py: the training loop; augment.py: random transforms of its training batches;
  callbacks.py: early stopping, checkpoints, epoch lines;
  devices.py: the device and its clocks; divergence.py: whether a fit diverged;
- together.py and stacked.py: fold-parallel training, k folds as one stacked model.
"""

from treesvsnets.estimators.torch.callbacks import Callback, Checkpoint, EarlyStopping
from treesvsnets.estimators.torch.classifier import TorchClassifier
from treesvsnets.estimators.torch.regressor import TorchRegressor

__all__ = ["Callback", "Checkpoint", "EarlyStopping", "TorchClassifier", "TorchRegressor"]
