"""Plugins from a file, from a module, and the contract checks, through the real CLI."""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import treesvsnets
from tests.helpers.cli import cli
from treesvsnets.errors import ConfigError
from treesvsnets.estimators import get, unregister
from treesvsnets.estimators.plugins import load_plugin

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "local_plugin.py"
PLUGINS = Path(__file__).parent / "plugins"


@pytest.fixture
def forget():
    """Unregister what a test's plugins registered."""
    names = []
    yield names
    for name in names:
        unregister(name)


def test_a_plugin_file_registers_and_is_benchmarked_beside_the_builtins(tmp_path, forget):
    forget += load_plugin(str(EXAMPLE))
    assert sorted(forget) == ["extra_trees", "svm"]
    assert get("svm", "classification").source == "plugin local_plugin.py"
    assert get("extra_trees", "classification").seed_param == "random_state"
    assert get("extra_trees", "classification").threads_param == "n_jobs"
    assert get("svm", "classification").threads_param is None
    result = treesvsnets.run(
        datasets=["wine"],
        estimators=["extra_trees", "svm", "rf"],
        folds=3,
        out=tmp_path,
        progress=False,
    )
    assert set(result.rows["status"]) == {"ok"}
    accuracy = result.rows.groupby("estimator")["accuracy"].mean()
    assert accuracy["svm"] > 0.9 and accuracy["extra_trees"] > 0.9
    assert result.rows["split_hash"].nunique() == 1


def test_run_with_plugin_flag_in_a_subprocess(tmp_path):
    done = cli(
        "run",
        "--plugin",
        EXAMPLE,
        "-e",
        "svm",
        "-e",
        "logreg",
        "-d",
        "iris",
        "--folds",
        "3",
        "--out",
        tmp_path,
        "-q",
    )
    assert done.returncode == 0, done.stderr
    (run_dir,) = tmp_path.iterdir()
    rows = pd.read_csv(run_dir / "results.csv")
    assert set(rows.estimator) == {"svm", "logreg", "dummy"} and set(rows.status) == {"ok"}
    manifest = json.loads((run_dir / "manifest.json").read_text())
    sources = {e["name"]: e["source"] for e in manifest["estimators"]}
    assert sources == {"svm": "plugin local_plugin.py", "logreg": "builtin", "dummy": "builtin"}


NOISY = """
import os
from sklearn.linear_model import LogisticRegression
from treesvsnets.estimators import register


@register("noisy", family="linear")
class Noisy(LogisticRegression):
    def fit(self, X, y):
        print("NOISE from fit")
        os.write(1, b"NATIVE NOISE\\n")  # as a library's C++ log writes
        return super().fit(X, y)
"""


