"""Hostile audio input: absurd rates, files that are not files, ambiguous ints.

Part of the robustness suite (the cases are in ``tests/_cases.py``).
"""

import os
import threading
import tracemalloc

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import resample_poly

from sklearn_ser import LLDExtractor
from sklearn_ser.features._audiofile import AudioFile

from ..test_robustness import SR, _voice, covers


def _finishes(func, timeout=30):
    """``func()``'s exception (or None) if it returns within ``timeout`` s."""
    outcome = {}

    def run():
        try:
            func()
            outcome["error"] = None
        except Exception as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    assert "error" in outcome, f"still running after {timeout} s"
    return outcome["error"]


@covers("audio-rate-1hz")
@pytest.mark.parametrize("rate", [1, 10_000_000])
def test_absurd_sampling_rates_are_refused(tmp_path, rate):
    path = tmp_path / f"rate{rate}.wav"
    sf.write(path, _voice(1.0)[:16000], rate, subtype="PCM_16")  # 32 KB
    assert path.stat().st_size < 40_000
    for memory in (None, str(tmp_path / "cache")):
        error = _finishes(lambda m=memory: LLDExtractor(memory=m).transform([path]))
        assert isinstance(error, ValueError)
        assert str(path) in str(error)
        assert f"sampling rate of {rate} Hz; expected 1000 to 768000 Hz" in str(error)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs")
@covers("audio-fifo")
def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.wav"
    os.mkfifo(fifo)
    for memory in (None, str(tmp_path / "cache")):
        error = _finishes(lambda m=memory: LLDExtractor(memory=m).transform([fifo]))
        assert isinstance(error, ValueError)
        assert f"X[0] ('{fifo}'): is a FIFO (named pipe), not a regular file" in str(
            error)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
@covers("audio-device-symlink")
def test_a_link_to_a_device_is_refused(tmp_path):
    link = tmp_path / "zero.wav"
    link.symlink_to("/dev/zero")
    for memory in (None, str(tmp_path / "cache")):
        error = _finishes(lambda m=memory: LLDExtractor(memory=m).transform([link]))
        assert isinstance(error, ValueError)
        assert f"('{link}'): is a device, not a regular file" in str(error)


@covers("audio-wide-int")
def test_integer_types_of_ambiguous_scale_are_refused():
    x16 = np.round(_voice() * 32767).astype(np.int16)
    for bad, dtype in [(x16.astype(np.int64), "int64"), (x16.tolist(), "int64"),
                       (x16.astype(np.int8), "int8"),
                       (x16.astype(np.uint16), "uint16")]:
        with pytest.raises(TypeError, match=rf"X\[0\] has dtype {dtype}; integer "
                                            r"waveforms are taken as PCM only .*"
                                            r"x\.astype\(np\.float32\) / 32768"):
            LLDExtractor().transform([bad])
    # what the message says works, and matches the int16 input
    np.testing.assert_allclose(
        LLDExtractor().transform([x16.astype(np.int64).astype(np.float32) / 32768])[0],
        LLDExtractor().transform([x16])[0], rtol=1e-5, atol=1e-4)


@covers("audio-long-resample")
def test_long_48k_stereo_file_is_resampled_in_blocks(tmp_path):
    path = tmp_path / "long.wav"
    seconds, rate = 120, 48000
    with sf.SoundFile(path, "w", rate, 2, subtype="PCM_16") as f:
        for k in range(seconds // 10):
            block = _voice(10, sr=rate, seed=k)
            f.write(np.stack([block, block[::-1]], axis=1))
    size = path.stat().st_size
    audio = AudioFile(str(path), "long.wav", SR)
    tracemalloc.start()
    try:
        n = sum(block.shape[0] for block in audio.blocks())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert n == audio.n == seconds * SR
    assert peak < 1.5 * size, (peak / 2**20, size / 2**20)
    # the same samples as resample_poly on the whole signal (a short file)
    short = tmp_path / "short.wav"
    stereo = np.stack([_voice(2, sr=44100), _voice(2, sr=44100, seed=1)], axis=1)
    sf.write(short, stereo, 44100, subtype="FLOAT")
    got = np.concatenate(list(AudioFile(str(short), "short.wav", SR).blocks()))
    mono = stereo.mean(axis=1, dtype=np.float64).astype(np.float32)
    np.testing.assert_allclose(got, resample_poly(mono, 160, 441), atol=1e-6)


@covers("audio-non-utf8-name")
def test_a_name_that_is_not_utf8_reads_with_and_without_a_cache(tmp_path):
    raw = os.fsencode(tmp_path) + b"/clip \xff\xfe.wav"
    try:
        with open(raw, "wb") as f:
            sf.write(f, _voice(), SR, format="WAV", subtype="PCM_16")
    except OSError:  # pragma: no cover - a file system that refuses such names
        pytest.skip("the file system refuses names that are not UTF-8")
    path = os.fsdecode(raw)
    plain = LLDExtractor().transform([path])[0]
    cached = LLDExtractor(memory=str(tmp_path / "cache")).transform([path])[0]
    np.testing.assert_array_equal(plain, cached)
    np.testing.assert_allclose(
        plain, LLDExtractor().transform([sf.read(raw, dtype="float32")[0]])[0],
        rtol=1e-5, atol=1e-4)
