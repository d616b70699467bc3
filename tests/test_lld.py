"""Tests of sklearn_ser.LLDExtractor (openSMILE IS09 LLDs + deltas)."""

import doctest
import math
import os
import pathlib
import pickle

import joblib
import numpy as np
import pytest
import soundfile as sf
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils._param_validation import InvalidParameterError

import sklearn_ser._lld as lld_module
from sklearn_ser import LLDExtractor, PadCrop

from . import _checks

SR = 16000
RNG = np.random.default_rng(0)


# -- helpers ------------------------------------------------------------------

def harmonic_tone(f0, seconds=1.0, sr=SR, amplitude=0.5, n_harmonics=6):
    """A harmonic tone of known F0 (1/k amplitude harmonics)."""
    t = np.arange(int(round(seconds * sr))) / sr
    x = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, n_harmonics + 1))
    return amplitude * x / np.abs(x).max()


def speech_like(seconds, seed=0, sr=SR):
    """Gliding harmonic 'syllables' with pauses and a little noise."""
    rng = np.random.default_rng(seed)
    n = int(round(seconds * sr))
    t = np.arange(n) / sr
    f0 = 180 + 50 * np.sin(2 * np.pi * 0.5 * t + rng.uniform(0, 6))
    phase = 2 * np.pi * np.cumsum(f0) / sr
    x = sum(np.sin(k * phase) / k for k in range(1, 6))
    envelope = np.clip(np.sin(2 * np.pi * 3 * t + rng.uniform(0, 6)), 0, None)
    x = 0.25 * x * envelope + 0.01 * rng.standard_normal(n)
    return np.clip(x, -1, 1)


def write(path, x, sr=SR, subtype="PCM_16"):
    sf.write(os.fspath(path), x, sr, subtype=subtype)
    return os.fspath(path)


@pytest.fixture
def wav_files(tmp_path):
    """Six speech-like 16-bit files of different lengths."""
    return [write(tmp_path / f"utt{i}.wav", speech_like(0.5 + 0.3 * i, seed=i))
            for i in range(6)]


@pytest.fixture
def count_extractions(monkeypatch):
    """Count the openSMILE runs (serial, in-process extraction only)."""
    calls = []
    original = lld_module._run_opensmile

    def counting(blocks, sampling_rate, size_hint=0):
        calls.append(size_hint)
        return original(blocks, sampling_rate, size_hint)

    monkeypatch.setattr(lld_module, "_run_opensmile", counting)
    return calls


def stock_is09(x_int16):
    """openSMILE's stock IS09 LLDs and deltas (two passes), as DataFrames."""
    opensmile = pytest.importorskip("opensmile")
    x = x_int16.astype(np.float64) / 32768  # the wrapper multiplies by 32768
    lld = opensmile.Smile(opensmile.FeatureSet.IS09,
                          opensmile.FeatureLevel.LowLevelDescriptors)
    deltas = opensmile.Smile(opensmile.FeatureSet.IS09,
                             opensmile.FeatureLevel.LowLevelDescriptors_Deltas)
    return lld.process_signal(x, SR), deltas.process_signal(x, SR)


# -- output format ------------------------------------------------------------

def test_feature_names():
    names = LLDExtractor().get_feature_names_out()
    assert names.shape == (32,)
    assert names[:4].tolist() == ["F0_sma", "pcm_RMSenergy_sma", "pcm_zcr_sma",
                                  "voiceProb_sma"]
    assert names[4:16].tolist() == [f"pcm_fftMag_mfcc_sma[{k}]" for k in range(1, 13)]
    expected_deltas = [n.replace("_sma", "_sma_de") for n in names[:16]]
    assert names[16:].tolist() == expected_deltas


def test_feature_names_are_the_stock_is09_names():
    lld, deltas = stock_is09((harmonic_tone(200) * 32767).astype(np.int16))
    names = LLDExtractor().get_feature_names_out()
    assert sorted(names[:16]) == sorted(lld.columns)
    assert sorted(names[16:]) == sorted(deltas.columns)