@pytest.mark.parametrize("where", [[], ["--in-process"]], ids=["worker", "in-process"])
def test_what_an_estimator_prints_goes_to_stderr_not_into_the_board(tmp_path, where):
    """`treesvsnets run > board.txt` held a plugin's printed lines above the leaderboard."""
    plugin = tmp_path / "noisy.py"
    plugin.write_text(NOISY)
    out = tmp_path / "runs"
    argv = ["run", "--plugin", plugin, "-d", "iris", "-e", "noisy", "--folds", "2",
            "--out", out, *where]  # fmt: skip
    # a new interpreter: its worker is the one `spawn` starts, not the tests' fork server's
    done = subprocess.run([sys.executable, "-m", "treesvsnets", *map(str, argv)],
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "NOISE from fit" not in done.stdout and "noisy" in done.stdout  # the board
    assert done.stderr.count("NOISE from fit") == 2  # one per fold, where progress goes
    if not where:  # a worker's native writes too (in this process they are its own)
        assert "NATIVE NOISE" not in done.stdout
        assert done.stderr.count("NATIVE NOISE") == 2


def test_a_worker_imports_only_the_plugin_files_its_runs_estimators_come_from(forget):
    """A plugin loaded by hand (a notebook) goes to the workers of a run that uses its
    estimators, not to every later run's (a torch plugin would cost each worker torch)."""
    from treesvsnets.bench.plan.jobs import WorkerSetup

    forget += load_plugin(str(EXAMPLE))
    uses = WorkerSetup.create([get("svm", "classification"), get("rf", "classification")], [])
    assert str(EXAMPLE.resolve()) in uses.plugins
    builtins_only = WorkerSetup.create([get("rf", "classification")], [])
    assert builtins_only.plugins == ()


def test_a_module_plugin_by_dotted_name(forget):
    forget += load_plugin("tests.plugins.tiny_net")
    assert forget == ["tiny_mlp"]
    assert get("tiny_mlp", "classification").source == "plugin tests.plugins.tiny_net"


def test_a_torch_module_plugin_gets_the_training_loop(tmp_path, forget):
    forget += load_plugin(str(PLUGINS / "tiny_net.py"))
    result = treesvsnets.run(
        datasets=["digits"],
        estimators=["tiny_mlp"],
        folds=3,
        out=tmp_path,
        progress=False,
        baseline=False,
    )
    rows = result.rows
    assert set(rows["status"]) == {"ok"} and rows["accuracy"].mean() > 0.8  # chance: 0.1
    assert (rows["n_val"] > 0).all()  # early stopping on the harness's validation slice
    assert all(len(json.loads(h)) <= 15 for h in rows["history"])


@pytest.mark.parametrize(
    ("plugin", "message"),
    [
        (  # a config file's relative paths are the working folder's, as the command's
            "missing.py",
            f"plugin 'missing.py' does not exist (no such file) in the working folder "
            f"{os.getcwd()!r}.",
        ),
        (
            "no_such_module_xyz",
            "plugin 'no_such_module_xyz' is neither a file nor an importable module.",
        ),
        (
            str(PLUGINS / "import_error.py"),
            f"plugin '{PLUGINS / 'import_error.py'}' failed to import: RuntimeError: this plugin "
            "cannot be imported.",
        ),
        (
            str(PLUGINS / "not_callable.py"),
            f"plugin '{PLUGINS / 'not_callable.py'}': estimator 'not_callable' is registered "
            "with 42, which cannot build it: give a function or an estimator class.",
        ),
        (str(PLUGINS), f"plugin '{PLUGINS}' is a folder, not a Python file."),
        (
            str(PLUGINS / "takes_rf.py"),
            f"plugin '{PLUGINS / 'takes_rf.py'}': estimator name 'rf' is already registered "
            "(from builtin); pick another name or pass override=True.",
        ),
    ],
)
def test_a_bad_plugin_is_named_and_the_builtins_keep_working(plugin, message):
    with pytest.raises(ConfigError) as caught:
        load_plugin(plugin)
    assert str(caught.value) == message
    assert get("rf", "classification").source == "builtin"


@pytest.mark.parametrize(
    ("registration", "sentence"),
    [
        ('register(123, family="other")(E)', "registered under the name 123; a name is a"),
        ('register("ensemble", family="other")(E)', "under the name 'ensemble'; a name is"),
        ('register("all", family="other")(E)', "other than ensemble, linear, deep, baseline"),
        ('register(" ", family="other")(E)', "under the name ' '; a name is a non-empty"),
        (  # --tune --ensemble wrote its trials outside the run folder
            'register("../../x", family="other")(E)',
            "under the name '../../x'; a name is part of the file names a run writes in its "
            "folder (trials/<dataset>/<name>/...), so it cannot hold '/'",
        ),
        (
            'register("p", family="other", preprocessing="wat")(E)',
            "estimator 'p' has preprocessing 'wat'; choose from: none, standard,",
        ),
        (
            'register("p", family="other", relative_cost="cheap")(E)',
            "estimator 'p' has relative_cost 'cheap'; give a number of 0 or more.",
        ),
        (
            'register("p", family="other", seed_param=3)(E)',
            "estimator 'p' has seed_param 3; give a parameter name or None.",
        ),
        ("import sys\nsys.exit(0)", "failed to import: it called sys.exit(0)."),
        # the command ended at once, exit 0, without a word or a run folder
        ("import os\nos._exit(0)", "failed to import: it called os._exit(0)."),
        (  # a notebook's cell copied into the file: each worker started a run, without end
            'register("p", family="other")(E)\n'
            'import treesvsnets\ntreesvsnets.run(datasets=["iris"])',
            "a run was started while plugin bad.py was being imported: a plugin file only "
            "registers estimators; put the run under if __name__ == '__main__':.",
        ),
        (  # every cell failed on it, one by one
            'register("p", family="other", default_params={"c": 2.0})(E)',
            "estimator 'p' has default_params 'c', which LogisticRegression does not take; its "
            "parameters are: penalty, C, l1_ratio, dual, tol,",
        ),
        (
            'register("p", family="other", seed_param="seed")(E)',
            "estimator 'p' has seed_param 'seed', which LogisticRegression does not take",
        ),
        (
            'register("p", family="other", threads_param="n_job")(E)',
            "does not take; its parameters are: penalty, C, l1_ratio, dual, tol, fit_intercept,",
        ),
        (  # every cell failed: "TypeError: ... got an unexpected keyword argument 'device'"
            'register("p", family="other", capabilities={"uses_gpu"})(E)',
            "estimator 'p' declares uses_gpu (a cell passes it device=), which "
            "LogisticRegression does not take or have; drop the capability or give it that.",
        ),
        (  # every cell failed, and the run exited 1 where it should have been refused
            'register("p", family="other", capabilities={"fold_parallel", "early_stopping"})(E)',
            "estimator 'p' declares early_stopping (a cell calls fit(X, y, validation_data=...)); "
            "fold_parallel (a fit_together(estimators, data) classmethod), which",
        ),
        (  # every trial failed on it, and only under --tune
            'register("p", family="other", space={"CC": {"float": [0.1, 10.0]}})(E)',
            "estimator 'p' has space 'CC', which LogisticRegression does not take",
        ),
    ],
)
def test_a_registration_a_run_could_not_use_is_refused_as_the_plugin_loads(
    tmp_path, registration, sentence
):
    """Refused when the plugin is imported, in one sentence, exit 2 and no run folder: a name
    -e reads as a family (the family's estimators were silently replaced), a preprocessing
    or a cost the run would trip on (a traceback, a run folder left), sys.exit() at import
    (which was a silent exit 0)."""
    plugin = tmp_path / "bad.py"
    plugin.write_text(
        "from sklearn.linear_model import LogisticRegression as E\n"
        f"from treesvsnets.estimators import register\n{registration}\n"
    )
    done = cli("run", "--plugin", plugin, "-d", "iris", "-e", "logreg", "--out", tmp_path / "r")
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and sentence in done.stderr
    assert not (tmp_path / "r").exists()


def test_a_param_checked_on_an_estimator_that_cannot_be_built_is_one_sentence(tmp_path):
    plugin = tmp_path / "raising.py"
    plugin.write_text(
        "from sklearn.linear_model import LogisticRegression\n"
        "from treesvsnets.estimators import register\n"
        "@register('raising', family='other', requires='no_such_module_zz')\n"
        "class Raising(LogisticRegression):\n"
        "    def __init__(self, C=1.0):\n"
        "        raise RuntimeError('boom')\n"
    )
    runs = tmp_path / "r"
    done = cli("run", "--plugin", plugin, "-d", "iris", "-e", "raising", "--out", runs)
    assert done.returncode == 2 and "pip install no_such_module_zz (or the package" in done.stderr
    plugin.write_text(plugin.read_text().replace(", requires='no_such_module_zz'", ""))
    done = cli(
        "run", "--plugin", plugin, "-d", "iris", "-e", "raising", "--param", "foo=1", "--out", runs
    )
    assert done.returncode == 2 and not runs.exists()
    assert done.stderr.strip() == (
        "treesvsnets: error: estimator 'raising' cannot be built to check the parameters "
        "'foo' (RuntimeError: boom)."
    )


def test_bad_plugin_on_the_cli_is_one_sentence_and_exit_2(tmp_path):
    done = cli("run", "--plugin", PLUGINS / "import_error.py", "--out", tmp_path / "runs")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"treesvsnets: error: plugin '{PLUGINS / 'import_error.py'}' failed to import: "
        "RuntimeError: this plugin cannot be imported."
    )
    assert not (tmp_path / "runs").exists()


