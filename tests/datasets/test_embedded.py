import numpy as np
import pytest

from treesvsnets.datasets import all_infos, info, load
from treesvsnets.datasets.base import Dataset, encode_labels
from treesvsnets.datasets.preprocessing import make_preprocessor, resolve_preprocessing
from treesvsnets.errors import UnknownNameError


@pytest.mark.parametrize("name", ["digits", "iris", "wine", "breast_cancer"])
def test_loaded_data_matches_its_registered_metadata(name):
    meta = info(name)
    dataset = load(name)
    assert (dataset.n_samples, dataset.n_features, dataset.n_classes) == (
        meta.n_samples,
        meta.n_features,
        meta.n_classes,
    )
    assert dataset.X.dtype == np.float64 and dataset.y.dtype == np.int64
    assert set(np.unique(dataset.y)) == set(range(dataset.n_classes))
    assert dataset.image_shape == meta.image_shape


def test_digits_keeps_its_8x8_image_shape():
    digits = load("digits")
    assert digits.image_shape == (1, 8, 8)
    assert int(np.prod(digits.image_shape)) == digits.n_features
    assert digits.class_names == tuple(str(d) for d in range(10))


def test_every_registered_dataset_is_listed():
    assert {i.name for i in all_infos()} >= {"digits", "iris", "wine", "breast_cancer"}


@pytest.mark.parametrize("first", ["treesvsnets.datasets.images", "treesvsnets.datasets.embedded"])
def test_the_listing_order_does_not_depend_on_which_module_is_imported_first(first):
    import subprocess
    import sys

    from treesvsnets.datasets.registry import BUILTIN_ORDER

    code = (
        f"import {first}\n"
        "from treesvsnets.datasets import all_infos\n"
        "print(','.join(i.name for i in all_infos()))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().split(",") == list(BUILTIN_ORDER)


def test_fingerprint_is_stable_and_follows_the_content():
    first, second = load("iris"), load("iris")
    assert first.fingerprint == second.fingerprint
    X = first.X.copy()
    X[0, 0] += 0.1
    changed = Dataset("iris", X, first.y, first.class_names)
    assert changed.fingerprint != first.fingerprint
    relabelled = Dataset("iris", first.X, first.y, ("a", "b", "c"))
    assert relabelled.fingerprint != first.fingerprint


def test_unknown_dataset_suggests_the_closest_name():
    with pytest.raises(UnknownNameError, match="Did you mean 'digits'"):
        info("digit")


def test_encode_labels_keeps_the_original_names():
    codes, names = encode_labels(np.array(["cat", "dog", "cat", "ant"]))
    assert names == ("ant", "cat", "dog")
    np.testing.assert_array_equal(codes, [1, 2, 1, 0])


def test_pixel_scaling_uses_one_scale_learned_from_the_training_rows():
    train = np.array([[0.0, 4.0], [2.0, 16.0]])
    scaler = make_preprocessor("pixels").fit(train)
    assert scaler.scale_ == 16.0
    np.testing.assert_allclose(scaler.transform(np.array([[8.0, 32.0]])), [[0.5, 2.0]])


def test_auto_preprocessing_is_pixels_for_images_and_standard_for_tables():
    assert resolve_preprocessing("auto", (1, 8, 8)) == "pixels"
    assert resolve_preprocessing("auto", None) == "standard"
    assert resolve_preprocessing("none", (1, 8, 8)) == "none"


def test_preprocessors():
    assert make_preprocessor("none") is None
    assert type(make_preprocessor("standard")).__name__ == "StandardScaler"
    with pytest.raises(UnknownNameError, match="Did you mean 'standard'"):
        make_preprocessor("standart")
