"""Imported by treesvsnets through the entry point; each registration is one decorator or call."""

from treesvsnets.estimators import register, register_net


@register(
    "knn",
    family="other",
    default_params={"n_neighbors": 5},
    description="KNeighborsClassifier (scikit-learn) on standard-scaled features",
    preprocessing="standard",
    capabilities={"predict_proba", "multithreaded"},
)
def knn(n_neighbors=5, n_jobs=None):
    from sklearn.neighbors import KNeighborsClassifier

    return KNeighborsClassifier(n_neighbors=n_neighbors, n_jobs=n_jobs)


def wide_mlp(n_features, n_classes, image_shape=None):
    """One wide hidden layer; rows arrive flat whatever the dataset."""
    from torch import nn

    return nn.Sequential(
        nn.Linear(n_features, 512), nn.ReLU(), nn.Dropout(0.2), nn.Linear(512, n_classes)
    )


register_net("wide_mlp", wide_mlp, default_params={"epochs": 40, "lr": 1e-3})