def test_check_passes_a_good_estimator():
    done = cli("check", "extra_trees", "--plugin", EXAMPLE)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "10 passed, 0 failed" in done.stdout
    assert done.stdout.count("  PASS  ") == 10


@pytest.mark.parametrize(
    ("broken", "lines", "summary"),
    [
        (
            "ShortPredict",
            ["  FAIL  predict gives one known label per row: predict returned shape (149,) for "
             "150 rows", "  PASS  fit returns self"],
            "7 passed, 2 failed, 1 skipped",  # it has no predict_proba
        ),
        (
            "WritesIntoX",  # the harness would read zeros where the test rows were
            ["  FAIL  fit and predict leave their input as given: predict wrote into the X it "
             "was given (the harness reads the same rows again: predict_proba after predict, "
             "each tuning trial): work on a copy"],
            "8 passed, 1 failed, 1 skipped",
        ),
        (
            "NanProba",  # NaN is said to be NaN, not negative
            ["  FAIL  predict_proba rows are probabilities that sum to 1: predict_proba returned "
             "NaN or infinite values"],
            None,
        ),
    ],
)  # fmt: skip
def test_check_catches_a_broken_predict_and_says_what_is_wrong(broken, lines, summary):
    done = cli("check", f"{PLUGINS / 'broken_predict.py'}:{broken}")
    assert done.returncode == 1
    assert all(line in done.stdout for line in lines), done.stdout
    assert summary is None or done.stdout.rstrip().endswith(summary)


@pytest.mark.parametrize(
    ("estimator", "failure"),
    [
        ("SegfaultingEstimator", "the process running it was killed by SIGSEGV (a crash in "
                                 "native code)"),
        ("ExitingEstimator", "the process running it exited with code 1 (the estimator may "
                             "call os._exit or sys.exit)"),
    ],
)  # fmt: skip
def test_check_of_an_estimator_that_kills_its_process_fails_each_check_saying_how(
    estimator, failure
):
    """Each check runs in a process of its own: a crash fails it, and every other check
    still runs and is reported (the command itself ended with the crash's exit code)."""
    done = cli("check", f"tests.helpers.estimators:{estimator}")
    assert done.returncode == 1, done.stdout + done.stderr
    fails = [line for line in done.stdout.splitlines() if line.startswith("  FAIL  ")]
    assert len(fails) == 10 and all(line.endswith(failure) for line in fails), done.stdout
    assert done.stdout.rstrip().endswith("0 passed, 10 failed")  # each check fits it first


