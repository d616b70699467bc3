"""Tests of sklearn_ser._audio: checking, reading and converting audio input."""

import doctest
import math
import pathlib

import numpy as np
import pytest

import sklearn_ser._audio as audio_module
from sklearn_ser import LLDExtractor

from ._signals import SR, harmonic_tone, speech_like, write

# -- frame count ----------------------------------------------------------------

@pytest.mark.parametrize(
    "n_samples, expected",
    [(400, 1), (559, 1), (560, 2), (16000, 98), (16079, 98), (16080, 99),
     (48000, 298), (160000, 998)],
)
def test_frame_count_formula_16k(n_samples, expected):
    # T = 1 + floor((N - 400) / 160): 100 frames per second of audio
    assert audio_module.n_frames(n_samples) == expected
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


# -- input conversions ----------------------------------------------------------

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


# -- bad input ------------------------------------------------------------------

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


# -- read_waveform --------------------------------------------------------------

@pytest.mark.parametrize("case", ["missing", "corrupt", "zero_length", "too_short",
                                  "nan", "out_of_range", "directory"])
def test_read_waveform_fails_as_transform_does(bad_files, case):
    path = bad_files[case]
    with pytest.raises(ValueError) as read:
        audio_module.read_waveform(path, SR)
    with pytest.raises(ValueError) as transform:
        LLDExtractor().transform([path])
    assert str(read.value).startswith(f"X[0] ({path!r}): ")
    assert str(read.value) in str(transform.value)


def test_read_waveform_mixes_down_and_resamples(tmp_path):
    x = speech_like(0.5)
    stereo = np.stack([x, -0.5 * x], axis=1)
    path = write(tmp_path / "stereo.wav", stereo, sr=SR, subtype="FLOAT")
    mono = audio_module.read_waveform(path, SR)
    assert mono.dtype == np.float32
    np.testing.assert_allclose(mono, stereo.mean(axis=1), atol=1e-7)
    # an array is checked and mixed down the same way
    np.testing.assert_allclose(audio_module.read_waveform(stereo, SR), mono, atol=1e-7)
    # at another rate: the samples the extractor computes its features from
    up = audio_module.read_waveform(path, 2 * SR)
    assert up.shape == (2 * len(x),)
    with pytest.raises(ValueError, match=r"X\[0\] has shape \(2, 3, 4\)"):
        audio_module.read_waveform(np.zeros((2, 3, 4)), SR)


def test_docstring_examples():
    result = doctest.testmod(audio_module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
