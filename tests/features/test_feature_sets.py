"""Tests of the openSMILE feature sets of LLDExtractor (_feature_sets.py and
the eGeMAPS and ComParE configurations run by _opensmile.py)."""

import numpy as np
import pytest
from sklearn.utils._param_validation import InvalidParameterError

import sklearn_ser.features._extraction as extraction
from sklearn_ser import LLDExtractor
from sklearn_ser.features._feature_sets import (
    FEATURE_SET_NAMES,
    FEATURE_SETS,
    get_feature_set,
)
from sklearn_ser.features._opensmile import ENGINE, engine

from .._signals import SR, harmonic_tone, speech_like, stock_lld, write

NEW_SETS = ("egemaps", "compare")


def _quantised(seconds, seed):
    """A speech-like signal as the stock wrapper sees it, and as we do.

    The opensmile package turns float signals into int16 (times 32768) and
    openSMILE reads them back with a scale of 1/32767.
    """
    n = int(seconds * SR) + 37 * seed
    x = speech_like(n / SR, seed=seed)[:n]
    xi = np.clip(np.round(x * 32768), -32767, 32767).astype(np.int16)
    return xi, xi.astype(np.float32) / np.float32(32767)


# -- names ----------------------------------------------------------------------

@pytest.mark.parametrize("name", NEW_SETS)
def test_names_are_the_stock_names(name):
    spec = get_feature_set(name)
    xi, _ = _quantised(1.0, 0)
    expected = list(stock_lld(spec.stock, xi).columns)
    if name == "compare":
        expected += list(stock_lld(spec.stock, xi, deltas=True).columns)
    names = LLDExtractor(feature_set=name).get_feature_names_out()
    assert names.tolist() == expected
    assert len(set(names)) == len(names) == spec.n_features


def test_feature_counts_and_windows():
    counts = {name: get_feature_set(name).n_features for name in FEATURE_SET_NAMES}
    assert counts == {"is09": 32, "egemaps": 25, "compare": 130}
    assert get_feature_set("is09").window == 0.025
    assert get_feature_set("egemaps").window == get_feature_set("compare").window
    with pytest.raises(ValueError, match=r"feature_set must be one of .*'is09'"):
        get_feature_set("gemaps")


# -- values against the stock sets ----------------------------------------------

@pytest.mark.parametrize("name", NEW_SETS)
@pytest.mark.parametrize("seconds, seed", [(0.7, 1), (2.3, 2), (4.1, 3)])
def test_equals_stock_opensmile(name, seconds, seed):
    spec = get_feature_set(name)
    xi, x = _quantised(seconds, seed)
    [ours] = LLDExtractor(feature_set=name).transform([x])
    T = ours.shape[0]
    assert T == 1 + (len(x) - 960) // 160  # whole 60 ms windows only
    stock = stock_lld(spec.stock, xi).to_numpy()
    # the stock output has one more frame: the smoothers' trailing frame
    assert stock.shape[0] == T + 1
    n_lld = stock.shape[1]
    np.testing.assert_allclose(ours[:, :n_lld], stock[:T], rtol=1e-5, atol=1e-5)
    if name == "compare":  # the deltas of the stock second pass, same frames
        deltas = stock_lld(spec.stock, xi, deltas=True).to_numpy()
        np.testing.assert_allclose(ours[:, n_lld:], deltas[:T], rtol=1e-5,
                                   atol=1e-5)


@pytest.mark.parametrize("name", NEW_SETS)
def test_pitch_of_a_harmonic_tone(name):
    [feats] = LLDExtractor(feature_set=name).transform([harmonic_tone(180.0)])
    names = list(get_feature_set(name).feature_names)
    if name == "egemaps":  # semitones above 27.5 Hz
        f0 = 27.5 * 2 ** (feats[5:-5, names.index("F0semitoneFrom27.5Hz_sma3nz")] / 12)
    else:
        f0 = feats[5:-5, names.index("F0final_sma")]
    assert np.all(np.abs(f0 / 180.0 - 1) < 0.03)