#: a plugin whose estimators end their fit as a Ctrl-C and as a program's exit would
_INTERRUPTS = (
    "import sys\n"
    "from sklearn.linear_model import LogisticRegression\n"
    "from treesvsnets.estimators import register\n"
    "@register('interrupts', family='other')\n"
    "class Interrupts(LogisticRegression):\n"
    "    def fit(self, X, y):\n"
    "        raise KeyboardInterrupt\n"
    "@register('exits', family='other')\n"
    "class Exits(LogisticRegression):\n"
    "    def fit(self, X, y):\n"
    "        sys.exit(3)\n"
    "class Stop(BaseException):\n"  # as asyncio's CancelledError: no Exception
    "    pass\n"
    "class Unprintable(Exception):\n"
    "    def __str__(self):\n"
    "        raise RuntimeError('no message')\n"
    "@register('stops', family='other')\n"
    "class Stops(LogisticRegression):\n"
    "    def fit(self, X, y):\n"
    "        raise Stop('stopped')\n"
    "@register('unprintable', family='other')\n"
    "class Unprintables(LogisticRegression):\n"
    "    def fit(self, X, y):\n"
    "        raise Unprintable()\n"
    "@register('leaves_a_process', family='other')\n"
    "class LeavesAProcess(LogisticRegression):\n"
    "    def fit(self, X, y):\n"
    "        import multiprocessing, time\n"
    "        multiprocessing.Process(target=time.sleep, args=(60,)).start()\n"
    "        return super().fit(X, y)\n"
    "@register('leaves_a_session', family='other')\n"
    "class LeavesASession(LogisticRegression):\n"
    "    def fit(self, X, y):\n"
    "        import subprocess\n"
    "        subprocess.Popen(['sleep', '311.25'], start_new_session=True)\n"
    "        return super().fit(X, y)\n"
)


@pytest.mark.parametrize(
    ("estimator", "failure"),
    [
        ("interrupts", "raised KeyboardInterrupt"),
        ("exits", "called sys.exit(3)"),
        ("stops", "raised Stop: stopped"),
    ],
)
def test_check_says_an_estimator_interrupted_or_exited_in_fit(tmp_path, estimator, failure):
    """A KeyboardInterrupt or sys.exit raised in fit fails each check saying which (they
    read 'the process running it exited with code 1', whatever the code)."""
    plugin = tmp_path / "interrupts.py"
    plugin.write_text(_INTERRUPTS)
    done = cli("check", estimator, "--plugin", plugin)
    assert done.returncode == 1, done.stdout + done.stderr
    fails = [line for line in done.stdout.splitlines() if line.startswith("  FAIL  ")]
    assert len(fails) == 10 and all(line.endswith(f": {failure}") for line in fails), done.stdout


def test_check_of_a_fit_that_leaves_a_process_running_ends_and_passes(tmp_path):
    """A process fit started and left (holding the check's pipe) kept check waiting past its
    --timeout; it is killed with the check's process group."""
    plugin = tmp_path / "interrupts.py"
    plugin.write_text(_INTERRUPTS)
    done = cli("check", "leaves_a_process", "--plugin", plugin, "--timeout", "30", timeout=50)
    assert done.returncode == 0 and done.stdout.rstrip().endswith("10 passed, 0 failed")


@pytest.mark.skipif(sys.platform != "linux", reason="a check's child finds its own in /proc")
def test_check_of_a_fit_that_starts_a_session_of_its_own_leaves_nothing_running(tmp_path):
    """subprocess.Popen(..., start_new_session=True) in fit: the kill of the check's process
    group missed it, and a 'sleep' of each fit ran on after check ended."""
    plugin = tmp_path / "interrupts.py"
    plugin.write_text(_INTERRUPTS)
    done = cli("check", "leaves_a_session", "--plugin", plugin, "--timeout", "30", timeout=50)
    assert done.returncode == 0 and done.stdout.rstrip().endswith("10 passed, 0 failed")
    left = subprocess.run(["pgrep", "-f", "sleep 311.25"], capture_output=True)
    assert left.stdout.strip() == b"", left.stdout


def test_check_stops_a_fit_that_hangs_and_does_not_run_the_rest():
    done = cli("check", "tests.helpers.estimators:HangingEstimator", "--timeout", "2")
    assert done.returncode == 1, done.stdout + done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith("  FAIL  ")]
    assert lines[0] == "  FAIL  fit returns self: did not finish within 2 s (--timeout); stopped"
    assert all(line.endswith("not run: 'fit returns self' did not finish") for line in lines[1:])
    assert len(lines) == 10


def test_a_check_that_does_not_apply_is_skipped_with_the_reason_and_counted_apart():
    done = cli("check", "sklearn.svm:SVC")  # no predict_proba without probability=True
    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        "  SKIP  predict_proba rows are probabilities that sum to 1: the fitted SVC has no "
        "predict_proba, so its rows get no log loss" in done.stdout
    )
    assert "PASS  predict_proba" not in done.stdout
    assert done.stdout.rstrip().endswith("9 passed, 0 failed, 1 skipped")


