"""A plugin that registers something that cannot build an estimator (a number)."""

from treesvsnets.estimators import register

register("not_callable", family="other")(42)