def test_output_is_list_of_float32_in_input_order():
    lengths = [16000, 4000, 24000, 800]
    X = [speech_like(n / SR, seed=i) for i, n in enumerate(lengths)]
    out = LLDExtractor().fit_transform(X)
    assert isinstance(out, list) and len(out) == len(X)
    for feats, n in zip(out, lengths, strict=True):
        assert feats.dtype == np.float32
        assert feats.shape == (1 + (n - 400) // 160, 32)
        assert np.isfinite(feats).all()
    # each item's features do not depend on its neighbours
    again = LLDExtractor().transform(X[::-1])[::-1]
    for a, b in zip(out, again, strict=True):
        np.testing.assert_array_equal(a, b)


# -- frame count --------------------------------------------------------------

@pytest.mark.parametrize(
    "n_samples, expected",
    [(400, 1), (559, 1), (560, 2), (16000, 98), (16079, 98), (16080, 99),
     (48000, 298), (160000, 998)],
)
def test_frame_count_formula_16k(n_samples, expected):
    # T = 1 + floor((N - 400) / 160): 100 frames per second of audio
    assert lld_module.n_frames(n_samples) == expected
    [feats] = LLDExtractor().transform([speech_like(n_samples / SR)[:n_samples]])
    assert feats.shape[0] == expected == 1 + (n_samples - 400) // 160
    assert expected == math.floor(100 * n_samples / SR - 1.5)  # d seconds


@pytest.mark.parametrize("sampling_rate", [8000, 22050, 44100])
@pytest.mark.parametrize("seconds", [0.5, 2.0, 3.3])
def test_frame_count_formula_other_rates(sampling_rate, seconds):
    n = int(seconds * sampling_rate) + 7
    x = speech_like(n / sampling_rate, sr=sampling_rate)[:n]
    [feats] = LLDExtractor(sampling_rate=sampling_rate).transform([x])
    window = math.floor(0.025 * sampling_rate + 0.5)
    step = math.floor(0.010 * sampling_rate + 0.5)
    assert feats.shape[0] == 1 + (n - window) // step
    # 100 frames per second: the step is 10 ms rounded to whole samples
    assert abs(step / sampling_rate - 0.010) <= 0.5 / sampling_rate + 1e-12
    assert abs(feats.shape[0] - n / step) <= window / step


def test_frame_count_of_resampled_file(tmp_path):
    n0 = 44100 * 2 + 13
    path = write(tmp_path / "a44.wav", speech_like(n0 / 44100, sr=44100)[:n0], 44100)
    [feats] = LLDExtractor().transform([path])
    n = math.ceil(n0 * 16000 / 44100)
    assert feats.shape[0] == 1 + (n - 400) // 160 == 198


# -- correctness --------------------------------------------------------------

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


def test_reused_opensmile_instances_give_the_same_features(monkeypatch):
    rng = np.random.default_rng(3)
    X = [speech_like(rng.uniform(0.03, 3.0), seed=i) for i in range(8)]
    X += [np.zeros(SR), harmonic_tone(300.0, seconds=0.5), X[0]]
    monkeypatch.setattr(lld_module, "_REUSE_SECONDS", 1.5)  # reuse some, not all
    reused = LLDExtractor().transform(X)
    monkeypatch.setattr(lld_module, "_REUSE_SECONDS", 0.0)  # a new one each time
    fresh = LLDExtractor().transform(X)
    for a, b in zip(reused, fresh, strict=True):
        np.testing.assert_array_equal(a, b)


# -- input conversions --------------------------------------------------------

def test_integer_pcm_is_scaled_by_full_scale():
    x = speech_like(1.0)
    x16 = np.round(x * 32767).astype(np.int16)
    ref = LLDExtractor().transform([x16.astype(np.float64) / 32768])[0]
    for arr in (x16, x16.astype(np.int32) * 65536):
        np.testing.assert_allclose(LLDExtractor().transform([arr])[0], ref,
                                   rtol=1e-5, atol=1e-4)
    u8 = (np.round(x * 127) + 128).astype(np.uint8)
    via_float = LLDExtractor().transform([(u8.astype(np.float64) - 128) / 128])[0]
    np.testing.assert_allclose(LLDExtractor().transform([u8])[0], via_float,
                               rtol=1e-5, atol=1e-4)


def test_multichannel_array_and_file_are_mixed_down(tmp_path):
    left, right = speech_like(1.0, seed=1), speech_like(1.0, seed=2)
    stereo = np.stack([left, right], axis=1)  # (n_samples, n_channels)
    mono = LLDExtractor().transform([(left + right) / 2])[0]
    np.testing.assert_allclose(LLDExtractor().transform([stereo])[0], mono,
                               rtol=1e-5, atol=1e-4)
    path = write(tmp_path / "stereo.wav", stereo, subtype="FLOAT")
    np.testing.assert_allclose(LLDExtractor().transform([path])[0], mono,
                               rtol=1e-5, atol=1e-4)


def test_files_equal_arrays_and_accept_pathlike(tmp_path):
    x = np.round(speech_like(1.2) * 32767).astype(np.int16)
    path = write(tmp_path / "a b é.wav", x)  # spaces and unicode in the path
    from_array = LLDExtractor().transform([x])[0]
    for item in (path, pathlib.Path(path), np.str_(path)):
        np.testing.assert_array_equal(LLDExtractor().transform([item])[0], from_array)
    as_array = np.array([path, path], dtype=object)
    assert len(LLDExtractor().transform(as_array)) == 2


def test_resampled_file_close_to_native_rate(tmp_path):
    t44 = harmonic_tone(220.0, seconds=1.0, sr=44100)
    path = write(tmp_path / "tone44.wav", t44, 44100, subtype="FLOAT")
    [feats] = LLDExtractor().transform([path])
    voiced = feats[3:-3, 0] > 0
    assert voiced.mean() > 0.9
    assert np.all(np.abs(feats[3:-3, 0][voiced] / 220 - 1) < 0.05)


def test_2d_numeric_X_is_a_batch_of_waveforms():
    X = np.stack([speech_like(0.5, seed=i) for i in range(3)])
    out = LLDExtractor().transform(X)
    ref = LLDExtractor().transform(list(X))
    assert len(out) == 3
    for a, b in zip(out, ref, strict=True):
        np.testing.assert_array_equal(a, b)


# -- bad input ----------------------------------------------------------------

@pytest.fixture
def bad_files(tmp_path):
    x = speech_like(1.0)
    good = write(tmp_path / "good.wav", x)
    files = {"good": good}
    files["missing"] = os.fspath(tmp_path / "missing.wav")
    garbage = tmp_path / "garbage.wav"
    garbage.write_bytes(b"RIFF\x00\x00\x00\x00WAVEthis is not audio" * 10)
    files["corrupt"] = os.fspath(garbage)
    header = tmp_path / "truncated_header.wav"
    header.write_bytes(pathlib.Path(good).read_bytes()[:30])
    files["truncated_header"] = os.fspath(header)
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    files["empty_file"] = os.fspath(empty)
    files["zero_length"] = write(tmp_path / "zero.wav", np.zeros(0))
    files["too_short"] = write(tmp_path / "short.wav", x[:160])  # 10 ms
    nan = x.copy()
    nan[1234] = np.nan
    files["nan"] = write(tmp_path / "nan.wav", nan, subtype="FLOAT")
    inf = x.copy()
    inf[99] = np.inf
    files["inf"] = write(tmp_path / "inf.wav", inf, subtype="FLOAT")
    loud = x.copy()
    loud[777] = 1.5
    files["out_of_range"] = write(tmp_path / "loud.wav", loud, subtype="FLOAT")
    files["directory"] = os.fspath(tmp_path)
    return files


@pytest.mark.parametrize(
    "case, expected",
    [
        ("missing", "file not found"),
        ("corrupt", "not a readable audio file"),
        ("truncated_header", "not a readable audio file"),
        ("empty_file", "not a readable audio file"),
        ("zero_length", "zero-length audio"),
        ("too_short", r"160 samples .* shorter than one 25 ms analysis window; "
                      r"expected at least 400 samples"),
        ("nan", r"sample 1234 is nan; expected finite samples"),
        ("inf", r"sample 99 is inf; expected finite samples"),
        ("out_of_range", r"sample 777 is 1.5, outside \[-1, 1\]"),
        ("directory", "is a directory"),
    ],
)
def test_bad_file_error_names_file_and_problem(bad_files, case, expected):
    path = bad_files[case]
    with pytest.raises(ValueError, match=expected) as info:
        LLDExtractor().transform([bad_files["good"], path])
    message = str(info.value)
    assert f"X[1] ({path!r})" in message
    assert "1 of 2 inputs could not be used" in message


def test_all_bad_files_are_reported_together(bad_files):
    X = [bad_files[k] for k in ("missing", "good", "nan", "corrupt")]
    with pytest.raises(ValueError) as info:
        LLDExtractor().transform(X)
    message = str(info.value)
    assert "3 of 4 inputs could not be used (1 others were extracted)" in message
    for i in (0, 2, 3):
        assert f"X[{i}] ({X[i]!r})" in message


@pytest.mark.parametrize(
    "x, error, expected",
    [
        (np.zeros(0), ValueError, "zero-length audio"),
        (np.zeros(160), ValueError, r"160 samples \(10.0 ms at 16000 Hz\) is "
                                    "shorter than one 25 ms"),
        (np.r_[np.zeros(500), np.nan, np.zeros(500)], ValueError,
         "sample 500 is nan"),
        (np.r_[np.zeros(600), -np.inf, np.zeros(500)], ValueError,
         "sample 600 is -inf"),
        (np.r_[np.zeros(700), 1.0001, np.zeros(500)], ValueError,
         r"sample 700 is 1.0001, outside \[-1, 1\]"),
        (np.zeros((1000, 2, 2)), ValueError, "expected a 1-D waveform"),
        (np.zeros((2, 16000)), ValueError, r"more channels than samples.*\.T"),
        (np.zeros((16000, 0)), ValueError, "no channels"),
        (np.array(["a", "b"]), TypeError, "expected a 1-D waveform"),
        (np.zeros(1000, dtype=bool), TypeError, "dtype bool"),
        (np.zeros(1000, dtype=complex), TypeError, "dtype complex128"),
        (None, TypeError, "dtype object"),
    ],
)
def test_bad_waveform_error_names_item_and_sample(x, error, expected):
    good = speech_like(0.5)
    with pytest.raises(error, match=expected) as info:
        LLDExtractor().transform([good, x])
    assert "X[1]" in str(info.value)


def test_stereo_sample_error_names_channel():
    x = np.zeros((1000, 2))
    x[321, 1] = 2.0
    with pytest.raises(ValueError, match=r"X\[0\]: sample 321 \(channel 1\) is 2.0"):
        LLDExtractor().transform([x])


@pytest.mark.parametrize(
    "X, error, expected",
    [
        ("utt.wav", TypeError, "got a single str"),
        (pathlib.Path("utt.wav"), TypeError, "got a single"),
        (b"utt.wav", TypeError, "got a single bytes"),
        (np.zeros(16000), TypeError, r"pass \[x\] for a single 1-D waveform"),
        (3.0, TypeError, "got float"),
        ({"a": 1}, TypeError, "got dict"),
        ([], ValueError, "X is empty"),
        ([""], ValueError, r"X\[0\] is an empty string"),
        (["bad\0path.wav"], ValueError, r"X\[0\] .* NUL character"),
        (["https://example.org/a.wav"], ValueError, r"X\[0\] .* is a URL"),
        ([b"utt.wav"], TypeError, r"X\[0\] is bytes"),
    ],
)
def test_bad_X_structure(X, error, expected):
    with pytest.raises(error, match=expected):
        LLDExtractor().transform(X)


def test_mix_of_paths_and_arrays(tmp_path):
    path = write(tmp_path / "a.wav", speech_like(0.5))
    with pytest.raises(TypeError, match=r"mixes file paths and waveforms \(X\[1\] "
                                        r"is a path, X\[0\] is not\)"):
        LLDExtractor().transform([speech_like(0.5), path])
    with pytest.raises(TypeError, match=r"mixes file paths and waveforms"):
        LLDExtractor().transform([path, speech_like(0.5)])


def test_bad_input_never_reaches_opensmile(bad_files, count_extractions):
    for case in ("nan", "out_of_range", "too_short", "zero_length", "corrupt"):
        with pytest.raises(ValueError):
            LLDExtractor().transform([bad_files[case]])
    with pytest.raises(ValueError):
        LLDExtractor().transform([np.r_[np.zeros(500), np.nan, np.zeros(500)]])
    assert count_extractions == []


# -- parallel -----------------------------------------------------------------

def test_n_jobs_same_result_in_input_order(wav_files):
    X = wav_files * 3
    serial = LLDExtractor().transform(X)
    parallel = LLDExtractor(n_jobs=2).transform(X)
    assert len(parallel) == len(X)
    for a, b in zip(serial, parallel, strict=True):
        np.testing.assert_array_equal(a, b)


def test_any_joblib_backend_and_chunked_tasks(wav_files, monkeypatch):
    X = wav_files * 10  # 60 small files
    serial = LLDExtractor().transform(X)
    chunks = []
    original = lld_module._process_chunk

    def spy(items, sampling_rate, memory):
        chunks.append([index for index, _, _ in items])
        return original(items, sampling_rate, memory)

    monkeypatch.setattr(lld_module, "_process_chunk", spy)
    with joblib.parallel_config(backend="threading", n_jobs=2):
        threaded = LLDExtractor().transform(X)
    for a, b in zip(serial, threaded, strict=True):
        np.testing.assert_array_equal(a, b)
    # several files per task, contiguous chunks covering every input once
    assert 2 <= len(chunks) <= 8
    assert sorted(i for c in chunks for i in c) == list(range(len(X)))
    assert all(c == list(range(c[0], c[-1] + 1)) for c in chunks)


def test_dask_backend(wav_files):
    distributed = pytest.importorskip("distributed")
    serial = LLDExtractor().transform(wav_files)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster), joblib.parallel_config(backend="dask"):
        out = LLDExtractor(n_jobs=-1).transform(wav_files)
    for a, b in zip(serial, out, strict=True):
        np.testing.assert_array_equal(a, b)


