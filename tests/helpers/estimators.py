"""Small estimators for harness tests: fast, and each misbehaving in one known way."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin


class DummyEstimator(ClassifierMixin, BaseEstimator):
    """Predicts the training fold's most frequent class; fast and deterministic."""

    def __init__(self, random_state: int | None = None) -> None:
        self.random_state = random_state

    def fit(self, X, y):
        self.classes_, counts = np.unique(y, return_counts=True)
        self.majority_ = self.classes_[np.argmax(counts)]
        return self

    def predict(self, X):
        return np.full(len(X), self.majority_)


class ProbaDummy(DummyEstimator):
    """DummyEstimator with class-frequency probabilities."""

    def fit(self, X, y):
        super().fit(X, y)
        self.prior_ = np.bincount(np.searchsorted(self.classes_, y)) / len(y)
        return self

    def predict_proba(self, X):
        return np.tile(self.prior_, (len(X), 1))


class RaisingEstimator(DummyEstimator):
    """Fails in fit, as a buggy or misconfigured estimator would."""

    def fit(self, X, y):
        raise ValueError("deliberate failure in fit")


class AllocatingEstimator(DummyEstimator):
    """Touches ``megabytes`` of memory during fit, then frees it."""

    def __init__(self, megabytes: int = 200, random_state: int | None = None) -> None:
        self.megabytes = megabytes
        self.random_state = random_state

    def fit(self, X, y):
        block = np.ones(self.megabytes * 1024 * 1024 // 8)
        self.checksum_ = float(block[::4096].sum())
        del block
        return super().fit(X, y)


class ThreadRecordingEstimator(DummyEstimator):
    """Records the thread limits of the native thread pools it sees during fit."""

    def fit(self, X, y):
        from threadpoolctl import threadpool_info

        self.pool_threads_ = {pool["user_api"]: pool["num_threads"] for pool in threadpool_info()}
        return super().fit(X, y)


class SlowEstimator(ProbaDummy):
    """ProbaDummy that takes ``seconds`` to fit: gives a test time to interrupt a run."""

    def __init__(self, seconds: float = 0.5, random_state: int | None = None) -> None:
        self.seconds = seconds
        self.random_state = random_state

    def fit(self, X, y):
        import time

        time.sleep(self.seconds)
        return super().fit(X, y)


class HangingEstimator(DummyEstimator):
    """Never finishes fitting, as a deadlocked or runaway model would."""

    def fit(self, X, y):
        import time

        while True:
            time.sleep(1)


class ExitingEstimator(DummyEstimator):
    """Kills its own process in fit, as a library calling exit() or abort() would."""

    def fit(self, X, y):
        import os

        os._exit(1)


class SegfaultingEstimator(DummyEstimator):
    """Crashes in native code (reads address 0)."""

    def fit(self, X, y):
        import ctypes

        ctypes.string_at(0)


class GreedyEstimator(DummyEstimator):
    """Keeps allocating (and touching) memory in 32 MB steps, as a leak would, up to 8 GB."""

    def fit(self, X, y):
        import time

        blocks = []
        for _ in range(256):
            blocks.append(np.ones(32 * 1024 * 1024 // 8))
            time.sleep(0.005)
        return super().fit(X, y)


_HOARD: list = []


class HoardingEstimator(ProbaDummy):
    """Keeps 400 MB alive in its worker after its fit, as a leak from cell to cell would."""

    def fit(self, X, y):
        _HOARD.append(np.ones(400 * 1024 * 1024 // 8))
        return super().fit(X, y)


class HangingTogether(ProbaDummy):
    """Declares fold-parallel training (``fit_together``), then never finishes it."""

    @classmethod
    def fit_together(cls, estimators, data):
        import time

        while True:
            time.sleep(1)


class MoodyEstimator(ProbaDummy):
    """ProbaDummy whose ``mood`` decides how its fit goes: ``fine``, ``raises``, ``hangs`` or
    ``exits`` (a search over ``mood`` meets every kind of failing trial)."""

    def __init__(self, mood: str = "fine", random_state: int | None = None) -> None:
        self.mood = mood
        self.random_state = random_state

    def fit(self, X, y):
        import os
        import time

        if self.mood == "raises":
            raise ValueError("deliberate failure in fit")
        if self.mood == "hangs":
            while True:
                time.sleep(1)
        if self.mood == "exits":
            os._exit(1)
        return super().fit(X, y)


class SlowLogisticRegression(ClassifierMixin, BaseEstimator):
    """Standard-scaled logistic regression that sleeps ``pause`` seconds in fit: real,
    deterministic scores that depend on ``C``, slow enough to interrupt in a search."""

    def __init__(self, C: float = 1.0, pause: float = 0.15, random_state: int | None = None):
        self.C = C
        self.pause = pause
        self.random_state = random_state

    def fit(self, X, y):
        import time

        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        time.sleep(self.pause)
        self.model_ = make_pipeline(StandardScaler(), LogisticRegression(C=self.C, max_iter=500))
        self.model_.fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        return self.model_.predict(X)


class HalfProba(ProbaDummy):
    """Probabilities that sum to one half: not probabilities."""

    def predict_proba(self, X):
        return super().predict_proba(X) * 0.5


class TooFewProbaColumns(ProbaDummy):
    """One probability column fewer than the classes it knows."""

    def predict_proba(self, X):
        return super().predict_proba(X)[:, :-1]


class ShortProba(ProbaDummy):
    """Two rows of probabilities fewer than the rows predicted."""

    def predict_proba(self, X):
        return super().predict_proba(X)[:-2]


class TextProba(ProbaDummy):
    """Probabilities written as text."""

    def predict_proba(self, X):
        return super().predict_proba(X).astype(str)


class UnknownLabel(DummyEstimator):
    """Predicts a label no class of the dataset has."""

    def predict(self, X):
        return np.full(len(X), 7)


class ShortPredict(DummyEstimator):
    """Predicts three labels fewer than it is given rows."""

    def predict(self, X):
        return super().predict(X)[:-3]


class EnvironmentChanger(DummyEstimator):
    """Sets a thread count and a variable of its own in fit, as a careless plugin might."""

    def fit(self, X, y):
        import os

        os.environ["OMP_NUM_THREADS"] = "7"
        os.environ["TREESVSNETS_TEST_LEFT_BEHIND"] = "yes"
        return super().fit(X, y)


class EnvironmentReader(DummyEstimator):
    """Fails in fit when it finds what :class:`EnvironmentChanger` leaves behind."""

    def fit(self, X, y):
        import os

        seen = {
            name: os.environ.get(name)
            for name in ("OMP_NUM_THREADS", "TREESVSNETS_TEST_LEFT_BEHIND")
            if os.environ.get(name) in ("7", "yes")
        }
        if seen:
            raise RuntimeError(f"an earlier cell's environment is still here: {seen}")
        return super().fit(X, y)


#: the recursion limit :class:`TraceLeaver` sets (no worker has it otherwise)
ODD_RECURSION_LIMIT = 12_345


class TraceLeaver(DummyEstimator):
    """Leaves one ``trace`` in its process after fit, as a careless plugin might: a thread
    still running, the working folder changed to ``/``, the recursion limit changed, or 400
    MB kept at module level."""

    def __init__(self, trace: str = "thread", random_state: int | None = None) -> None:
        self.trace = trace
        self.random_state = random_state

    def fit(self, X, y):
        import os
        import sys
        import threading
        import time

        if self.trace == "thread":  # not a daemon: it would hold an orderly exit too
            threading.Thread(target=lambda: [time.sleep(0.05) for _ in iter(int, 1)]).start()
        elif self.trace == "folder":
            os.chdir("/")
        elif self.trace == "recursion":
            sys.setrecursionlimit(ODD_RECURSION_LIMIT)
        elif self.trace == "memory":
            _HOARD.append(np.ones(400 * 1024 * 1024 // 8))
        elif self.trace == "library settings":
            import sklearn

            np.seterr(all="raise")
            np.random.seed(42)
            sklearn.set_config(transform_output="pandas")
        elif self.trace == "path and signals":
            import signal

            sys.path.insert(0, "/nowhere")
            signal.signal(signal.SIGINT, signal.default_int_handler)
            signal.alarm(30)  # a home-made timeout left running
        elif self.trace == "closed stderr":
            os.close(2)
        return super().fit(X, y)


class TraceReader(DummyEstimator):
    """Fails in fit when it finds a trace :class:`TraceLeaver` leaves."""

    def fit(self, X, y):
        import os
        import signal
        import sys
        import threading

        import sklearn

        try:
            os.fstat(2)
            closed = False
        except OSError:
            closed = True
        seen = {
            "thread": threading.active_count() > 1,
            "folder": os.getcwd() == "/",
            "recursion": sys.getrecursionlimit() == ODD_RECURSION_LIMIT,
            "memory": bool(_HOARD),
            "numpy errors": np.geterr()["divide"] == "raise",
            "numpy seed": np.random.get_state()[2] == 0 and np.random.get_state()[1][0] == 42,
            "sklearn config": sklearn.get_config()["transform_output"] == "pandas",
            "path": "/nowhere" in sys.path,
            "handler": signal.getsignal(signal.SIGINT) is signal.default_int_handler,
            "alarm": signal.getitimer(signal.ITIMER_REAL)[0] > 0,
            "closed stderr": closed,
        }
        if any(seen.values()):
            raise RuntimeError(f"an earlier cell left: {[k for k, v in seen.items() if v]}")
        return super().fit(X, y)


class OddFoldFailer(ProbaDummy):
    """Fails to fit on an odd number of rows: wine's 3 folds train on 118, 119 and 119 rows,
    so it succeeds on one fold of three."""

    def fit(self, X, y):
        if len(X) % 2:
            raise ValueError("fails on an odd number of rows")
        return super().fit(X, y)


class Float32Proba(ProbaDummy):
    """Probabilities in float32, as a net's softmax gives them: rows off 1 by about 1e-7."""

    def predict_proba(self, X):
        return (super().predict_proba(X) * (1 + 3e-7)).astype(np.float32)


class ReversedClasses(ClassifierMixin, BaseEstimator):
    """A logistic regression whose ``classes_`` it reverses after fit, its ``predict_proba``
    columns left in their order: the contract broken as a careless wrapper breaks it."""

    def __init__(self, random_state: int | None = None) -> None:
        self.random_state = random_state

    def fit(self, X, y):
        from sklearn.linear_model import LogisticRegression

        self.model_ = LogisticRegression(max_iter=500).fit(X, y)
        self.classes_ = self.model_.classes_[::-1]
        return self

    def predict(self, X):
        return self.model_.predict(X)

    def predict_proba(self, X):
        return self.model_.predict_proba(X)


class TwiceNamedClass(ReversedClasses):
    """``classes_`` that name one class twice ([0, 1, 1] on three classes)."""

    def fit(self, X, y):
        super().fit(X, y)
        self.classes_ = np.array([0, 1, 1])
        return self


#: the command line of the process :class:`SessionChildStarter` leaves (found by it after a run)
ESCAPING_CHILD = ["sleep", "307.125"]


class SessionChildStarter(ProbaDummy):
    """Starts a process in a session of its own in fit and leaves it running: a group kill
    does not reach it."""

    def fit(self, X, y):
        import subprocess

        subprocess.Popen(ESCAPING_CHILD, start_new_session=True)
        return super().fit(X, y)


ORPHANED_CHILD = ["sleep", "308.25"]


class CrashingParent(ProbaDummy):
    """Starts a process (in the worker's group) in fit, then dies without a word: the
    process would be left to init, holding the worker's output."""

    def fit(self, X, y):
        import os
        import subprocess

        subprocess.Popen(ORPHANED_CHILD)
        os._exit(3)


class WordyWarner(ProbaDummy):
    """Warns a long sentence, then short ones, and an empty one, in fit."""

    def fit(self, X, y):
        import warnings

        warnings.warn("a" + " very long sentence" * 60, UserWarning, stacklevel=1)
        for word in ("first", "second", "third"):
            warnings.warn(f"short {word}", RuntimeWarning, stacklevel=1)
        warnings.warn("", FutureWarning, stacklevel=1)
        return super().fit(X, y)
