"""Conformance checks for estimators that take 3-D (or sequence) input.

scikit-learn's ``check_estimator`` only feeds 2-D arrays, so estimators whose
input is ``(n_samples, n_frames, n_features)`` (or a list of ``(T_i, d)``
arrays) are checked here instead. Every such estimator of the package runs
through :func:`check_3d_estimator` in its own test module.
"""

import copy
import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError


def _output(est, X):
    """Predictions (classifiers) or transformed data (transformers)."""
    if hasattr(est, "predict_proba"):
        return est.predict_proba(X)
    if hasattr(est, "predict"):
        return est.predict(X)
    return est.transform(X)


def _assert_same(a, b):
    if isinstance(a, list):
        assert len(a) == len(b)
        for u, v in zip(a, b, strict=True):
            np.testing.assert_allclose(u, v, rtol=1e-6, atol=1e-6)
    else:
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6, atol=1e-6)


def _snapshot(X):
    if isinstance(X, np.ndarray):
        return X.copy()
    return [np.array(x, copy=True) for x in X]


def _with_features(X, n_features):
    """``X`` with the feature axis cut or widened to ``n_features``."""
    if isinstance(X, np.ndarray):
        reps = int(np.ceil(n_features / X.shape[-1]))
        return np.concatenate([X] * reps, axis=-1)[..., :n_features]
    return [
        np.concatenate([x] * int(np.ceil(n_features / x.shape[-1])), axis=-1)[
            :, :n_features
        ]
        for x in X
    ]


def check_clone(est, X, y):
    cloned = clone(est)
    assert cloned is not est
    assert cloned.get_params(deep=False).keys() == est.get_params(deep=False).keys()
    for key, value in est.get_params(deep=False).items():
        other = cloned.get_params(deep=False)[key]
        if isinstance(value, float) and np.isnan(value):
            assert np.isnan(other), key
        elif isinstance(value, (str, int, float, bool, type(None))):
            assert other == value, key


def check_get_set_params(est, X, y):
    params = est.get_params(deep=False)
    est2 = clone(est).set_params(**params)
    for key, value in params.items():
        got = est2.get_params(deep=False)[key]
        if isinstance(value, float) and np.isnan(value):
            assert np.isnan(got), key
        else:
            assert got is value or got == value, key
    # Unknown parameters are refused.
    with pytest.raises(ValueError):
        clone(est).set_params(this_parameter_does_not_exist=1)


def check_not_fitted(est, X, y):
    est = clone(est)
    for method in ("predict", "predict_proba", "transform"):
        if hasattr(est, method):
            with pytest.raises(NotFittedError):
                getattr(est, method)(X)


def check_fit_returns_self(est, X, y):
    est = clone(est)
    assert est.fit(X, y) is est


def check_pickle_roundtrip(est, X, y):
    est = clone(est).fit(X, y)
    expected = _output(est, X)
    restored = pickle.loads(pickle.dumps(est))
    _assert_same(expected, _output(restored, X))
    deep = copy.deepcopy(est)
    _assert_same(expected, _output(deep, X))


def check_n_features_in(est, X, y):
    est = clone(est).fit(X, y)
    n = est.n_features_in_
    first = X[0] if not isinstance(X, np.ndarray) else X[0]
    assert n == np.asarray(first).shape[-1]
    with pytest.raises(ValueError, match=str(n)):
        _output(est, _with_features(X, n + 1))


def check_input_not_modified(est, X, y):
    before = _snapshot(X)
    est = clone(est).fit(X, y)
    _assert_same_nan(before, X)
    _output(est, X)
    _assert_same_nan(before, X)


def _assert_same_nan(a, b):
    if isinstance(a, list):
        for u, v in zip(a, b, strict=True):
            np.testing.assert_array_equal(u, np.asarray(v))
    else:
        np.testing.assert_array_equal(a, b)


def check_fit_idempotent(est, X, y):
    est = clone(est)
    first = _output(est.fit(X, y), X)
    second = _output(est.fit(X, y), X)
    _assert_same(first, second)


ALL_CHECKS = [
    check_clone,
    check_get_set_params,
    check_not_fitted,
    check_fit_returns_self,
    check_pickle_roundtrip,
    check_n_features_in,
    check_input_not_modified,
    check_fit_idempotent,
]


def check_ids():
    """Names of the checks, for ``pytest.mark.parametrize(ids=...)``."""
    return [c.__name__ for c in ALL_CHECKS]
