import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from sklearn_ser import PadCrop, SpeakerStandardScaler


def _corpus(seed=0, d=3):
    """Frame sequences of three speakers with own offsets and scales."""
    rng = np.random.RandomState(seed)
    speakers = np.array(["a", "b", "a", "c", "b", "a", "c", "c"])
    offset = {"a": 0.0, "b": 10.0, "c": -5.0}
    scale = {"a": 1.0, "b": 3.0, "c": 0.5}
    X = [
        (offset[s] + scale[s] * rng.normal(size=(rng.randint(2, 30), d))).astype(
            np.float32)
        for s in speakers
    ]
    return X, speakers


def _frame(X, speakers):
    return pd.DataFrame({"lld": pd.Series(X, dtype=object), "speaker": speakers})


class _Untouchable:
    """Labels that fail loudly when anything reads them."""

    def __len__(self):
        raise AssertionError("the labels were read")

    def __getitem__(self, key):
        raise AssertionError("the labels were read")

    def __array__(self, *args, **kwargs):
        raise AssertionError("the labels were read")


def test_statistics_are_exact_per_speaker():
    X, speakers = _corpus()
    out = SpeakerStandardScaler().fit_transform(_frame(X, speakers))
    assert isinstance(out, list) and all(o.dtype == np.float32 for o in out)
    for s in np.unique(speakers):
        idx = np.flatnonzero(speakers == s)
        frames = np.concatenate([X[i] for i in idx]).astype(np.float64)
        mean, std = frames.mean(axis=0), frames.std(axis=0)
        for i in idx:
            np.testing.assert_allclose(out[i], (X[i] - mean) / std, rtol=1e-5,
                                       atol=1e-5)
        pooled = np.concatenate([out[i] for i in idx])
        np.testing.assert_allclose(pooled.mean(axis=0), 0.0, atol=1e-5)
        np.testing.assert_allclose(pooled.std(axis=0), 1.0, atol=1e-5)


def test_uses_no_labels_and_nothing_from_fit():
    X, speakers = _corpus()
    test_X, test_speakers = _corpus(seed=1)
    test_speakers = np.char.add("new-", test_speakers)
    alone = SpeakerStandardScaler().fit(_frame(test_X, test_speakers)).transform(
        _frame(test_X, test_speakers))
    scaler = SpeakerStandardScaler().fit(_frame(X, speakers), _Untouchable())
    after_training = scaler.transform(_frame(test_X, test_speakers))
    for a, b in zip(alone, after_training, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_speaker_depends_only_on_its_own_samples():
    X, speakers = _corpus()
    out = SpeakerStandardScaler().fit_transform(X, speakers=speakers)
    changed = [x * 7.0 + 3.0 if s != "a" else x for x, s in zip(X, speakers,
                                                                strict=True)]
    out2 = SpeakerStandardScaler().fit_transform(changed, speakers=speakers)
    for i in np.flatnonzero(speakers == "a"):
        np.testing.assert_array_equal(out[i], out2[i])


def test_padded_array_ignores_and_keeps_nan():
    X, speakers = _corpus()
    padded = PadCrop(n_frames=40).fit_transform(X)
    out = SpeakerStandardScaler().fit_transform(padded, speakers=speakers)
    assert out.shape == padded.shape and out.dtype == np.float32
    np.testing.assert_array_equal(np.isnan(out), np.isnan(padded))
    expected = SpeakerStandardScaler().fit_transform(X, speakers=speakers)
    for i, x in enumerate(X):
        np.testing.assert_allclose(out[i, : len(x)], expected[i], rtol=1e-5, atol=1e-5)


def test_2d_features_as_array_and_as_dataframe():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(6, 2)) + np.array([[0, 0]] * 3 + [[100, -4]] * 3)
    speakers = [1, 1, 1, 2, 2, 2]
    out = SpeakerStandardScaler().fit_transform(X, speakers=speakers)
    assert out.dtype == np.float64
    for rows in (slice(0, 3), slice(3, 6)):
        np.testing.assert_allclose(out[rows], (X[rows] - X[rows].mean(0)) / X[rows].std(0))
    frame = pd.DataFrame(X, columns=["f0_mean", "rms_mean"]).assign(speaker=speakers)
    scaler = SpeakerStandardScaler().fit(frame)
    np.testing.assert_allclose(scaler.transform(frame), out)
    assert scaler.get_feature_names_out().tolist() == ["f0_mean", "rms_mean"]


