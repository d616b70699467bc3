"""Fixtures shared by the test modules: audio files and an extraction counter."""

import os
import pathlib

import numpy as np
import pytest

from sklearn_ser.features._opensmile import ENGINE

from ._signals import speech_like, write


@pytest.fixture(autouse=True)
def _audio_warnings_anew():
    """Each test sees the AudioWarnings of its inputs (named once per process)."""
    from sklearn_ser.features import _notes

    _notes._REPORTED.clear()
    yield
    _notes._REPORTED.clear()


@pytest.fixture
def wav_files(tmp_path):
    """Six speech-like 16-bit files of different lengths."""
    return [write(tmp_path / f"utt{i}.wav", speech_like(0.5 + 0.3 * i, seed=i))
            for i in range(6)]


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
    loud[777] = 40.0
    files["out_of_range"] = write(tmp_path / "loud.wav", loud, subtype="FLOAT")
    files["directory"] = os.fspath(tmp_path)
    return files


@pytest.fixture
def count_extractions(monkeypatch):
    """Count the openSMILE runs (serial, in-process extraction only)."""
    calls = []
    original = ENGINE.extract

    def counting(blocks, sampling_rate, size_hint=0):
        calls.append(size_hint)
        return original(blocks, sampling_rate, size_hint)

    monkeypatch.setattr(ENGINE, "extract", counting)
    return calls
