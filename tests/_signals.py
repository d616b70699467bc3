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