@pytest.mark.slow  # about 90 s: the contract's fits of the cnn on digits
def test_check_runs_on_builtins_too():
    done = cli("check", "cnn")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "on digits" in done.stdout and "10 passed, 0 failed" in done.stdout


def pip_install_to(target, package):
    """A real pip install of a local folder, into a folder of its own (not this venv).

    pip builds in the source folder, so it installs from a copy beside ``target``
    and the checkout stays untouched.
    """
    source = shutil.copytree(package, target.parent / f"{package.name}-source")
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            target,
            source,
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr
    return {**os.environ, "PYTHONPATH": str(target)}


def test_an_installed_package_that_takes_a_builtins_name_warns_and_the_builtins_run(tmp_path):
    """A package registering 'rf' without override: the command warned, as documented, but a
    worker imports the built-in modules first, which loaded the package before 'rf' was
    registered there: it took the name, the built-in's registration was refused, and every
    cell of every estimator crashed ('the worker process could not start')."""
    site = tmp_path / "site"
    (site / "takes_rf-0.1.dist-info").mkdir(parents=True)
    (site / "takes_rf-0.1.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: takes-rf\nVersion: 0.1\n"
    )
    (site / "takes_rf-0.1.dist-info" / "entry_points.txt").write_text(
        "[treesvsnets.estimators]\ntakes_rf = takes_rf_models\n"
    )
    (site / "takes_rf_models.py").write_text(
        "from sklearn.linear_model import LogisticRegression\n"
        "from treesvsnets.estimators import register\n"
        "register('rf', family='ensemble')(LogisticRegression)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    runs = tmp_path / "runs"
    done = cli("run", "-d", "iris", "-e", "rf", "-e", "logreg", "--folds", "2", "-q",
               "--out", runs, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "treesvsnets plugin package 'takes-rf'" in done.stderr
    assert "estimator name 'rf' is already registered (from builtin)" in done.stderr
    (results,) = runs.glob("*/results.csv")
    rows = pd.read_csv(results)
    assert set(rows["status"]) == {"ok"} and set(rows["estimator"]) == {"rf", "logreg", "dummy"}
    assert set(rows.loc[rows["estimator"] == "rf", "family"]) == {"ensemble"}
    assert rows.loc[rows["estimator"] == "rf", "params"].str.contains("n_estimators").all()


def test_a_space_with_names_of_its_own_turned_into_parameters_is_accepted(tmp_path):
    """docs/plugins.md: a space may use names of its own, turned into parameters by
    space_params=; for a class without **kwargs its names were refused as parameters it
    does not take ('LogisticRegression does not take strength')."""
    plugin = tmp_path / "strength.py"
    plugin.write_text(
        "from sklearn.linear_model import LogisticRegression\n"
        "from treesvsnets.estimators import register\n\n"
        "def to_params(sampled):\n"
        "    sampled = dict(sampled)\n"
        "    sampled['C'] = 10 ** sampled.pop('strength')\n"
        "    return sampled\n\n"
        "register('lr_strength', family='linear', preprocessing='standard',\n"
        "         space={'strength': {'float': [-2, 2]}}, space_params=to_params)(\n"
        "    LogisticRegression)\n"
    )
    runs = tmp_path / "runs"
    done = cli("run", "--plugin", plugin, "-d", "iris", "-e", "lr_strength", "--folds", "2",
               "--tune", "3", "--no-baseline", "-q", "--out", runs)  # fmt: skip
    assert done.returncode == 0, done.stderr
    (store,) = runs.glob("*/results.sqlite")
    with sqlite3.connect(store) as connection:
        trials = connection.execute("select status, params from trials").fetchall()
    assert {status for status, _ in trials} == {"ok"} and len(trials) == 6
    assert any("strength" in params for _, params in trials)


def test_check_fails_a_false_argmax_predict_claim_a_run_would_read_silently(tmp_path):
    """A class whose predict is not its largest probability's class, registered with
    argmax_predict: a run reads its labels from predict_proba alone (ok rows, the accuracy of
    another model than the one declared), and check passed it 10/10."""
    plugin = tmp_path / "claims.py"
    plugin.write_text(
        "import numpy as np\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "from treesvsnets.estimators import register\n\n"
        "class Contrary(LogisticRegression):\n"
        "    def predict(self, X):\n"
        "        return self.classes_[np.argmin(self.predict_proba(X), axis=1)]\n\n"
        "register('contrary', family='other',\n"
        "         capabilities={'predict_proba', 'argmax_predict'})(Contrary)\n"
        "register('honest', family='other', capabilities={'predict_proba', 'argmax_predict'})(\n"
        "    LogisticRegression)\n"
    )
    done = cli("check", "--plugin", plugin, "contrary")
    assert done.returncode == 1, done.stdout + done.stderr
    assert (
        "FAIL  predict_proba rows are probabilities that sum to 1: it claims argmax_predict "
        "(predict is the largest probability's class, so a run reads its labels from "
        "predict_proba alone), but predict differs on 100% of the rows; drop the claim"
    ) in done.stdout
    honest = cli("check", "--plugin", plugin, "honest")
    assert honest.returncode == 0, honest.stdout + honest.stderr


@pytest.mark.parametrize("name", ["xgboost", "dummy"])
def test_builtins_that_failed_their_own_check_pass_it(name):
    """check xgboost failed 'works with string labels' (XGBClassifier takes only 0..k-1), and
    check dummy 'predict gives one finite number per row' (a baseline's one value is by
    design); both tasks now pass every check."""
    done = cli("check", name)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "FAIL" not in done.stdout
    assert "10 passed, 0 failed" in done.stdout and "7 passed, 0 failed" in done.stdout


def test_a_broken_installed_package_warns_and_the_builtins_keep_working(tmp_path):
    env = pip_install_to(tmp_path / "site", PLUGINS / "broken_package")
    listed = cli("list", "estimators", env=env)
    assert listed.returncode == 0
    assert (
        "treesvsnets plugin package 'broken-treesvsnets-plugin' (entry point broken = "
        "broken_plugin_pkg.models) failed to load: ImportError: a dependency of this plugin is "
        "missing; its estimators are not available." in listed.stderr
    )
    assert listed.stdout.startswith("Tree ensembles:\n  rf ")


@pytest.mark.slow  # a long scenario: .ci/run's slow pass
def test_an_installed_package_is_found_through_its_entry_point(tmp_path):
    env = pip_install_to(tmp_path / "site", ROOT / "examples" / "plugin_package")

    listed = cli("list", "estimators", env=env)
    assert listed.returncode == 0, listed.stderr
    assert "source: package treesvsnets-example-plugins" in listed.stdout
    groups: dict[str, list[str]] = {}
    for line in listed.stdout.splitlines():
        if not line.startswith(" "):
            group = groups.setdefault(line, [])
        elif line[2] != " ":
            group.append(line.split()[0])
    assert groups["Nets for tables:"][-1] == "wide_mlp"  # after the built-ins of its group
    assert groups["Other:"] == ["knn"]

    done = cli(
        "run",
        "-d",
        "digits",
        "-e",
        "knn",
        "-e",
        "wide_mlp",
        "--folds",
        "3",
        "--subsample",
        "600",
        "--out",
        tmp_path / "runs",
        "-q",
        env=env,
    )
    assert done.returncode == 0, done.stderr
    (run_dir,) = (tmp_path / "runs").iterdir()
    rows = pd.read_csv(run_dir / "results.csv")
    scores = rows.groupby("estimator").accuracy.mean()
    assert set(rows.status) == {"ok"} and (scores.drop("dummy") > 0.85).all()
    assert (rows.loc[rows.estimator == "wide_mlp", "n_val"] > 0).all()


def test_the_console_script_finds_a_module_in_the_current_folder(tmp_path):
    (tmp_path / "my_models.py").write_text(
        (PLUGINS / "broken_predict.py").read_text().replace("len(X) - 1", "len(X)")
    )
    script = Path(sys.executable).parent / "treesvsnets"
    done = subprocess.run(
        [script, "check", "my_models:ShortPredict"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "checking my_models:ShortPredict for classification on iris" in done.stdout


DECLARING = PLUGINS / "declares_capabilities.py"


def test_check_uses_the_capabilities_a_class_declares():
    done = cli("check", f"{DECLARING}:ImagesOnly")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "on digits" in done.stdout  # its declaration says it needs images
    assert "capabilities: needs_images, predict_proba" in done.stdout
    assert done.stdout.rstrip().endswith("10 passed, 0 failed")


def test_check_shows_what_an_undeclaring_class_can_do():
    done = cli("check", "sklearn.ensemble:RandomForestClassifier")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "on iris" in done.stdout and "capabilities: multithreaded, predict_proba" in done.stdout


def test_an_unknown_declared_capability_is_one_sentence_and_exit_2():
    done = cli("check", f"{DECLARING}:DeclaresNonsense")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "treesvsnets: error: DeclaresNonsense declares unknown capabilities ['flies']; choose "
        "from: predict_proba, argmax_predict, multithreaded, early_stopping, needs_images, "
        "needs_sequences, native_categorical, uses_gpu, fold_parallel."
    )


@pytest.mark.parametrize(
    ("name", "sentence"),
    [
        (
            "DeclarationRaises",
            "DeclarationRaises.__treesvsnets_capabilities__() failed (RuntimeError: no tags "
            "today).",
        ),
        (
            "DeclaresNothingUsable",
            "DeclaresNothingUsable must declare its capabilities as a set of names, got None.",
        ),
    ],
)
def test_a_faulty_declaration_is_one_sentence_and_exit_2(name, sentence):
    done = cli("check", f"{DECLARING}:{name}")
    assert done.returncode == 2
    assert done.stderr.strip() == f"treesvsnets: error: {sentence}"


def test_registering_a_declaring_class_takes_its_capabilities():
    import importlib.util

    from treesvsnets.estimators import register

    spec = importlib.util.spec_from_file_location("declares_capabilities", DECLARING)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        register("images_only", family="other")(module.ImagesOnly)
        registered = get("images_only", "classification")
        assert registered.capabilities == {"predict_proba", "needs_images"}
        with pytest.raises(ConfigError, match="'images_only' needs images, but dataset 'iris'"):
            treesvsnets.run(datasets=["iris"], estimators=["images_only"], progress=False)
    finally:
        unregister("images_only")


def test_the_checks_are_a_library_call_a_notebook_can_make():
    import treesvsnets

    reports = list(treesvsnets.check_estimator("rf"))
    assert [r.task for r in reports] == ["classification", "regression"]
    assert all(r.failed == 0 and r.results for r in reports)
    assert reports[0].dataset == "iris (150 rows, 3 classes)"
    assert reports[0].lines()[-1].startswith(f"{len(reports[0].results)} passed, 0 failed")
    (broken,) = treesvsnets.check_estimator(f"{PLUGINS / 'broken_predict.py'}:ShortPredict")
    assert broken.failed > 0
    assert any(line.startswith("  FAIL") for line in broken.lines())


def test_the_listings_are_a_library_call_too():
    from treesvsnets.listings import listing

    datasets = listing("datasets")
    assert any(line.split()[:4] == ["iris", "3", "classes", "150"] for line in datasets)
    estimators = listing("estimators")
    assert any(line.split()[:2] == ["rf", "ensemble"] for line in estimators)
    assert any(line.startswith("rf") for line in listing("spaces"))


def _my_logreg(path, c):
    path.write_text(
        "from sklearn.linear_model import LogisticRegression\n"
        "from treesvsnets.estimators import register\n\n\n"
        '@register("my_logreg", family="linear")\n'
        "class MyLogisticRegression(LogisticRegression):\n"
        f"    def __init__(self, C={c}, max_iter=500, random_state=None, n_jobs=None):\n"
        "        super().__init__(C=C, max_iter=max_iter, random_state=random_state,\n"
        "                         n_jobs=n_jobs)\n"
    )
    return str(path)


def test_a_notebook_runs_twice_with_the_same_plugin_file_and_picks_up_an_edit(tmp_path, forget):
    """run(plugins=[file]) again in the same process: the file unchanged is not imported
    again (its estimator is not registered twice); edited, its estimator is registered
    anew, here and in the worker the first run left."""
    plugin = _my_logreg(tmp_path / "mine.py", 1.0)
    forget.append("my_logreg")
    settings = {"datasets": ["wine"], "estimators": ["my_logreg"], "folds": 2, "threads": 1,
                "plugins": [plugin], "progress": False}  # fmt: skip
    first = treesvsnets.run(**settings, out=tmp_path / "a").rows
    again = treesvsnets.run(**settings, out=tmp_path / "b").rows
    assert load_plugin(plugin) == ["my_logreg"]  # by hand too: the names, nothing twice
    _my_logreg(tmp_path / "mine.py", 1e-6)
    edited = treesvsnets.run(**settings, out=tmp_path / "c").rows
    assert {*first["status"], *again["status"], *edited["status"]} == {"ok"}
    assert list(first["accuracy"]) == list(again["accuracy"])
    # the edited model (C=1e-6) ran, in the worker the earlier runs left too
    assert list(edited["accuracy"]) != list(first["accuracy"])


def test_an_estimator_raising_keyboardinterrupt_in_a_worker_is_its_error_not_a_ctrl_c(tmp_path):
    """Ctrl-C is ignored in a worker, so a KeyboardInterrupt there is the estimator's own:
    its rows say so (they said 'killed by SIGINT', and the worker's traceback filled the
    terminal), and the other estimators' rows are kept. So is sys.exit in fit (it ended the
    worker: 'crashed', and a new worker started for each cell)."""
    plugin = tmp_path / "interrupts.py"
    plugin.write_text(_INTERRUPTS)
    runs, common = tmp_path / "r", ("--plugin", plugin, "-d", "iris", "--folds", "2", "-q")
    names = ("interrupts", "exits", "stops", "unprintable")
    done = cli(
        "run", *common, *(f for n in names for f in ("-e", n)), "-e", "logreg", "--out", runs
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    (results,) = runs.glob("*/results.csv")
    rows = pd.read_csv(results)
    for name, error in [
        ("interrupts", "KeyboardInterrupt"),
        ("exits", "SystemExit: the estimator called sys.exit(3)"),
        ("stops", "Stop: stopped"),  # a BaseException of its own ended the worker too
        ("unprintable", "Unprintable: (its message could not be read)"),
    ]:
        failed = rows[rows["estimator"] == name]
        assert set(failed["status"]) == {"error"} and set(failed["error"]) == {error}
    assert set(rows.loc[~rows["estimator"].isin(names), "status"]) == {"ok"}
    # a tuning trial's the same: the trial's error, and the search goes on
    plugin.write_text(
        plugin.read_text()
        .replace("family='other'", "family='other', space={'C': {'float': [0.01, 10]}}")
        .replace(
            "        raise KeyboardInterrupt\n",
            "        if self.C != 1.0:\n"
            "            raise KeyboardInterrupt\n        return super().fit(X, y)\n",
        )
    )
    tuned = tmp_path / "tuned"
    done = cli("run", *common, "-e", "interrupts", "--tune", "3", "--out", tuned)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    (store,) = tuned.glob("*/results.sqlite")
    with sqlite3.connect(store) as connection:
        trials = dict(connection.execute("select status, count(*) from trials group by status"))
    assert trials == {"ok": 2, "error": 4}  # trial 0, the defaults, on each of 2 folds


def test_a_message_utf8_cannot_encode_is_stored_escaped_and_the_run_goes_on(tmp_path):
    """A warning or an error quoting a file name read with surrogate escapes ('caf\\udce9.csv'):
    the store's write raised UnicodeEncodeError and the run stopped with 6 cells not run."""
    plugin = tmp_path / "surrogates.py"
    plugin.write_text(
        "import warnings\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "from treesvsnets.estimators import register\n"
        "NAME = b'caf\\xe9.csv'.decode('utf-8', 'surrogateescape')\n"
        "@register('warns', family='other')\n"
        "class Warns(LogisticRegression):\n"
        "    def fit(self, X, y):\n"
        "        warnings.warn(f'skipping cache file {NAME}')\n"
        "        return super().fit(X, y)\n"
        "@register('raises', family='other')\n"
        "class Raises(LogisticRegression):\n"
        "    def fit(self, X, y):\n"
        "        raise OSError(f'cannot open {NAME}')\n"
    )
    runs = tmp_path / "runs"
    done = cli("run", "--plugin", plugin, "-d", "iris", "--folds", "2", "-q",
               "-e", "warns", "-e", "raises", "-e", "logreg", "--out", runs)  # fmt: skip
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    (results,) = runs.glob("*/results.csv")
    rows = pd.read_csv(results).set_index("estimator")
    assert set(rows.loc["warns", "status"]) == {"ok"} and set(rows.loc["logreg", "status"]) == {
        "ok"
    }
    assert set(rows.loc["raises", "error"]) == {"OSError: cannot open caf\\udce9.csv"}
    assert "caf\\udce9.csv" in rows.loc["warns", "warnings"].iloc[0]
    assert (results.parent / "report.html").is_file()


_HUGE = """
import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from treesvsnets.estimators import register

class Constant(RegressorMixin, BaseEstimator):
    VALUE = 0.0
    def __init__(self, random_state=None):
        self.random_state = random_state
    def fit(self, X, y):
        self.n_features_in_ = np.asarray(X).shape[1]
        return self
    def predict(self, X):
        return np.full(len(X), self.VALUE)

register('overflows', family='other', task='regression')(type('O', (Constant,), {'VALUE': 1e300}))
register('far_off', family='other', task='regression')(type('F', (Constant,), {'VALUE': 1e100}))
"""


def test_predictions_too_large_to_score_are_the_cells_error_and_huge_scores_read_short(tmp_path):
    """A regressor predicting 1e300 (finite, but its squared errors overflow): its rows were
    'ok' with RMSE inf and R² -inf, and the report's statistics filled stderr with NumPy's
    RuntimeWarnings; one predicting 1e100 showed a 100-digit RMSE in the leaderboard and the
    baseline's warning."""
    plugin = tmp_path / "huge.py"
    plugin.write_text(_HUGE)
    runs = tmp_path / "runs"
    done = cli("run", "--plugin", plugin, "-d", "diabetes", "--folds", "2", "-q",
               "-e", "overflows", "-e", "far_off", "-e", "ridge", "--out", runs)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "RuntimeWarning" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    (results,) = runs.glob("*/results.csv")
    rows = pd.read_csv(results).set_index("estimator")
    assert set(rows.loc["overflows", "status"]) == {"error"}
    assert set(rows.loc["overflows", "error"]) == {
        "ValueError: the predictions are too large to score (the largest is 1e+300): their "
        "squared errors overflow a 64-bit float."
    }
    assert set(rows.loc["far_off", "status"]) == set(rows.loc["ridge", "status"]) == {"ok"}
    assert rows.loc["far_off", "rmse"].min() > 9e99
    far_off = next(line for line in done.stdout.splitlines() if " far_off " in line)
    assert "1.000e+100" in far_off and "0000000000" not in far_off, far_off
    assert "0000000000" not in done.stderr, done.stderr
