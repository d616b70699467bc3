"""A feature cache that checks itself: damaged, foreign and unwritable entries.

Part of the robustness suite (the cases are in ``tests/_cases.py``).
"""

import errno
import os
import shutil
import tempfile
import threading
import warnings

import numpy as np
import pytest
import soundfile as sf

from sklearn_ser import LLDExtractor
from sklearn_ser.features._audiofile import AudioFile
from sklearn_ser.features._cache import cache_key

from ..test_robustness import _counting, covers
from .test_hostile_audio import _voice

SR = 16000


@pytest.fixture
def clips(tmp_path):
    paths = []
    for i, seconds in enumerate((1.0, 0.6, 0.8)):
        paths.append(tmp_path / f"clip{i}.wav")
        sf.write(paths[-1], _voice(seconds, seed=i), SR, subtype="PCM_16")
    return paths


def _entries(cache):
    return sorted(cache.rglob("*.lld"), key=lambda p: p.stat().st_mtime_ns)


def _cached(paths, cache):
    return LLDExtractor(memory=str(cache)).transform(paths)


@covers("cache-flipped-byte")
def test_an_entry_with_a_flipped_byte_is_extracted_again(clips, tmp_path,
                                                         monkeypatch):
    cache = tmp_path / "cache"
    [expected] = _cached(clips[:1], cache)
    [entry] = _entries(cache)
    data = bytearray(entry.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit of one feature
    entry.write_bytes(bytes(data))
    calls = _counting(monkeypatch)
    [got] = _cached(clips[:1], cache)
    assert len(calls) == 1  # the damaged entry was not used
    np.testing.assert_array_equal(got, expected)
    [got] = _cached(clips[:1], cache)
    assert len(calls) == 1  # ... and it was repaired
    np.testing.assert_array_equal(got, expected)


@covers("cache-foreign-entry")
def test_a_shorter_entry_of_another_input_is_not_used(clips, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    expected = _cached(clips[:2], cache)
    long_entry, short_entry = (_entries(cache)[0], _entries(cache)[1])
    shutil.copy(short_entry, long_entry)  # well formed, fewer frames, wrong input
    calls = _counting(monkeypatch)
    got = _cached(clips[:2], cache)
    assert len(calls) == 1
    assert got[0].shape == expected[0].shape != expected[1].shape
    np.testing.assert_array_equal(got[0], expected[0])
    # an entry cut short (with its header's frame count changed to match)
    data = bytearray(long_entry.read_bytes())
    n = int.from_bytes(data[8:16], "little") - 5
    data[8:16] = n.to_bytes(8, "little")
    long_entry.write_bytes(bytes(data[:80 + n * 32 * 4]))
    got = _cached(clips[:1], cache)
    assert len(calls) == 2
    np.testing.assert_array_equal(got[0], expected[0])


@covers("cache-read-only")
def test_a_read_only_cache_warns_once_and_keeps_the_features(clips, tmp_path,
                                                             monkeypatch):
    cache = tmp_path / "cache"

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    # chmod does not stop root, so the file system's refusal is simulated
    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = _cached(clips, cache)
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    assert len(messages) == 1, messages
    assert "cannot be written (OSError: [Errno 30] Read-only file system)" in \
        messages[0]
    assert str(cache) in messages[0]
    monkeypatch.undo()
    for g, e in zip(got, LLDExtractor().transform(clips), strict=True):
        np.testing.assert_array_equal(g, e)
    assert _entries(cache) == []


@covers("cache-entry-directory")
def test_a_folder_in_place_of_an_entry_counts_as_damaged(clips, tmp_path,
                                                         monkeypatch):
    cache = tmp_path / "cache"
    [expected] = _cached(clips[:1], cache)
    [entry] = _entries(cache)
    entry.unlink()
    entry.mkdir()  # an empty folder: replaced by the entry again
    calls = _counting(monkeypatch)
    [got] = _cached(clips[:1], cache)
    assert len(calls) == 1 and entry.is_file()
    np.testing.assert_array_equal(got, expected)
    entry.unlink()
    entry.mkdir()
    (entry / "something").write_text("kept")  # not empty: left alone, one warning
    with pytest.warns(UserWarning, match="cannot be written"):
        [got] = _cached(clips[:1], cache)
    assert (entry / "something").read_text() == "kept"
    np.testing.assert_array_equal(got, expected)


@covers("cache-fifo-entry")
def test_a_fifo_in_place_of_an_entry_counts_as_missing(clips, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    [expected] = _cached(clips[:1], cache)
    [entry] = _entries(cache)
    entry.unlink()
    os.mkfifo(entry)  # no writer: opening it for reading would block
    calls = _counting(monkeypatch)
    outcome = {}

    def read():
        outcome["got"] = _cached(clips[:1], cache)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    thread.join(60)
    assert "got" in outcome, "reading the cache blocked on the FIFO"
    assert len(calls) == 1  # extracted again, and the entry written in its place
    np.testing.assert_array_equal(outcome["got"][0], expected)
    assert entry.is_file()


@covers("cache-symlinked-folder")
def test_no_entry_is_written_through_a_link_out_of_the_cache(clips, tmp_path):
    cache = tmp_path / "cache"
    [expected] = _cached(clips[:1], cache)
    [entry] = _entries(cache)
    shard = entry.parent
    shutil.rmtree(shard)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    shard.symlink_to(outside, target_is_directory=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        [got] = _cached(clips[:1], cache)
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    assert len(messages) == 1 and "cannot be written" in messages[0], messages
    assert "symbolic link" in messages[0]
    assert list(outside.iterdir()) == []  # nothing written outside the cache
    np.testing.assert_array_equal(got, expected)


@covers("cache-location-not-a-folder")
def test_a_file_in_place_of_the_cache_folder_warns_and_an_empty_path_is_refused(
        clips, tmp_path):
    location = tmp_path / "cache"
    location.write_text("not a folder")
    with pytest.warns(UserWarning, match=r"cannot be written .*computed and "
                                         r"returned without caching"):
        got = _cached(clips[:1], location)
    np.testing.assert_array_equal(got[0], LLDExtractor().transform(clips[:1])[0])
    assert location.read_text() == "not a folder"
    with pytest.raises(ValueError, match=r"memory='' is an empty path; expected the "
                                         r"folder of the feature cache"):
        LLDExtractor(memory="").transform(clips[:1])


@covers("cache-file-changed")
def test_a_file_that_changes_after_its_hash_is_refused_and_not_cached(
        clips, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    scan = AudioFile.scan

    def rewrite_then_scan(audio):  # another process writes the file meanwhile
        sf.write(audio.path, _voice(1.0, seed=9), SR, subtype="PCM_16")
        return scan(audio)

    monkeypatch.setattr(AudioFile, "scan", rewrite_then_scan)
    with pytest.raises(ValueError, match=r"clip0\.wav.*: the file changed while it "
                                         r"was read .*nothing is extracted or "
                                         r"cached from it"):
        _cached(clips[:1], cache)
    assert _entries(cache) == []
    monkeypatch.undo()
    # once it is complete, the new content is extracted and cached
    [got] = _cached(clips[:1], cache)
    np.testing.assert_array_equal(got, LLDExtractor().transform(clips[:1])[0])
    assert len(_entries(cache)) == 1


def test_a_file_is_hashed_in_blocks_with_the_key_of_its_whole_content(clips):
    data = clips[0].read_bytes()
    audio = AudioFile(str(clips[0]), "clip0.wav", SR, scan=False)
    chunks = list(audio.chunks(size=1000))
    assert len(chunks) == -(-len(data) // 1000) and b"".join(chunks) == data
    assert cache_key("file", iter(chunks), len(data), SR) == \
        cache_key("file", data, len(data), SR)
