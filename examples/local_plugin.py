"""A local plugin: two estimators for ``--plugin examples/local_plugin.py``.

treesvsnets run --plugin examples/local_plugin.py -e extra_trees -e svm -e rf
treesvsnets check extra_trees --plugin examples/local_plugin.py
"""

from treesvsnets.estimators import register


@register(
    "extra_trees",
    family="ensemble",
    default_params={"n_estimators": 200},
    description="ExtraTreesClassifier (scikit-learn)",
    capabilities={"predict_proba", "multithreaded"},
)
def extra_trees(n_estimators=200, random_state=None, n_jobs=None):
    # random_state and n_jobs are named, so each cell's seed and thread budget arrive here
    from sklearn.ensemble import ExtraTreesClassifier

    return ExtraTreesClassifier(n_estimators=n_estimators, random_state=random_state, n_jobs=n_jobs)


@register(
    "svm",
    family="other",
    default_params={"C": 10.0, "gamma": "scale"},
    description="SVC with an RBF kernel (scikit-learn), on standard-scaled features",
    preprocessing="standard",
)
def svm(C=10.0, gamma="scale", random_state=None):
    # no predict_proba (scikit-learn 1.9 deprecates SVC(probability=True)): no log loss
    from sklearn.svm import SVC

    return SVC(C=C, gamma=gamma, random_state=random_state)