def test_constant_feature_keeps_unit_scale():
    X = [np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0]])]
    out = SpeakerStandardScaler().fit_transform(X, speakers=["s"])
    np.testing.assert_array_equal(out[0][:, 1], 0.0)


def test_with_mean_and_with_std_switches():
    X = [np.array([[1.0], [3.0]])]
    centred = SpeakerStandardScaler(with_std=False).fit_transform(X, speakers=["s"])
    np.testing.assert_allclose(centred[0].ravel(), [-1.0, 1.0])
    scaled = SpeakerStandardScaler(with_mean=False).fit_transform(X, speakers=["s"])
    np.testing.assert_allclose(scaled[0].ravel(), [1.0, 3.0])


def test_estimator_contract():
    X, speakers = _corpus()
    frame = _frame(X, speakers)
    scaler = SpeakerStandardScaler(speaker_column="spk")
    assert clone(scaler).get_params() == scaler.get_params()
    with pytest.raises(NotFittedError):
        SpeakerStandardScaler().transform(frame)
    fitted = SpeakerStandardScaler().fit(frame)
    assert fitted.n_features_in_ == 3
    restored = pickle.loads(pickle.dumps(fitted))
    for a, b in zip(fitted.transform(frame), restored.transform(frame), strict=True):
        np.testing.assert_array_equal(a, b)
    before = [x.copy() for x in X]
    fitted.transform(frame)
    for a, b in zip(X, before, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda X, s: (X, None), "needs the speaker of each sample"),
        (lambda X, s: (pd.DataFrame({"lld": pd.Series(X, dtype=object)}), None),
         "without the speaker column 'speaker'"),
        (lambda X, s: (X, s[:-1]), "speakers has 7 entries but X has 8"),
        (lambda X, s: (X, [None] + list(s[1:])), "speaker of sample 0 is missing"),
        (lambda X, s: (X, list(s[:3]) + [np.nan] + list(s[4:])),
         "speaker of sample 3 is missing"),
        (lambda X, s: (X, list(s[:5]) + [""] + list(s[6:])),
         "speaker of sample 5 is missing"),
        (lambda X, s: (X, list(s[:5]) + [pd.NA] + list(s[6:])),
         "speaker of sample 5 is missing"),
        (lambda X, s: (X, [["a"]] + list(s[1:])), "not hashable"),
        (lambda X, s: (X, "abcdefgh"), "got the string"),
        (lambda X, s: (_frame(X, s), s), "one way only"),
    ],
)
def test_bad_speakers(make, match):
    X, speakers = _corpus()
    X, speakers = make(X, speakers)
    with pytest.raises((ValueError, TypeError), match=match):
        SpeakerStandardScaler().fit_transform(X, speakers=speakers)


def test_a_speaker_with_one_frame_is_an_error():
    X, speakers = _corpus()
    X = X + [np.ones((1, 3), dtype=np.float32)]
    speakers = np.append(speakers, "lonely")
    with pytest.raises(ValueError, match=r"Speaker 'lonely' has only 1 frames.*sample\(s\) 8"):
        SpeakerStandardScaler().fit_transform(X, speakers=speakers)
    rows = np.arange(6.0).reshape(3, 2)
    with pytest.raises(ValueError, match="Speaker 'z' has only 1 samples"):
        SpeakerStandardScaler().fit_transform(rows, speakers=["y", "y", "z"])


def test_bad_features():
    X, speakers = _corpus()
    scaler = SpeakerStandardScaler().fit(X, speakers=speakers)
    with pytest.raises(ValueError, match="2 features per frame, but .* fitted with 3"):
        scaler.transform([x[:, :2] for x in X], speakers=speakers)
    bad = [x.copy() for x in X]
    bad[2][0, 1] = np.inf
    with pytest.raises(ValueError, match=r"X\[2\] has non-finite values"):
        scaler.transform(bad, speakers=speakers)
    frame = pd.DataFrame({"f": [1.0, 2.0], "g": ["x", "y"], "speaker": ["s", "s"]})
    with pytest.raises(TypeError, match=r"non-numeric column\(s\) \['g'\]"):
        SpeakerStandardScaler().fit(frame)
    with pytest.raises(ValueError, match="non-finite values"):
        SpeakerStandardScaler().fit_transform(np.array([[np.nan], [1.0]]),
                                              speakers=["s", "s"])
