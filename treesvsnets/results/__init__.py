"""What a run leaves behind, and the one place that reads and writes it: the result row
(:mod:`.row`), the SQLite store of rows (:mod:`.store`) and the run folder with its manifest
(:mod:`.folder`).

The harness (:mod:`treesvsnets.bench`) writes these; the reports (:mod:`treesvsnets.reports`)
read them. This package imports neither, so the two never import each other.
"""
