"""Tests of sklearn_ser.features._audio: checking, reading and converting audio input."""

import doctest
import math
import pathlib
import warnings

import numpy as np
import pytest

import sklearn_ser.features._audio as audio_module
import sklearn_ser.features._audiofile as audiofile_module
import sklearn_ser.features._notes as notes_module
from sklearn_ser import LLDExtractor

from .._signals import SR, harmonic_tone, speech_like, write

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
        ("out_of_range", r"sample 777 is 40.0, outside \[-2, 2\]"),
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
        audiofile_module.read_waveform(path, SR)
    with pytest.raises(ValueError) as transform:
        LLDExtractor().transform([path])
    assert str(read.value).startswith(f"X[0] ({path!r}): ")
    assert str(read.value) in str(transform.value)


def test_read_waveform_mixes_down_and_resamples(tmp_path):
    x = speech_like(0.5)
    stereo = np.stack([x, -0.5 * x], axis=1)
    path = write(tmp_path / "stereo.wav", stereo, sr=SR, subtype="FLOAT")
    mono = audiofile_module.read_waveform(path, SR)
    assert mono.dtype == np.float32
    np.testing.assert_allclose(mono, stereo.mean(axis=1), atol=1e-7)
    # an array is checked and mixed down the same way
    np.testing.assert_allclose(audiofile_module.read_waveform(stereo, SR), mono, atol=1e-7)
    # at another rate: the samples the extractor computes its features from
    up = audiofile_module.read_waveform(path, 2 * SR)
    assert up.shape == (2 * len(x),)
    with pytest.raises(ValueError, match=r"X\[0\] has shape \(2, 3, 4\)"):
        audiofile_module.read_waveform(np.zeros((2, 3, 4)), SR)


