from sklearn.ensemble import RandomForestClassifier

from treesvsnets.estimators import register

register("rf", family="ensemble")(RandomForestClassifier)
