"""Hostile audio input: absurd rates, files that are not files, ambiguous ints.

Part of the robustness suite (the cases are in ``tests/_cases.py``).
"""

import json
import os
import re
import subprocess
import sys
import threading
import tracemalloc

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import resample_poly

from sklearn_ser import LLDExtractor
from sklearn_ser.features._audio import BadInput
from sklearn_ser.features._audiofile import AudioFile
from sklearn_ser.features._bounds import DurationBound, check_max_duration
from sklearn_ser.features._opensmile import engine

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
        assert (f"('{link}'): is a character device (such as /dev/zero), not a "
                "regular file") in str(error)


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
    # resampled while decoded: the decoded signal (mono float32 at 48 kHz,
    # 23 MB, as large as the file) is never held
    assert peak < 0.35 * size, (peak / 2**20, size / 2**20)
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


def _silence_flac(path, hours, rate=8000):
    """A small FLAC file holding ``hours`` of silence."""
    block = np.zeros(rate * 600, np.int16)
    with sf.SoundFile(path, "w", rate, 1, subtype="PCM_16", format="FLAC") as f:
        for _ in range(round(hours * 6)):
            f.write(block)
    return path


@covers("audio-long-duration")
def test_a_file_longer_than_max_duration_is_refused_from_its_header(tmp_path,
                                                                    monkeypatch):
    long = _silence_flac(tmp_path / "long.flac", 1.5)  # 1.5 h in about 0.3 MB
    good = tmp_path / "good.wav"
    sf.write(good, _voice(), SR, subtype="PCM_16")
    assert long.stat().st_size < 2**20
    expected = LLDExtractor().transform([good])[0]

    def only_good(method):
        def check(audio, *args, **kwargs):
            assert audio.path == str(good), "the long file was decoded or hashed"
            return method(audio, *args, **kwargs)
        return check

    monkeypatch.setattr(AudioFile, "scan", only_good(AudioFile.scan))
    monkeypatch.setattr(AudioFile, "chunks", only_good(AudioFile.chunks))
    for memory in (None, str(tmp_path / "cache")):
        with pytest.raises(ValueError) as info:
            LLDExtractor(memory=memory).transform([str(good), str(long)])
        message = str(info.value)
        assert "1 of 2 inputs could not be used (1 others were extracted" in message
        assert re.search(r"X\[1\] \('.*long\.flac'\): its header declares "
                         r"43200000 samples at 8000 Hz \(5400\.0 s \(1\.5 h\)\), "
                         r"longer than max_duration=3600 s of LLDExtractor; pass "
                         r"a larger max_duration, or max_duration=None", message)
    monkeypatch.undo()
    # the good file's work is kept (the cache holds it), and a bound that
    # admits the file reads it
    got = LLDExtractor(memory=str(tmp_path / "cache")).transform([str(good)])[0]
    np.testing.assert_array_equal(got, expected)


@covers("audio-long-duration")
def test_decoding_stops_at_the_bound_when_the_header_gives_no_length(tmp_path):
    path = tmp_path / "clip.wav"
    sf.write(path, _voice(3.0), SR, subtype="PCM_16")
    audio = AudioFile(str(path), "clip.wav", SR, scan=False)  # header: 3 s
    audio.bound = DurationBound(2.0, "LLDExtractor")  # as if it gave no length
    with pytest.raises(BadInput, match=r"clip\.wav: it holds more than 32000 "
                                         r"samples at 16000 Hz \(decoding stopped "
                                         r"there\), longer than max_duration=2 s"):
        audio.scan()


