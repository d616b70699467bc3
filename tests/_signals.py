"""Test signals and audio files shared by the test modules of the audio input."""

import os

import numpy as np
import pytest
import soundfile as sf

SR = 16000


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


def stock_is09(x_int16):
    """openSMILE's stock IS09 LLDs and deltas (two passes), as DataFrames."""
    opensmile = pytest.importorskip("opensmile")
    x = x_int16.astype(np.float64) / 32768  # the wrapper multiplies by 32768
    lld = opensmile.Smile(opensmile.FeatureSet.IS09,
                          opensmile.FeatureLevel.LowLevelDescriptors)
    deltas = opensmile.Smile(opensmile.FeatureSet.IS09,
                             opensmile.FeatureLevel.LowLevelDescriptors_Deltas)
    return lld.process_signal(x, SR), deltas.process_signal(x, SR)


def stock_lld(stock_set, x_int16, deltas=False):
    """openSMILE's stock low-level descriptors (or deltas) of ``stock_set``."""
    opensmile = pytest.importorskip("opensmile")
    level = (opensmile.FeatureLevel.LowLevelDescriptors_Deltas if deltas
             else opensmile.FeatureLevel.LowLevelDescriptors)
    smile = opensmile.Smile(getattr(opensmile.FeatureSet, stock_set), level)
    return smile.process_signal(x_int16.astype(np.float64) / 32768, SR)


def music_like(seconds=3.0, seed=0, sr=SR):
    """A melody: harmonic notes of 0.2-0.5 s from a pentatonic scale, each
    with a sharp attack and an exponential decay (a plucked instrument)."""
    rng = np.random.default_rng(seed)
    scale = 220 * 2 ** (np.array([0, 2, 4, 7, 9, 12, 14, 16]) / 12)
    notes, n = [], 0
    while n < seconds * sr:
        t = np.arange(int(rng.uniform(0.2, 0.5) * sr)) / sr
        f0 = rng.choice(scale)
        note = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 7))
        notes.append(note * np.exp(-4 * t) * np.minimum(1, t / 0.01))
        n += len(t)
    x = np.concatenate(notes)[:int(seconds * sr)]
    return 0.3 * x / np.abs(x).max()


def with_noise(x, snr_db, seed=0, kind="white"):
    """``x`` plus white (or pink) Gaussian noise at ``snr_db`` below the power
    of its active part (the frames within 40 dB of its loudest)."""
    rng = np.random.default_rng(seed)
    x = np.asarray(x, dtype=np.float64)
    frames = x[:len(x) // 160 * 160].reshape(-1, 160)
    power = (frames ** 2).mean(axis=1)
    active = power > power.max() * 1e-4
    noise = rng.standard_normal(len(x))
    if kind == "pink":
        spectrum = np.fft.rfft(noise)
        spectrum /= np.sqrt(np.maximum(np.arange(len(spectrum)), 1))
        noise = np.fft.irfft(spectrum, len(x))
    noise *= np.sqrt(power[active].mean() / 10 ** (snr_db / 10) / (noise ** 2).mean())
    return np.clip(x + noise, -1, 1)


REAL_SPEECH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data",
                           "real_speech")


def real_speech():
    """Paths of the real speech fixtures (see data/real_speech/README.md)."""
    return sorted(os.path.join(REAL_SPEECH, name) for name in os.listdir(REAL_SPEECH)
                  if name.endswith(".wav"))