def test_worker_error_is_the_same_clear_error(bad_files):
    X = [bad_files["good"], bad_files["corrupt"], bad_files["good"],
         bad_files["missing"]]
    with pytest.raises(ValueError) as serial:
        LLDExtractor().transform(X)
    with pytest.raises(ValueError) as parallel:
        LLDExtractor(n_jobs=2).transform(X)
    assert str(serial.value) == str(parallel.value)
    assert bad_files["corrupt"] in str(parallel.value)


def test_chunk_bounds():
    bounds = lld_module._chunk_bounds([100] * 10 + [1000] * 2, 4)
    assert bounds[0][0] == 0 and bounds[-1][1] == 12
    assert all(a < b for a, b in bounds)
    assert all(bounds[k][1] == bounds[k + 1][0] for k in range(len(bounds) - 1))
    assert len(bounds) <= 4
    assert lld_module._chunk_bounds([5], 8) == [(0, 1)]


# -- cache --------------------------------------------------------------------

def test_cache_hit_does_not_extract(wav_files, tmp_path, count_extractions):
    lld = LLDExtractor(memory=tmp_path / "cache")
    first = lld.transform(wav_files)
    assert len(count_extractions) == len(wav_files)
    second = lld.transform(wav_files)
    assert len(count_extractions) == len(wav_files)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    # a joblib.Memory on the same location shares the entries
    memory = joblib.Memory(os.fspath(tmp_path / "cache"), verbose=0)
    LLDExtractor(memory=memory).transform(wav_files)
    assert len(count_extractions) == len(wav_files)


