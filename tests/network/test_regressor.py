"""Tests of SERRegressor and its loss."""

import numpy as np
import pytest
import torch
from sklearn.base import clone, is_regressor
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_validate

from sklearn_ser import SERClassifier, SERRegressor, load, save
from sklearn_ser.metrics import CCC_SCORING, concordance_correlation_coefficient
from sklearn_ser.network._regressor import RegressionLoss, batch_ccc

from .._checks import ALL_CHECKS, check_ids
from .._common import SMALL_NET, TINY_NET


def toy_targets(n=48, n_frames=12, n_features=3, seed=0):
    """NaN-padded frames whose targets are means of two features over the valid frames."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_frames, n_features)).astype(np.float32)
    X[:, :, 0] += rng.normal(scale=1.5, size=(n, 1))
    X[:, :, 1] += rng.normal(scale=1.5, size=(n, 1))
    lengths = rng.integers(n_frames // 2, n_frames + 1, size=n)
    y = np.empty((n, 2))
    for i, length in enumerate(lengths):
        X[i, length:] = np.nan
        y[i] = 3.0 + X[i, :length, :2].mean(axis=0)
    return X, y


LEARNING = dict(TINY_NET, attention="mean", max_epochs=30, validation_fraction=None)


@pytest.mark.parametrize("check", ALL_CHECKS, ids=check_ids())
def test_3d_conformance(check):
    X, y = toy_targets()
    check(SERRegressor(**SMALL_NET), X, y)


def test_is_a_regressor_without_probabilities():
    reg = SERRegressor()
    assert is_regressor(reg)
    assert not hasattr(reg, "predict_proba")
    tags = reg.__sklearn_tags__()
    assert tags.input_tags.three_d_array and tags.input_tags.allow_nan
    assert tags.target_tags.multi_output and tags.target_tags.required


def test_shares_the_classifier_parameters_and_defaults():
    reg = SERRegressor().get_params(deep=False)
    clf = SERClassifier().get_params(deep=False)
    shared = set(reg) & set(clf)
    assert set(reg) - shared == {"loss"}
    assert set(clf) - shared == {"class_weight", "classes"}
    for name in shared - {"criterion"}:
        assert reg[name] == clf[name], name
    assert reg["loss"] == "ccc"


@pytest.mark.parametrize("loss", ["ccc", "mse"])
def test_learns_the_targets_in_their_units(loss):
    X, y = toy_targets()
    X_test, y_test = toy_targets(seed=1)
    reg = SERRegressor(loss=loss, **LEARNING).fit(X, y)
    pred = reg.predict(X_test)
    assert pred.shape == y_test.shape and pred.dtype == np.float64
    ccc = concordance_correlation_coefficient(y_test, pred, multioutput="raw_values")
    assert (ccc > 0.8).all(), ccc
    # The network predicts standardised targets; predict brings back the units.
    np.testing.assert_allclose(reg.target_mean_, y.mean(axis=0))
    np.testing.assert_allclose(reg.target_scale_, y.std(axis=0))
    assert abs(pred.mean() - y_test.mean()) < 0.5


def test_one_dimensional_y_gives_one_dimensional_predictions():
    X, y = toy_targets()
    reg = SERRegressor(**SMALL_NET).fit(X, y[:, 0])
    assert reg.n_outputs_ == 1 and reg.predict(X).shape == (len(X),)
    reg2 = SERRegressor(**SMALL_NET).fit(X, y[:, :1])
    assert reg2.predict(X).shape == (len(X), 1)


def test_padding_does_not_change_predictions():
    X, y = toy_targets()
    reg = SERRegressor(**SMALL_NET).fit(X, y)
    wider = np.full((X.shape[0], 30, X.shape[2]), np.nan, dtype=np.float32)
    wider[:, : X.shape[1]] = X
    np.testing.assert_allclose(reg.predict(wider), reg.predict(X), atol=1e-5)
    # and the batch it is predicted in
    np.testing.assert_allclose(reg.predict(X[5:6]), reg.predict(X)[5:6], atol=1e-5)


def test_random_state_reproducible():
    X, y = toy_targets()
    a = SERRegressor(**SMALL_NET).fit(X, y).predict(X)
    b = SERRegressor(**SMALL_NET).fit(X, y).predict(X)
    np.testing.assert_array_equal(a, b)


def test_best_epoch_is_the_best_validation_ccc():
    X, y = toy_targets(n=60)
    groups = np.repeat(np.arange(6), 10)
    reg = SERRegressor(**dict(SMALL_NET, max_epochs=6)).fit(X, y, groups=groups)
    scores = np.asarray(reg.history_[:, "valid_ccc"])
    assert reg.best_epoch_ == int(np.argmax(scores)) + 1
    held_out = np.unique(groups[reg.validation_indices_])
    assert not set(held_out) & set(np.delete(groups, reg.validation_indices_))
    # The score is the CCC of the kept weights on the validation split.
    valid = reg.validation_indices_
    np.testing.assert_allclose(
        concordance_correlation_coefficient(y[valid], reg.predict(X[valid])),
        scores.max(), atol=1e-4)


def test_loss_is_one_minus_the_batch_ccc():
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.normal(size=(20, 3)), rng.normal(size=(20, 3)) + 0.3
    expected = concordance_correlation_coefficient(y_true, y_pred,
                                                   multioutput="raw_values")
    got = batch_ccc(torch.tensor(y_pred), torch.tensor(y_true)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-10)
    loss = RegressionLoss("ccc")(torch.tensor(y_pred), torch.tensor(y_true))
    assert float(loss) == pytest.approx(1 - expected.mean())
    mse = RegressionLoss("mse")(torch.tensor(y_pred), torch.tensor(y_true))
    assert float(mse) == pytest.approx(np.mean((y_pred - y_true) ** 2))
    with pytest.raises(ValueError, match="loss must be one of"):
        RegressionLoss("mae")


def test_cross_validate_and_grid_search_with_ccc_scoring():
    X, y = toy_targets(n=60)
    y3 = np.c_[y, y[:, 0] - y[:, 1]]
    groups = np.repeat(np.arange(3), 20)
    cv = cross_validate(SERRegressor(**SMALL_NET), X, y3, groups=groups,
                        cv=GroupKFold(n_splits=3), scoring=CCC_SCORING)
    for key in ("test_CCC", "test_CCC_valence", "test_CCC_arousal", "test_CCC_dominance"):
        assert cv[key].shape == (3,) and np.isfinite(cv[key]).all()
    np.testing.assert_allclose(
        cv["test_CCC"],
        np.mean([cv["test_CCC_valence"], cv["test_CCC_arousal"],
                 cv["test_CCC_dominance"]], axis=0))
    search = GridSearchCV(SERRegressor(**SMALL_NET), {"attention": ["mean", "zhou"]},
                          cv=GroupKFold(n_splits=3), scoring=CCC_SCORING, refit="CCC")
    search.fit(X, y3, groups=groups)
    assert search.best_estimator_.attention in ("mean", "zhou")


def test_partial_fit_continues_and_keeps_the_target_statistics():
    X, y = toy_targets()
    reg = SERRegressor(**SMALL_NET).fit(X, y)
    mean = reg.target_mean_.copy()
    reg.partial_fit(X, y + 10.0)
    np.testing.assert_array_equal(reg.target_mean_, mean)
    assert len(reg.history_) == 2 * SMALL_NET["max_epochs"]
    with pytest.raises(ValueError, match="fitted with 2"):
        reg.partial_fit(X, y[:, 0:1])


def test_save_and_load_round_trip(tmp_path):
    X, y = toy_targets()
    reg = SERRegressor(loss="mse", **SMALL_NET).fit(X, y[:, 0])
    path = tmp_path / "reg.skser"
    save(reg, path)
    loaded = load(path)
    assert isinstance(loaded, SERRegressor) and loaded.loss == "mse"
    np.testing.assert_allclose(loaded.predict(X), reg.predict(X), atol=1e-6)
    assert loaded.predict(X).ndim == 1


@pytest.mark.parametrize("y, error, match", [
    (None, ValueError, "requires y"),
    (np.array(["neu"] * 48), TypeError, "for class labels use SERClassifier"),
    (np.zeros((48, 2, 2)), ValueError, "1-D .* or 2-D"),
    (np.zeros((47, 2)), ValueError, "X has 48 samples but y has 47"),
    (np.zeros((48, 0)), ValueError, "no target column"),
])
def test_bad_targets(y, error, match):
    X, _ = toy_targets()
    with pytest.raises(error, match=match):
        SERRegressor(**SMALL_NET).fit(X, y)


def test_nan_target_is_named():
    X, y = toy_targets()
    y[7, 1] = np.nan
    y[9, 0] = np.inf
    with pytest.raises(ValueError, match=r"sample 7, target 1 \(2 sample\(s\) in all\)"):
        SERRegressor(**SMALL_NET).fit(X, y)


def test_invalid_loss_parameter():
    X, y = toy_targets()
    with pytest.raises(ValueError, match="'loss' parameter of SERRegressor"):
        SERRegressor(loss="l1", **SMALL_NET).fit(X, y)
    with pytest.raises(ValueError, match="through the SERRegressor parameter"):
        SERRegressor(module__attention="mean", **SMALL_NET).fit(X, y)


def test_constant_target_keeps_unit_scale():
    X, y = toy_targets()
    y[:, 1] = 2.5
    reg = clone(SERRegressor(**SMALL_NET)).fit(X, y)
    assert reg.target_scale_[1] == 1.0
    assert np.isfinite(reg.predict(X)).all()


def test_a_tampered_target_scale_is_refused(tmp_path):
    import io
    import zipfile

    X, y = toy_targets()
    path = tmp_path / "reg.skser"
    save(SERRegressor(**SMALL_NET).fit(X, y), path)
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    with np.load(io.BytesIO(members["arrays.npz"])) as npz:
        arrays = {k: npz[k] for k in npz.files}
    (key,) = [k for k in arrays if k.endswith("/target_scale_")]
    arrays[key] = np.zeros_like(arrays[key])
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    members["arrays.npz"] = buf.getvalue()
    bad = tmp_path / "bad.skser"
    with zipfile.ZipFile(bad, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises(ValueError, match="target_scale_ must be positive"):
        load(bad)
