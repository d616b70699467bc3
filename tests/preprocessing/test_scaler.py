import numpy as np
import pytest
from sklearn.preprocessing import StandardScaler

from sklearn_ser import NeutralStandardScaler, PadCrop

from .._checks import ALL_CHECKS, check_ids


def _padded(seed=0, n=12, d=4, n_frames=20):
    rng = np.random.RandomState(seed)
    lengths = rng.randint(3, 30, size=n)
    seqs = [rng.normal(loc=3.0, scale=2.0, size=(t, d)) for t in lengths]
    y = np.array(["neu", "ang", "sad", "neu"] * (n // 4))
    return seqs, PadCrop(n_frames=n_frames).fit_transform(seqs), y, lengths


@pytest.mark.parametrize("check", ALL_CHECKS, ids=check_ids())
def test_3d_contract(check):
    _, X, y, _ = _padded()
    check(NeutralStandardScaler(), X, y)


def test_statistics_equal_numpy_on_valid_neutral_frames():
    seqs, X, y, lengths = _padded()
    scaler = NeutralStandardScaler().fit(X, y)
    frames = np.concatenate(
        [s[: min(t, X.shape[1])] for s, t, lab in zip(seqs, lengths, y, strict=True)
         if lab == "neu"]
    ).astype(np.float32).astype(np.float64)
    np.testing.assert_allclose(scaler.mean_, frames.mean(axis=0), rtol=1e-10)
    np.testing.assert_allclose(scaler.var_, frames.var(axis=0), rtol=1e-10)
    np.testing.assert_allclose(scaler.scale_, frames.std(axis=0), rtol=1e-10)
    assert scaler.n_neutral_samples_ == int(np.sum(y == "neu"))
    assert scaler.n_features_in_ == 4


def test_transform_keeps_nan_padding_and_dtype():
    _, X, y, _ = _padded()
    scaler = NeutralStandardScaler().fit(X, y)
    Xt = scaler.transform(X)
    assert Xt.dtype == np.float32
    np.testing.assert_array_equal(np.isnan(Xt), np.isnan(X))
    expected = (X.astype(np.float64) - scaler.mean_) / scaler.scale_
    np.testing.assert_allclose(Xt, expected, rtol=1e-5, atol=1e-5)


def test_zero_padding_would_pollute_statistics():
    # The reason for NaN padding: zero padding shifts the neutral mean.
    seqs, X_nan, y, _ = _padded()
    X_zero = PadCrop(n_frames=20, fill_value=0.0).fit_transform(seqs)
    m_nan = NeutralStandardScaler().fit(X_nan, y).mean_
    m_zero = NeutralStandardScaler().fit(X_zero, y).mean_
    assert np.all(m_zero < m_nan - 0.1)


def test_inverse_transform_roundtrip():
    _, X, y, _ = _padded()
    scaler = NeutralStandardScaler().fit(X, y)
    back = scaler.inverse_transform(scaler.transform(X))
    np.testing.assert_allclose(back, X, rtol=1e-5, atol=1e-5)


def test_2d_matches_standard_scaler_on_neutral_rows():
    rng = np.random.RandomState(1)
    X = rng.normal(size=(30, 3)) * [1.0, 5.0, 0.1]
    y = np.array(["neu", "hap", "sad"] * 10)
    ours = NeutralStandardScaler().fit(X, y)
    ref = StandardScaler().fit(X[y == "neu"])
    np.testing.assert_allclose(ours.mean_, ref.mean_)
    np.testing.assert_allclose(ours.scale_, ref.scale_)
    np.testing.assert_allclose(ours.transform(X), ref.transform(X))


def test_constant_feature_gets_unit_scale():
    X = np.array([[1.0, 2.0], [1.0, 4.0], [1.0, 6.0]])
    scaler = NeutralStandardScaler(neutral_label=0).fit(X, [0, 0, 1])
    assert scaler.scale_[0] == 1.0
    np.testing.assert_allclose(scaler.transform(X)[:, 0], 0.0)


@pytest.mark.parametrize("with_mean, with_std", [(False, True), (True, False)])
def test_with_mean_with_std(with_mean, with_std):
    X = np.array([[0.0], [4.0], [10.0]])
    scaler = NeutralStandardScaler(with_mean=with_mean, with_std=with_std)
    Xt = scaler.fit_transform(X, ["neu", "neu", "ang"])
    expected = (X - (2.0 if with_mean else 0.0)) / (2.0 if with_std else 1.0)
    np.testing.assert_allclose(Xt, expected)


def test_copy_false_scales_in_place():
    X = np.array([[0.0], [2.0]])
    scaler = NeutralStandardScaler(copy=False).fit(X, ["neu", "neu"])
    scaler.transform(X)
    np.testing.assert_allclose(X.ravel(), [-1.0, 1.0])


def test_y_none():
    with pytest.raises(ValueError, match="requires y"):
        NeutralStandardScaler().fit(np.ones((3, 2)))


def test_no_neutral_lists_labels():
    with pytest.raises(ValueError, match=r"'ang', 'sad'"):
        NeutralStandardScaler().fit(np.ones((3, 2)), ["ang", "sad", "ang"])


def test_feature_count_at_transform():
    _, X, y, _ = _padded()
    scaler = NeutralStandardScaler().fit(X, y)
    with pytest.raises(ValueError, match="4 features"):
        scaler.transform(X[..., :3])
    scaler2 = NeutralStandardScaler().fit(np.ones((4, 2)), ["neu"] * 4)
    with pytest.raises(ValueError, match="expecting 2 features"):
        scaler2.transform(np.ones((4, 3)))


def test_all_nan_feature_in_neutral():
    X = np.ones((4, 3))
    X[[0, 2], 1] = np.nan
    with pytest.raises(ValueError, match=r"feature\(s\) \[1\]"):
        NeutralStandardScaler().fit(X, ["neu", "ang", "neu", "ang"])


def test_one_dimensional_x():
    with pytest.raises(ValueError, match="2D array"):
        NeutralStandardScaler().fit(np.ones(4), ["neu"] * 4)


def test_infinite_values_rejected():
    _, X, y, _ = _padded()
    X[2, 0, 1] = np.inf
    with pytest.raises(ValueError, match="infinite values.*sample 2"):
        NeutralStandardScaler().fit(X, y)


def test_y_length_mismatch():
    with pytest.raises(ValueError, match="one label per sample"):
        NeutralStandardScaler().fit(np.ones((3, 2)), ["neu", "neu"])


def test_neutral_label_none_uses_every_training_sample():
    rng = np.random.default_rng(0)
    X = rng.normal(2.0, 3.0, size=(12, 5, 2))
    X[::2, 3:] = np.nan  # padding
    values = X.reshape(-1, 2)
    dims = rng.uniform(1, 5, size=(12, 3))
    scaler = NeutralStandardScaler(neutral_label=None).fit(X, dims)
    assert scaler.reference_ == "all" and scaler.n_neutral_samples_ == 12
    np.testing.assert_allclose(scaler.mean_, np.nanmean(values, axis=0))
    np.testing.assert_allclose(scaler.scale_, np.nanstd(values, axis=0))
    # y is not needed, and its dtype decides nothing
    np.testing.assert_allclose(NeutralStandardScaler(neutral_label=None).fit(X).mean_,
                               scaler.mean_)
    # category labels select the neutral samples
    labels = np.array(["neu", "ang"] * 6)
    neutral = NeutralStandardScaler().fit(X, labels)
    assert neutral.reference_ == "neutral" and neutral.n_neutral_samples_ == 6
    np.testing.assert_allclose(neutral.mean_,
                               np.nanmean(X[labels == "neu"].reshape(-1, 2), axis=0))
    coded = NeutralStandardScaler(neutral_label=0.0).fit(X, (labels == "ang") * 1.0)
    assert coded.reference_ == "neutral"
    np.testing.assert_allclose(coded.mean_, neutral.mean_)


def test_dimensional_targets_need_neutral_label_none():
    X = np.zeros((4, 3, 2))
    with pytest.raises(ValueError, match=r"y has shape \(4, 3\): dimensional "
                                         "targets.*set neutral_label=None"):
        NeutralStandardScaler().fit(X, np.ones((4, 3)))
    with pytest.raises(ValueError, match="No sample is labelled neutral_label='neu'.*"
                                         "For emotion dimensions .*neutral_label=None"):
        NeutralStandardScaler().fit(X, np.linspace(1, 5, 4))
    with pytest.raises(ValueError, match="y has 3 rows but X has 4"):
        NeutralStandardScaler(neutral_label=None).fit(X, np.ones((3, 3)))