def test_cache_is_keyed_on_content_not_path(tmp_path, count_extractions):
    x = speech_like(1.0, seed=7)
    a = write(tmp_path / "a.wav", x)
    lld = LLDExtractor(memory=os.fspath(tmp_path / "cache"))
    before = lld.transform([a])[0]
    # the same bytes under another name: no extraction
    b = tmp_path / "copy.wav"
    b.write_bytes(pathlib.Path(a).read_bytes())
    lld.transform([os.fspath(b)])
    assert len(count_extractions) == 1
    # the file changes in place: extracted again, new features
    write(a, speech_like(1.0, seed=8))
    after = lld.transform([a])[0]
    assert len(count_extractions) == 2
    assert not np.array_equal(before, after)
    # another sampling rate is another entry
    LLDExtractor(memory=tmp_path / "cache", sampling_rate=8000).transform([a])
    assert len(count_extractions) == 3


def test_cache_of_arrays(tmp_path, count_extractions):
    x = speech_like(1.0, seed=9)
    lld = LLDExtractor(memory=tmp_path / "cache")
    ref = lld.transform([x])[0]
    np.testing.assert_array_equal(lld.transform([x.copy()])[0], ref)
    assert len(count_extractions) == 1
    y = x.copy()
    y[100] += 0.01
    lld.transform([y])
    assert len(count_extractions) == 2