def test_docstring_examples():
    result = doctest.testmod(audio_module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


# -- beyond full scale: lossy decoders, clipped recordings ----------------------

def _has_format(name):
    import soundfile as sf

    return name in sf.available_formats()


#: (format, subtype, extension, sampling rate of the file): the lossy codecs
#: soundfile writes, each a real encode/decode round trip.
LOSSY = [
    pytest.param("MP3", "MPEG_LAYER_III", "mp3", SR, id="mp3",
                 marks=pytest.mark.skipif(not _has_format("MP3"),
                                          reason="libsndfile without MP3")),
    pytest.param("OGG", "VORBIS", "ogg", SR, id="vorbis"),
    pytest.param("OGG", "OPUS", "opus", 48000, id="opus",
                 marks=pytest.mark.skipif(not _has_format("OGG"),
                                          reason="libsndfile without OGG")),
]


def _loud_speech(sr, seconds=2.0, peak=0.999):
    """Speech-like audio normalised to ``peak``, as corpora are mastered."""
    x = speech_like(seconds, seed=3, sr=sr)
    return peak * x / np.abs(x).max()


def _encode(tmp_path, fmt, subtype, ext, sr, x):
    import soundfile as sf

    path = tmp_path / f"loud.{ext}"
    sf.write(path, x, sr, format=fmt, subtype=subtype)
    return str(path)


@pytest.mark.parametrize("fmt, subtype, ext, sr", LOSSY)
def test_decoder_overshoot_of_a_lossy_file_is_clipped_not_refused(
        tmp_path, fmt, subtype, ext, sr):
    import soundfile as sf

    path = _encode(tmp_path, fmt, subtype, ext, sr, _loud_speech(sr))
    decoded, _ = sf.read(path, dtype="float32")
    assert np.abs(decoded).max() > 1.0  # the decoder overshoots full scale
    good = write(tmp_path / "good.wav", speech_like(0.5, sr=sr), sr)
    with warnings.catch_warnings():
        warnings.simplefilter("error", notes_module.AudioWarning)  # not clipped
        feats = LLDExtractor(sampling_rate=sr).transform([good, path])
    assert np.isfinite(feats[1]).all()
    # the decoded samples clipped to [-1, 1] by hand (decoding in blocks can
    # differ from one whole read in the last bit)
    clipped = np.clip(decoded, -1, 1)
    [expected] = LLDExtractor(sampling_rate=sr).transform([clipped])
    np.testing.assert_allclose(feats[1], expected, rtol=1e-4, atol=1e-3)


def test_files_without_overshoot_give_the_features_of_their_samples(tmp_path):
    import soundfile as sf

    from sklearn_ser.features._opensmile import ENGINE

    for subtype in ("PCM_16", "FLOAT"):
        path = write(tmp_path / f"a_{subtype}.wav", speech_like(1.2, seed=5),
                     subtype=subtype)
        x, _ = sf.read(path, dtype="float32")
        [feats] = LLDExtractor().transform([path])
        np.testing.assert_array_equal(feats, ENGINE.extract([x], SR, len(x)))


def test_float_file_far_beyond_full_scale_is_refused(tmp_path):
    x = speech_like(1.0)
    x[50] = 2.5  # not decoder overshoot: int16 values stored as floats look so
    path = write(tmp_path / "scaled.wav", x, subtype="FLOAT")
    with pytest.raises(ValueError, match=r"sample 50 is 2.5, outside \[-2, 2\].*"
                                         "divide them by 32768"):
        LLDExtractor().transform([path])


def test_arrays_beyond_full_scale_need_clip(tmp_path):
    x = speech_like(1.0) * 0.95
    x[100] = 1.02
    with pytest.raises(ValueError, match=r"sample 100 is 1.02, outside \[-1, 1\]"
                                         r".*LLDExtractor\(clip=True\)"):
        LLDExtractor().transform([x])
    [got] = LLDExtractor(clip=True).transform([x])
    [expected] = LLDExtractor().transform([np.clip(x, -1, 1)])
    np.testing.assert_array_equal(got, expected)
    x[200] = 3.0  # beyond decoder overshoot: refused even with clip=True
    with pytest.raises(ValueError, match=r"sample 200 is 3.0, outside \[-2, 2\]"):
        LLDExtractor(clip=True).transform([x])


def test_clip_is_validated():
    with pytest.raises(ValueError, match="clip"):
        LLDExtractor(clip="yes").transform([speech_like(0.5)])


def test_a_clipped_recording_warns_once_naming_the_files(tmp_path):
    clean = write(tmp_path / "clean.wav", _loud_speech(SR))
    clipped = [write(tmp_path / f"clipped{i}.wav",
                     np.clip(4 * _loud_speech(SR), -1, 1)) for i in range(2)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        LLDExtractor().transform([clean, *clipped])
    audio = [w for w in caught if issubclass(w.category, notes_module.AudioWarning)]
    assert len(audio) == 1
    message = str(audio[0].message)
    assert message.startswith("2 of 3 inputs are clipped recordings")
    assert "clipped0.wav" in message and "clipped1.wav" in message
    assert "clean.wav" not in message
    with warnings.catch_warnings():
        warnings.simplefilter("error", notes_module.AudioWarning)
        LLDExtractor().transform([clean])


@pytest.mark.parametrize("fmt, subtype, ext, sr", LOSSY)
def test_a_clipped_recording_through_a_lossy_codec_warns(tmp_path, fmt, subtype,
                                                          ext, sr):
    x = np.clip(4 * _loud_speech(sr), -1, 1)
    path = _encode(tmp_path, fmt, subtype, ext, sr, x)
    with pytest.warns(notes_module.AudioWarning, match=r"of the samples at full "
                                                       "scale: a clipped recording"):
        LLDExtractor(sampling_rate=sr).transform([path])


def test_clipped_share_of_integer_pcm_counts_the_extremes():
    x = np.zeros(16000, np.int16)
    x[::100] = 32767
    x[1::100] = -32768  # 2 % at full scale
    with pytest.warns(notes_module.AudioWarning, match=r"X\[0\]: 2.0% of the "
                                                       "samples at full scale"):
        LLDExtractor().transform([x])


# -- formats ----------------------------------------------------------------------

@pytest.mark.parametrize("fmt, subtype, ext, sr", [
    pytest.param("WAV", "PCM_16", "wav", SR, id="wav-pcm16"),
    pytest.param("WAV", "PCM_24", "wav", SR, id="wav-pcm24"),
    pytest.param("WAV", "FLOAT", "wav", SR, id="wav-float"),
    pytest.param("WAV", "ULAW", "wav", 8000, id="wav-ulaw"),
    pytest.param("FLAC", "PCM_16", "flac", SR, id="flac"),
    pytest.param("AIFF", "PCM_16", "aiff", SR, id="aiff"),
    *LOSSY,
])
def test_each_readable_format_is_read(tmp_path, fmt, subtype, ext, sr):
    x = speech_like(1.5, seed=2, sr=sr) * 0.8
    path = _encode(tmp_path, fmt, subtype, ext, sr, x)
    [feats] = LLDExtractor(sampling_rate=sr).transform([path])
    # lossy codecs add or drop a few milliseconds
    assert abs(feats.shape[0] - audio_module.n_frames(len(x), sr)) <= 5
    assert np.isfinite(feats).all()
    # the same speech as the signal before encoding: the same median energy
    [ref] = LLDExtractor(sampling_rate=sr).transform([x])
    energy = 1
    assert np.median(feats[:, energy]) == pytest.approx(np.median(ref[:, energy]),
                                                        rel=0.2)


@pytest.mark.parametrize("head, name", [
    (b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00", "an MP4/M4A container"),
    (b"\xff\xf1\x50\x80\x02\x1f\xfc" + bytes(32), "an AAC stream"),
    (b"\x1aE\xdf\xa3" + bytes(32), "a Matroska/WebM container"),
    (b"0&\xb2u\x8ef\xcf\x11" + bytes(32), "an ASF container"),
    (b"#!AMR\n" + bytes(32), "an AMR file"),
])
def test_an_unreadable_container_is_named(tmp_path, head, name):
    path = tmp_path / "clip.m4a"
    path.write_bytes(head + bytes(2000))
    with pytest.raises(ValueError, match=rf"X\[0\] .*clip.m4a.*: {name}.*does not "
                                         "decode; readable are WAV"):
        LLDExtractor().transform([str(path)])


# -- narrowband audio ---------------------------------------------------------------

def test_narrowband_file_warns_once_per_call_naming_the_files(tmp_path):
    wide = write(tmp_path / "wide.wav", speech_like(1.0))
    narrow = [write(tmp_path / f"phone{i}.wav", speech_like(1.0, sr=8000), 8000)
              for i in range(3)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        LLDExtractor().transform([wide, *narrow])
    audio = [str(w.message) for w in caught
             if issubclass(w.category, notes_module.AudioWarning)]
    assert len(audio) == 1
    assert audio[0].startswith("3 of 4 inputs are sampled below the features' "
                               "16000 Hz")
    assert all(f"phone{i}.wav" in audio[0] for i in range(3))
    assert "wide.wav" not in audio[0]
    assert "no frequencies above 4000 Hz" in audio[0]
    notes_module._REPORTED.clear()  # named once per process
    with pytest.warns(notes_module.AudioWarning,
                      match=r"X\[0\] .*phone0.wav.*: sampled at 8000 Hz"):
        LLDExtractor().transform([narrow[0]])
    # at the file's own rate it is not narrowband
    with warnings.catch_warnings():
        warnings.simplefilter("error", notes_module.AudioWarning)
        LLDExtractor(sampling_rate=8000).transform([narrow[0]])
        LLDExtractor().transform([write(tmp_path / "w48.wav",
                                        speech_like(1.0, sr=48000), 48000)])


def test_notes_survive_the_feature_cache(tmp_path):
    narrow = write(tmp_path / "phone.wav", speech_like(1.0, sr=8000), 8000)
    lld = LLDExtractor(memory=tmp_path / "cache")
    for _ in range(2):  # extracted, then read from the cache
        [_], [(label, notes, source)] = lld._extract([narrow])
        assert notes.rate == 8000 and source == narrow and "phone.wav" in label
        notes_module._REPORTED.clear()
        with pytest.warns(notes_module.AudioWarning, match="sampled at 8000 Hz"):
            lld.transform([narrow])


def test_an_input_is_named_once_per_process(tmp_path):
    """The folds of a cross-validation do not repeat the same warning."""
    narrow = write(tmp_path / "phone.wav", speech_like(1.0, sr=8000), 8000)
    other = write(tmp_path / "other.wav", speech_like(1.2, sr=8000), 8000)
    clipped = np.clip(4 * _loud_speech(SR), -1, 1)
    with pytest.warns(notes_module.AudioWarning):
        LLDExtractor().transform([narrow])
        LLDExtractor(clip=True).transform([clipped])
    with warnings.catch_warnings():
        warnings.simplefilter("error", notes_module.AudioWarning)
        LLDExtractor().transform([narrow])
        LLDExtractor().transform([clipped.copy()])  # the same samples
    with pytest.warns(notes_module.AudioWarning) as caught:
        LLDExtractor().transform([narrow, other])
    [message] = [str(w.message) for w in caught]
    assert "other.wav" in message and "phone.wav" not in message
    assert message.startswith("X[1] ")
