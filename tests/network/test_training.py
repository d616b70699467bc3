"""Tests of sklearn_ser.network._training: labels, validation split and class weights."""

import warnings

import numpy as np
import pytest

from sklearn_ser import SERClassifier

from .._common import SMALL_NET, grouped_3d, toy_3d


def test_default_validation_split_is_stratified_ten_percent():
    X, y = toy_3d(n=60, labels=("ang", "neu", "sad"))
    clf = SERClassifier(**SMALL_NET).fit(X, y)
    valid = clf.validation_indices_
    assert valid.size == 6
    np.testing.assert_array_equal(np.unique(y[valid], return_counts=True)[1], [2, 2, 2])
    train = np.setdiff1d(np.arange(60), valid)
    counts = np.array([np.sum(y[train] == c) for c in clf.classes_])
    np.testing.assert_allclose(clf.class_weight_, train.size / (3 * counts))
    np.testing.assert_allclose(clf.criterion_.weight.numpy(), clf.class_weight_)
    assert "valid_wa_ua" in clf.history_[-1]


def test_group_aware_validation_split_plain_fit():
    X, y, groups = grouped_3d()
    clf = SERClassifier(**SMALL_NET).fit(X, y, groups=groups)
    valid = clf.validation_indices_
    assert valid.size > 0
    train = np.setdiff1d(np.arange(len(y)), valid)
    assert set(groups[valid]).isdisjoint(groups[train])


def test_validation_group_with_a_single_class_does_not_warn():
    X, y = toy_3d(n=64, labels=("ang", "sad"))
    index = np.arange(len(y))
    groups = np.where(y == "ang", index % 4, 4 + index % 4)  # one class per group
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf = SERClassifier(**SMALL_NET).fit(X, y, groups=groups)
    assert np.unique(y[clf.validation_indices_]).size == 1


def test_class_weight_options():
    X, y = toy_3d(n=30, labels=("ang", "sad", "sad"))
    clf = SERClassifier(**{**SMALL_NET, "validation_fraction": None}).fit(X, y)
    np.testing.assert_allclose(clf.class_weight_, [30 / (2 * 10), 30 / (2 * 20)])
    clf = SERClassifier(**{**SMALL_NET, "class_weight": None}).fit(X, y)
    assert clf.class_weight_ is None and clf.criterion_.weight is None
    clf = SERClassifier(**{**SMALL_NET, "class_weight": {"sad": 3.0}}).fit(X, y)
    np.testing.assert_allclose(clf.class_weight_, [1.0, 3.0])
    with pytest.raises(ValueError, match="hap"):
        SERClassifier(**{**SMALL_NET, "class_weight": {"hap": 3.0}}).fit(X, y)


@pytest.mark.parametrize("device", ["gpu", "tpu", "cuda:x", "meta"])
def test_unusable_device_names_are_refused_before_training(device):
    X, y = toy_3d()
    with pytest.raises(ValueError, match=f"device={device!r}"):
        SERClassifier(**{**SMALL_NET, "device": device, "max_epochs": 1}).fit(X, y)


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="CUDA present")
def test_cuda_without_cuda_is_refused_with_the_reason():
    from sklearn_ser._device import check_device

    with pytest.raises(ValueError, match="CUDA"):
        check_device("cuda")
    X, y = toy_3d()
    with pytest.raises(ValueError, match="'cpu' or 'auto'"):
        SERClassifier(**{**SMALL_NET, "device": "cuda:0", "max_epochs": 1}).fit(X, y)


def test_usable_devices_pass():
    from sklearn_ser._device import check_device

    for device in ("auto", "cpu", None):
        assert check_device(device) == device