def test_memory_clear_empties_the_cache(wav_files, tmp_path, count_extractions):
    memory = joblib.Memory(os.fspath(tmp_path / "cache"), verbose=0)
    LLDExtractor(memory=memory).transform(wav_files[:2])
    memory.clear(warn=False)
    LLDExtractor(memory=memory).transform(wav_files[:2])
    assert len(count_extractions) == 4


def test_memory_none_location_disables_cache(wav_files, count_extractions):
    lld = LLDExtractor(memory=joblib.Memory(None))
    lld.transform(wav_files[:2])
    lld.transform(wav_files[:2])
    assert len(count_extractions) == 4


def test_bad_file_does_not_lose_cached_work(wav_files, tmp_path, count_extractions):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not audio at all")
    X = wav_files[:3] + [os.fspath(bad)] + wav_files[3:]
    lld = LLDExtractor(memory=tmp_path / "cache")
    with pytest.raises(ValueError, match=r"(?s)they are cached.*X\[3\] .*bad.wav"):
        lld.transform(X)
    assert len(count_extractions) == len(wav_files)
    write(bad, speech_like(0.7, seed=42))  # fix the file
    out = lld.transform(X)
    assert len(count_extractions) == len(wav_files) + 1  # only the fixed file
    assert len(out) == len(X)