@pytest.mark.parametrize("name", NEW_SETS)
def test_frames_on_the_10_ms_grid_at_other_rates(name, tmp_path):
    # a 44.1 kHz file is resampled to 16 kHz; 8 kHz features work too
    x44 = speech_like(1.5, seed=4, sr=44100)
    path = write(tmp_path / "a.wav", x44, sr=44100)
    [at16] = LLDExtractor(feature_set=name).transform([path])
    assert at16.shape == (1 + (24000 - 960) // 160, get_feature_set(name).n_features)
    [at8] = LLDExtractor(feature_set=name, sampling_rate=8000).transform(
        [speech_like(1.5, seed=4, sr=8000)])
    assert at8.shape[0] == 1 + (12000 - 480) // 80
    assert np.isfinite(at16).all() and np.isfinite(at8).all()


# -- the engine -----------------------------------------------------------------

@pytest.mark.parametrize("name", NEW_SETS)
def test_reused_instances_give_the_same_features(name, monkeypatch):
    rng = np.random.default_rng(3)
    X = [speech_like(rng.uniform(0.1, 2.5), seed=i) for i in range(5)]
    X += [np.zeros(SR), X[0]]
    eng = engine(name)
    monkeypatch.setattr(eng, "reuse_seconds", 1.5)  # reuse some, not all
    reused = LLDExtractor(feature_set=name).transform(X)
    monkeypatch.setattr(eng, "reuse_seconds", 0.0)  # a new one each time
    fresh = LLDExtractor(feature_set=name).transform(X)
    for a, b in zip(reused, fresh, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(reused[0], reused[-1])


def test_one_engine_per_set():
    assert engine("is09") is ENGINE
    assert {engine(n).spec.name for n in FEATURE_SET_NAMES} == set(FEATURE_SET_NAMES)
    assert engine("compare").identity()[1] != ENGINE.identity()[1]
    with pytest.raises(ValueError, match="feature_set must be one of"):
        engine("IS10")


# -- the extractor --------------------------------------------------------------

@pytest.mark.parametrize("name", NEW_SETS)
def test_too_short_for_a_60_ms_window(name, tmp_path):
    x = speech_like(0.05, seed=1)  # 50 ms: enough for IS09, not for these sets
    assert LLDExtractor().transform([x])[0].shape[0] == 3
    with pytest.raises(ValueError, match=r"X\[0\].*shorter than one 60 ms analysis "
                                         r"window; expected at least 960 samples"):
        LLDExtractor(feature_set=name).transform([x])
    path = write(tmp_path / "short.wav", x)
    good = write(tmp_path / "good.wav", speech_like(0.5))
    with pytest.raises(ValueError, match=r"1 of 2 inputs could not be used") as info:
        LLDExtractor(feature_set=name).transform([good, path])
    assert "short.wav" in str(info.value) and "60 ms" in str(info.value)
    [exact] = LLDExtractor(feature_set=name).transform([speech_like(0.06)])
    assert exact.shape[0] == 1


@pytest.mark.parametrize("name", NEW_SETS)
def test_parallel_equals_serial(name, wav_files):
    serial = LLDExtractor(feature_set=name).transform(wav_files)
    parallel = LLDExtractor(feature_set=name, n_jobs=2).transform(wav_files)
    for a, b in zip(serial, parallel, strict=True):
        np.testing.assert_array_equal(a, b)


def test_the_cache_separates_the_sets(wav_files, tmp_path, monkeypatch):
    calls = []
    original = extraction._run_opensmile

    def counting(*args, **kwargs):
        calls.append(args[3] if len(args) > 3 else kwargs.get("feature_set", "is09"))
        return original(*args, **kwargs)

    monkeypatch.setattr(extraction, "_run_opensmile", counting)
    cache = tmp_path / "cache"
    first = {name: LLDExtractor(feature_set=name, memory=cache).transform(wav_files)
             for name in FEATURE_SET_NAMES}
    assert sorted(calls) == sorted(list(FEATURE_SET_NAMES) * len(wav_files))
    for name in FEATURE_SET_NAMES:  # each set finds its own entries
        again = LLDExtractor(feature_set=name, memory=cache).transform(wav_files)
        for a, b in zip(first[name], again, strict=True):
            np.testing.assert_array_equal(a, b)
        assert again[0].shape[1] == get_feature_set(name).n_features
    assert len(calls) == len(FEATURE_SET_NAMES) * len(wav_files)
    entries = list((cache / "joblib" / "sklearn_ser" / "LLDExtractor").rglob("*.lld"))
    assert len(entries) == len(FEATURE_SET_NAMES) * len(wav_files)


def test_invalid_feature_set():
    for bad in ("IS09", "gemaps", None, 3):
        with pytest.raises(InvalidParameterError, match="feature_set"):
            LLDExtractor(feature_set=bad).transform([speech_like(0.3)])


def test_every_set_is_documented():
    doc = LLDExtractor.__doc__
    for name, spec in FEATURE_SETS.items():
        assert f'"{name}"' in doc and str(spec.n_features) in doc
