"""Tests of sklearn_ser.features._opensmile: the shipped config and the openSMILE engine."""

import numpy as np
import pytest

from sklearn_ser import LLDExtractor
from sklearn_ser.features._opensmile import ENGINE, FEATURE_NAMES, OpenSmileEngine

from .._signals import SR, harmonic_tone, speech_like, stock_is09

# -- correctness ----------------------------------------------------------------


def test_feature_names_are_the_stock_is09_names():
    lld, deltas = stock_is09((harmonic_tone(200) * 32767).astype(np.int16))
    names = LLDExtractor().get_feature_names_out()
    assert sorted(names[:16]) == sorted(lld.columns)
    assert sorted(names[16:]) == sorted(deltas.columns)


def test_equals_stock_is09_lld_and_deltas():
    n = 3 * SR + 123
    x = speech_like(n / SR, seed=3)[:n]
    xi = np.clip(np.round(x * 32768), -32767, 32767).astype(np.int16)
    stock_lld, stock_de = stock_is09(xi)
    # openSMILE converts the wrapper's int16 samples back with a 1/32767 scale
    [ours] = LLDExtractor().transform([xi.astype(np.float32) / np.float32(32767)])
    names = LLDExtractor().get_feature_names_out()
    base = stock_lld[list(names[:16])].to_numpy()
    deltas = stock_de[list(names[16:])].to_numpy()
    T = ours.shape[0]
    # the stock passes disagree on the number of frames; ours is T for both
    assert base.shape[0] == T + 1 and deltas.shape[0] == T + 3
    np.testing.assert_allclose(ours[:, :16], base[:T], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ours[2:T - 2, 16:], deltas[2:T - 2], rtol=1e-5,
                               atol=1e-5)


def test_deltas_are_the_regression_of_the_lld_columns():
    [feats] = LLDExtractor().transform([speech_like(2.0, seed=5)])
    c, d = feats[:, :16].astype(np.float64), feats[:, 16:]
    # openSMILE's delta regression over +-2 frames: sum k (c[t+k] - c[t-k]) / 10
    expected = (c[3:-1] - c[1:-3] + 2 * (c[4:] - c[:-4])) / 10
    np.testing.assert_allclose(d[2:-2], expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("f0", [150.0, 220.0, 310.0])
def test_f0_of_harmonic_tone_within_5_percent(f0):
    [feats] = LLDExtractor().transform([harmonic_tone(f0, seconds=1.0)])
    F0, voicing = feats[3:-3, 0], feats[3:-3, 3]
    voiced = F0 > 0
    assert voiced.mean() > 0.9
    assert np.all(np.abs(F0[voiced] / f0 - 1) < 0.05)
    assert np.all(voicing[voiced] > 0.55)


def test_energy_zcr_voicing_on_silence_tone_noise():
    silence = np.zeros(SR)
    tone = harmonic_tone(200.0, amplitude=0.3)
    noise = np.random.default_rng(1).uniform(-0.3, 0.3, SR)
    s, t, n = (f[3:-3] for f in LLDExtractor().transform([silence, tone, noise]))
    F0, RMS, ZCR, VP = 0, 1, 2, 3
    # energy: silence is zero, tone and noise are not
    assert np.all(s[:, RMS] < 1e-6)
    assert np.all(t[:, RMS] > 1e-3) and np.all(n[:, RMS] > 1e-3)
    # voicing: the tone is voiced with its F0, noise and silence are not
    assert np.median(t[:, VP]) > 0.55 and np.all(t[:, F0] > 0)
    assert np.median(n[:, VP]) < 0.55 and np.mean(n[:, F0] > 0) < 0.1
    assert np.all(s[:, VP] == 0) and np.all(s[:, F0] == 0)
    # ZCR per sample: ~2 * f0 / sr (+ harmonics) for the tone, ~0.5 for white
    # noise; openSMILE counts the zeros of digital silence as crossings (~1)
    assert np.all(t[:, ZCR] < 0.1)
    assert 0.4 < np.median(n[:, ZCR]) < 0.6
    assert np.all(s[:, ZCR] > 0.9)
    assert np.isfinite(s).all()


# -- instances ------------------------------------------------------------------

def test_reused_opensmile_instances_give_the_same_features(monkeypatch):
    rng = np.random.default_rng(3)
    X = [speech_like(rng.uniform(0.03, 3.0), seed=i) for i in range(8)]
    X += [np.zeros(SR), harmonic_tone(300.0, seconds=0.5), X[0]]
    monkeypatch.setattr(ENGINE, "reuse_seconds", 1.5)  # reuse some, not all
    reused = LLDExtractor().transform(X)
    monkeypatch.setattr(ENGINE, "reuse_seconds", 0.0)  # a new one each time
    fresh = LLDExtractor().transform(X)
    for a, b in zip(reused, fresh, strict=True):
        np.testing.assert_array_equal(a, b)


def test_engine_extracts_blocks_like_one_array():
    x = speech_like(2.5, seed=4).astype(np.float32)
    whole = OpenSmileEngine().extract([x], SR, x.shape[0])
    blocks = [x[:1000], x[1000:1000], x[1000:30001], x[30001:]]  # an empty one
    np.testing.assert_array_equal(OpenSmileEngine().extract(blocks, SR), whole)
    assert whole.dtype == np.float32
    assert whole.shape == (1 + (x.shape[0] - 400) // 160, len(FEATURE_NAMES))


# -- the private part of the opensmile package ---------------------------------

def test_private_names_the_engine_uses_exist():
    # The engine registers its frame callback through these names of the
    # opensmile package, which are not part of its public API. If this test
    # fails, a release of opensmile changed them: adapt OpenSmileEngine and
    # the upper bound of opensmile in pyproject.toml.
    from opensmile.core import lib

    assert callable(lib.smileapi.smile_extsink_set_data_callback)
    assert lib.ExternalSinkCallback is not None
    assert lib.SMILE_SUCCESS == 0
    smile = ENGINE._new(SR, SR)
    try:
        assert isinstance(smile._smileobj, int)
        ENGINE.check_private_api(smile)
    finally:
        smile.free()


def test_missing_private_names_fail_loudly(monkeypatch):
    from opensmile.core import lib

    monkeypatch.delattr(lib, "ExternalSinkCallback")
    with pytest.raises(RuntimeError, match=r"lacks \['ExternalSinkCallback'\]"):
        OpenSmileEngine.check_private_api()
    monkeypatch.undo()

    class Handle:
        _smileobj = None

    with pytest.raises(RuntimeError, match=r"OpenSMILE\._smileobj"):
        OpenSmileEngine.check_private_api(Handle())
