"""Tests of sklearn_ser.features._speech: the speech detector and the non-speech check."""

import warnings

import numpy as np
import pytest

from sklearn_ser import LLDExtractor
from sklearn_ser.datasets import make_emotional_speech
from sklearn_ser.features._audiofile import read_waveform
from sklearn_ser.features._notes import AudioWarning
from sklearn_ser.features._speech import speech_frames, speech_problem, speech_regions

from .._signals import music_like, real_speech, with_noise

SR = 16000


@pytest.fixture(scope="module")
def extractor():
    return LLDExtractor(sampling_rate=SR).fit([])


def _frames(extractor, signal):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AudioWarning)
        return extractor.transform([np.asarray(signal, dtype=np.float32)])[0]


def _problem(extractor, signal):
    return speech_problem(_frames(extractor, signal),
                          extractor.get_feature_names_out())


@pytest.fixture(scope="module")
def real_clips():
    """The real speech fixtures at 16 kHz (8 kHz recordings, resampled)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AudioWarning)
        return [read_waveform(path, SR) for path in real_speech()]


def _reference(x, min_pause=0.3):
    """Frames of a clean clip that are speech: its 10 ms frames within 40 dB of
    the loudest, pauses shorter than ``min_pause`` bridged."""
    n = len(x) // 160
    level = 10 * np.log10((x[:n * 160].reshape(n, 160).astype(np.float64) ** 2)
                          .mean(axis=1) + 1e-12)
    active = np.flatnonzero(level > level.max() - 40)
    mask = np.zeros(n, bool)
    gaps = np.flatnonzero(np.diff(active) > round(100 * min_pause))
    for a, b in zip(np.r_[active[0], active[gaps + 1]], np.r_[active[gaps], active[-1]],
                    strict=True):
        mask[a:b + 1] = True
    return mask


# -- the non-speech check of predict -------------------------------------------------

def test_speech_passes(extractor):
    data = make_emotional_speech(n_samples=10, random_state=0)
    assert [_problem(extractor, x) for x in data.data] == [None] * 10


def test_real_speech_passes_also_in_noise(extractor, real_clips):
    for x in real_clips:
        assert _problem(extractor, x) is None
        for snr in (10, 5):  # openSMILE finds no voiced frame in some of these
            assert _problem(extractor, with_noise(x, snr, seed=snr)) is None


def test_a_low_voice_without_pitch_from_openSMILE_is_speech(extractor, real_clips):
    # morig.wav: a low male voice, 8 kHz. In white noise at 10 dB SNR the
    # IS09 pitch tracker finds no voiced frame at all; it is speech all the same.
    [x] = [x for x, path in zip(real_clips, real_speech(), strict=True)
           if path.endswith("morig.wav")]
    frames = _frames(extractor, with_noise(x, 10, seed=10))
    names = list(extractor.get_feature_names_out())
    assert not (frames[:, names.index("F0_sma")] > 0).any()
    assert not (frames[:, names.index("voiceProb_sma")] > 0.5).any()
    assert speech_problem(frames, names) is None
    assert speech_regions(frames)


@pytest.mark.parametrize("kind, reason", [
    ("silence", "silence (no frame louder than -75 dBFS)"),
    ("quiet noise", "silence"),
    ("white noise", "no speech found"),
    ("pink noise", "no speech found"),
    ("tone", "no speech found"),
    ("tone with vibrato", "no speech found"),
    ("beep", "a steady tone (pitch 44"),
    ("music", "pitches held in almost every frame"),
    ("short", "too short to hold speech"),
])
def test_non_speech_is_named(extractor, kind, reason):
    t = np.arange(2 * SR) / SR
    rng = np.random.default_rng(0)
    signal = {
        "silence": np.zeros(2 * SR),
        "quiet noise": 1e-5 * rng.standard_normal(2 * SR),
        "white noise": 0.1 * rng.standard_normal(2 * SR),
        "pink noise": with_noise(np.zeros(2 * SR) + 1e-3 * np.sin(t), 0, kind="pink"),
        "tone": 0.5 * np.sin(2 * np.pi * 220 * t),
        "tone with vibrato": 0.5 * np.sin(2 * np.pi * 220 * t
                                          + 3 * np.sin(2 * np.pi * 5 * t)),
        "beep": np.r_[np.zeros(SR // 2), 0.5 * np.sin(2 * np.pi * 440 * t[:SR // 2]),
                      np.zeros(SR // 2)],
        "music": music_like(3.0, seed=1),
        "short": 0.5 * np.sin(2 * np.pi * 220 * t[: SR // 20]),
    }[kind]
    assert reason in _problem(extractor, signal)


@pytest.mark.parametrize("seed", range(4))
def test_every_melody_is_music(extractor, seed):
    assert "pitches held" in _problem(extractor, music_like(3.0, seed=seed))


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match="'pcm_fftMag_mfcc_sma"):
        speech_problem(np.zeros((20, 2)), ["F0_sma", "pcm_RMSenergy_sma"])
    with pytest.raises(ValueError, match="'pcm_RMSenergy_sma'"):
        speech_regions(np.zeros((20, 2)), feature_names=["a", "b"])


# -- the speech regions of a recording --------------------------------------------------

def _recording(clips, pauses, rng_seed=0):
    """Clips separated by the given pauses (s), with the frames of each clip."""
    parts, spans, pos = [], [], 0
    for x, pause in zip(clips, pauses, strict=True):
        gap = np.zeros(int(pause * SR), np.float32)
        parts += [gap, x]
        pos += len(gap)
        spans.append((pos, pos + len(x)))
        pos += len(x)
    parts.append(np.zeros(int(0.5 * SR), np.float32))
    return np.concatenate(parts), spans


def _truth(rec, clips, spans):
    n = 1 + (len(rec) - 400) // 160
    truth = np.zeros(n, bool)
    for x, (a, _) in zip(clips, spans, strict=True):
        ref = _reference(x)
        first = a // 160
        truth[first:first + len(ref)] |= ref[:max(0, n - first)]
    return truth


@pytest.mark.parametrize("snr", [None, 20, 10])
def test_regions_of_real_speech_against_the_reference(extractor, real_clips, snr):
    pauses = [0.3, 1.0, 0.6, 2.0, 0.4]
    rec, spans = _recording(real_clips, pauses)
    truth = _truth(rec, real_clips, spans)
    if snr is not None:
        rec = with_noise(rec, snr, seed=1)
    frames = _frames(extractor, rec)
    found = np.zeros(len(frames), bool)
    for a, b in speech_regions(frames):
        found[a:b] = True
    recall, false_alarm = found[truth].mean(), found[~truth].mean()
    assert recall >= (0.95 if snr is None else 0.9)
    assert false_alarm <= 0.1


def test_a_pause_of_0_3_s_separates_two_utterances(extractor, real_clips):
    rec, spans = _recording(real_clips[:2], [0.5, 0.3])
    regions = speech_regions(_frames(extractor, rec))
    # no region holds the end of the first clip and the start of the second
    end_first, start_second = spans[0][1] // 160, spans[1][0] // 160
    assert not any(a < end_first and b > start_second for a, b in regions)


def test_speech_frames_ignore_a_steady_noise_floor(extractor, real_clips):
    x = real_clips[0]
    rec = np.r_[np.zeros(SR), x, np.zeros(SR)].astype(np.float32)
    noisy = with_noise(rec, 20, seed=2)
    frames = _frames(extractor, noisy)
    speech = speech_frames(frames)
    assert not speech[:80].any() and not speech[-80:].any()
    assert speech.any()
    assert speech_frames(frames[:0]).shape == (0,)
    assert speech_regions(frames[:0]) == []
