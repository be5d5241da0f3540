"""A user's own torch module, registered to get the project's training loop."""

from torch import nn

from treesvsnets.estimators import register_net


def tiny_mlp(n_features, n_classes, image_shape=None):
    return nn.Sequential(nn.Linear(n_features, 32), nn.ReLU(), nn.Linear(32, n_classes))


register_net("tiny_mlp", tiny_mlp, default_params={"epochs": 15})