def test_waveforms_are_bounded_too_and_none_means_no_bound():
    x = _voice(1.0)
    with pytest.raises(ValueError, match=r"X\[0\]: it holds 16000 samples at 16000 "
                                         r"Hz \(1\.0 s\), longer than "
                                         r"max_duration=0\.5 s of LLDExtractor"):
        LLDExtractor(max_duration=0.5).transform([x])
    np.testing.assert_array_equal(LLDExtractor(max_duration=None).transform([x])[0],
                                  LLDExtractor().transform([x])[0])
    for bad in (0, -1.0, float("nan"), "60"):
        with pytest.raises((ValueError, TypeError), match="max_duration"):
            LLDExtractor(max_duration=bad).fit([x])
    with pytest.raises(TypeError, match="max_duration must be a number of seconds"):
        LLDExtractor(max_duration=True).transform([x])  # not 1 second
    assert check_max_duration(60) == 60.0 and check_max_duration(None) is None
    for bad, error in ((True, TypeError), ("60", TypeError), (0, ValueError),
                       (float("nan"), ValueError)):
        with pytest.raises(error, match="max_duration"):
            check_max_duration(bad)


@pytest.mark.parametrize("rate", [7999, 768001, 3_000_000])
def test_the_features_rate_is_bounded_by_the_estimator_and_by_the_engine(rate):
    x = _voice(0.5)
    with pytest.raises(ValueError, match=r"sampling_rate.*8000.*768000"):
        LLDExtractor(sampling_rate=rate).fit([x])
    with pytest.raises(ValueError, match=rf"sampling_rate={rate} Hz is outside 8000 "
                                         r"to 768000 Hz"):
        engine("is09").extract([x], rate)


_COST_SCRIPT = """
import json, sys, time
import numpy as np
from sklearn_ser import LLDExtractor

def peak_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024

LLDExtractor().transform([np.zeros(16000, np.float32)])  # warm: imports, engine
before = peak_mib()
start = time.perf_counter()
try:
    frames = LLDExtractor().transform([sys.argv[1]])[0].shape[0]
    outcome = "extracted"
except ValueError as exc:
    frames, outcome = 0, str(exc)
print(json.dumps({"outcome": outcome, "frames": frames, "before": before,
                  "peak": peak_mib(), "seconds": time.perf_counter() - start}))
"""


def _extraction_cost(path):
    """What ``LLDExtractor().transform([path])`` costs in a fresh interpreter.

    Returns the outcome, the frames, the interpreter's peak resident memory
    (MiB) before and after the call, and the call's seconds.
    """
    if not os.path.exists("/proc/self/status"):  # pragma: no cover - not Linux
        pytest.skip("peak memory is read from /proc/self/status")
    out = subprocess.run([sys.executable, "-c", _COST_SCRIPT, str(path)],
                         capture_output=True, text=True, timeout=300, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@covers("audio-long-resample", "audio-long-duration")
def test_a_file_costs_memory_by_its_frames_not_by_its_decoded_length(tmp_path):
    rng = np.random.default_rng(0)
    costs = {}
    for rate in (16000, 48000):  # the same 10 minutes of audio at both rates
        path = tmp_path / f"ten_minutes_{rate}.flac"
        with sf.SoundFile(path, "w", rate, 1, subtype="PCM_16", format="FLAC") as f:
            for _ in range(60):
                f.write((0.1 * rng.standard_normal(10 * rate)).astype(np.float32))
        costs[rate] = _extraction_cost(path)
    for cost in costs.values():
        assert cost["outcome"] == "extracted" and cost["frames"] == 59998, cost
    grown = {rate: cost["peak"] - cost["before"] for rate, cost in costs.items()}
    # 10 minutes at 48 kHz decode to 110 MiB of float32 and at 16 kHz to
    # 37 MiB (openSMILE holds the signal at the model's rate): reading the
    # file at three times the rate must not cost its decoded length
    assert grown[48000] < grown[16000] + 24, (grown, costs)
    # a 0.3 MB FLAC file holding 1.5 hours is refused from its header at no cost
    bomb = _extraction_cost(_silence_flac(tmp_path / "bomb.flac", 1.5))
    assert "its header declares 43200000 samples" in bomb["outcome"], bomb
    assert bomb["peak"] - bomb["before"] < 8 and bomb["seconds"] < 1, bomb
