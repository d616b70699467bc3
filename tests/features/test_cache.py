"""Tests of sklearn_ser.features._cache: the per-input feature cache of LLDExtractor."""

import os
import pathlib

import joblib
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sklearn_ser import LLDExtractor, PadCrop

from .._signals import speech_like, write

# -- cache ----------------------------------------------------------------------


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