def test_bad_file_does_not_lose_cached_work_in_parallel(wav_files, tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not audio at all")
    X = wav_files + [os.fspath(bad)]
    cache = tmp_path / "cache"
    with pytest.raises(ValueError, match="bad.wav"):
        LLDExtractor(memory=cache, n_jobs=2).transform(X)
    entries = list((cache / "joblib" / "sklearn_ser" / "LLDExtractor").glob("*/*.lld"))
    assert len(entries) == len(wav_files)


def test_cross_validate_and_grid_search_extract_each_file_once(
        tmp_path, count_extractions):
    files = [write(tmp_path / f"u{i}.wav", speech_like(0.4 + 0.05 * i, seed=i))
             for i in range(12)]
    y = np.array([0, 1] * 6)
    pipe = make_pipeline(
        LLDExtractor(memory=tmp_path / "cache"),
        PadCrop(n_frames=20, fill_value=0.0),
        FunctionTransformer(lambda X: X.reshape(len(X), -1)),
        LogisticRegression(max_iter=200),
    )
    cross_validate(pipe, files, y, cv=KFold(3))
    GridSearchCV(pipe, {"logisticregression__C": [0.1, 1.0]}, cv=KFold(3)).fit(
        files, y)
    assert sorted(count_extractions) == sorted(set(count_extractions))
    assert len(count_extractions) == len(files)


def test_damaged_cache_entry_is_re_extracted(tmp_path, count_extractions):
    x = speech_like(0.5)
    lld = LLDExtractor(memory=tmp_path / "cache")
    ref = lld.transform([x])[0]
    [entry] = (tmp_path / "cache").rglob("*.lld")
    good = entry.read_bytes()
    for damaged in (b"garbage", good[:-4], good + b"x", b"X" + good[1:]):
        entry.write_bytes(damaged)
        np.testing.assert_array_equal(lld.transform([x])[0], ref)
    assert len(count_extractions) == 5
    np.testing.assert_array_equal(lld.transform([x])[0], ref)  # repaired
    assert len(count_extractions) == 5


# -- estimator API ------------------------------------------------------------

def test_stateless_transformer_api():
    lld = LLDExtractor()
    X = [speech_like(0.5)]
    assert lld.fit(X) is lld
    assert not [k for k in vars(lld) if k.endswith("_") and not k.startswith("_")]
    LLDExtractor().transform(X)  # no fit needed
    tags = lld.__sklearn_tags__()
    assert tags.requires_fit is False
    assert tags.target_tags.required is False
    assert tags.input_tags.string is True


@pytest.mark.parametrize(
    "check",
    [_checks.check_clone, _checks.check_get_set_params,
     _checks.check_fit_returns_self, _checks.check_pickle_roundtrip,
     _checks.check_input_not_modified, _checks.check_fit_idempotent],
    ids=lambda c: c.__name__,
)
def test_conformance(check):
    X = [speech_like(0.4, seed=i) for i in range(3)]
    check(LLDExtractor(), X, None)


@pytest.mark.parametrize(
    "params",
    [{"sampling_rate": 100}, {"sampling_rate": 16000.5}, {"n_jobs": "two"},
     {"memory": 3}, {"verbose": "yes"}],
)
def test_invalid_params(params):
    X = [speech_like(0.3)]
    with pytest.raises(InvalidParameterError):
        LLDExtractor(**params).fit(X)
    with pytest.raises(InvalidParameterError):
        LLDExtractor(**params).transform(X)


def test_pickle_with_memory(tmp_path):
    lld = LLDExtractor(memory=joblib.Memory(tmp_path, verbose=0), n_jobs=2)
    restored = pickle.loads(pickle.dumps(lld))
    assert restored.get_params()["n_jobs"] == 2
    clone(lld)


def test_verbose_progress_bar(capsys):
    LLDExtractor(verbose=True).transform([speech_like(0.3)] * 3)
    assert "LLDExtractor" in capsys.readouterr().err
    LLDExtractor().transform([speech_like(0.3)])
    assert capsys.readouterr().err == ""


def test_docstring_examples():
    result = doctest.testmod(lld_module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("case", ["missing", "corrupt", "zero_length", "too_short",
                                  "nan", "out_of_range", "directory"])
def test_read_waveform_fails_as_transform_does(bad_files, case):
    path = bad_files[case]
    with pytest.raises(ValueError) as read:
        lld_module._read_waveform(path, SR)
    with pytest.raises(ValueError) as transform:
        LLDExtractor().transform([path])
    assert str(read.value).startswith(f"X[0] ({path!r}): ")
    assert str(read.value) in str(transform.value)


def test_read_waveform_mixes_down_and_resamples(tmp_path):
    x = speech_like(0.5)
    stereo = np.stack([x, -0.5 * x], axis=1)
    path = write(tmp_path / "stereo.wav", stereo, sr=SR, subtype="FLOAT")
    mono = lld_module._read_waveform(path, SR)
    assert mono.dtype == np.float32
    np.testing.assert_allclose(mono, stereo.mean(axis=1), atol=1e-7)
    # an array is checked and mixed down the same way
    np.testing.assert_allclose(lld_module._read_waveform(stereo, SR), mono, atol=1e-7)
    # at another rate: the samples the extractor computes its features from
    up = lld_module._read_waveform(path, 2 * SR)
    assert up.shape == (2 * len(x),)
    with pytest.raises(ValueError, match=r"X\[0\] has shape \(2, 3, 4\)"):
        lld_module._read_waveform(np.zeros((2, 3, 4)), SR)
