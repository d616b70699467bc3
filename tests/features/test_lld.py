"""Tests of sklearn_ser.LLDExtractor (openSMILE IS09 LLDs + deltas)."""

import doctest
import pickle

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError

import sklearn_ser.features._extraction as extraction
import sklearn_ser.features._lld as lld_module
from sklearn_ser import LLDExtractor

from .. import _checks
from .._signals import SR, speech_like

# -- output format --------------------------------------------------------------


def test_feature_names():
    names = LLDExtractor().get_feature_names_out()
    assert names.shape == (32,)
    assert names[:4].tolist() == ["F0_sma", "pcm_RMSenergy_sma", "pcm_zcr_sma",
                                  "voiceProb_sma"]
    assert names[4:16].tolist() == [f"pcm_fftMag_mfcc_sma[{k}]" for k in range(1, 13)]
    expected_deltas = [n.replace("_sma", "_sma_de") for n in names[:16]]
    assert names[16:].tolist() == expected_deltas


def test_output_is_list_of_float32_in_input_order():
    lengths = [16000, 4000, 24000, 800]
    X = [speech_like(n / SR, seed=i) for i, n in enumerate(lengths)]
    out = LLDExtractor().fit_transform(X)
    assert isinstance(out, list) and len(out) == len(X)
    for feats, n in zip(out, lengths, strict=True):
        assert feats.dtype == np.float32
        assert feats.shape == (1 + (n - 400) // 160, 32)
        assert np.isfinite(feats).all()
    # each item's features do not depend on its neighbours
    again = LLDExtractor().transform(X[::-1])[::-1]
    for a, b in zip(out, again, strict=True):
        np.testing.assert_array_equal(a, b)


# -- bad input ------------------------------------------------------------------

def test_all_bad_files_are_reported_together(bad_files):
    X = [bad_files[k] for k in ("missing", "good", "nan", "corrupt")]
    with pytest.raises(ValueError) as info:
        LLDExtractor().transform(X)
    message = str(info.value)
    assert "3 of 4 inputs could not be used (1 others were extracted)" in message
    for i in (0, 2, 3):
        assert f"X[{i}] ({X[i]!r})" in message


def test_bad_input_never_reaches_opensmile(bad_files, count_extractions):
    for case in ("nan", "out_of_range", "too_short", "zero_length", "corrupt"):
        with pytest.raises(ValueError):
            LLDExtractor().transform([bad_files[case]])
    with pytest.raises(ValueError):
        LLDExtractor().transform([np.r_[np.zeros(500), np.nan, np.zeros(500)]])
    assert count_extractions == []


# -- parallel -------------------------------------------------------------------

def test_n_jobs_same_result_in_input_order(wav_files):
    X = wav_files * 3
    serial = LLDExtractor().transform(X)
    parallel = LLDExtractor(n_jobs=2).transform(X)
    assert len(parallel) == len(X)
    for a, b in zip(serial, parallel, strict=True):
        np.testing.assert_array_equal(a, b)


def test_any_joblib_backend_and_chunked_tasks(wav_files, monkeypatch):
    X = wav_files * 10  # 60 small files
    serial = LLDExtractor().transform(X)
    chunks = []
    original = extraction._process_chunk

    def spy(items, *args):
        chunks.append([index for index, *_ in items])
        return original(items, *args)

    monkeypatch.setattr(extraction, "_process_chunk", spy)
    with joblib.parallel_config(backend="threading", n_jobs=2):
        threaded = LLDExtractor().transform(X)
    for a, b in zip(serial, threaded, strict=True):
        np.testing.assert_array_equal(a, b)
    # several files per task, contiguous chunks covering every input once
    assert 2 <= len(chunks) <= 8
    assert sorted(i for c in chunks for i in c) == list(range(len(X)))
    assert all(c == list(range(c[0], c[-1] + 1)) for c in chunks)


def test_dask_backend(wav_files):
    distributed = pytest.importorskip("distributed")
    serial = LLDExtractor().transform(wav_files)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster), joblib.parallel_config(backend="dask"):
        out = LLDExtractor(n_jobs=-1).transform(wav_files)
    for a, b in zip(serial, out, strict=True):
        np.testing.assert_array_equal(a, b)


def test_worker_error_is_the_same_clear_error(bad_files):
    X = [bad_files["good"], bad_files["corrupt"], bad_files["good"],
         bad_files["missing"]]
    with pytest.raises(ValueError) as serial:
        LLDExtractor().transform(X)
    with pytest.raises(ValueError) as parallel:
        LLDExtractor(n_jobs=2).transform(X)
    assert str(serial.value) == str(parallel.value)
    assert bad_files["corrupt"] in str(parallel.value)


def test_chunk_bounds():
    from sklearn_ser.features._dispatch import chunk_bounds

    bounds = chunk_bounds([100] * 10 + [1000] * 2, 4)
    assert bounds[0][0] == 0 and bounds[-1][1] == 12
    assert all(a < b for a, b in bounds)
    assert all(bounds[k][1] == bounds[k + 1][0] for k in range(len(bounds) - 1))
    assert len(bounds) <= 4
    assert chunk_bounds([5], 8) == [(0, 1)]


# -- estimator API --------------------------------------------------------------

def test_stateless_transformer_api():
    lld = LLDExtractor()
    X = [speech_like(0.5)]
    assert lld.fit(X) is lld
    assert not [k for k in vars(lld) if k.endswith("_") and not k.startswith("_")]
    LLDExtractor().transform(X)  # no fit needed
    tags = lld.__sklearn_tags__()
    assert tags.requires_fit is False
    assert tags.target_tags.required is False
    assert tags.input_tags.string is True


@pytest.mark.parametrize(
    "check",
    [_checks.check_clone, _checks.check_get_set_params,
     _checks.check_fit_returns_self, _checks.check_pickle_roundtrip,
     _checks.check_input_not_modified, _checks.check_fit_idempotent],
    ids=lambda c: c.__name__,
)
def test_conformance(check):
    X = [speech_like(0.4, seed=i) for i in range(3)]
    check(LLDExtractor(), X, None)


@pytest.mark.parametrize(
    "params",
    [{"sampling_rate": 100}, {"sampling_rate": 16000.5}, {"n_jobs": "two"},
     {"memory": 3}, {"verbose": "yes"}],
)
def test_invalid_params(params):
    X = [speech_like(0.3)]
    with pytest.raises(InvalidParameterError):
        LLDExtractor(**params).fit(X)
    with pytest.raises(InvalidParameterError):
        LLDExtractor(**params).transform(X)


def test_pickle_with_memory(tmp_path):
    lld = LLDExtractor(memory=joblib.Memory(tmp_path, verbose=0), n_jobs=2)
    restored = pickle.loads(pickle.dumps(lld))
    assert restored.get_params()["n_jobs"] == 2
    clone(lld)


def test_verbose_progress_bar(capsys):
    LLDExtractor(verbose=True).transform([speech_like(0.3)] * 3)
    assert "LLDExtractor" in capsys.readouterr().err
    LLDExtractor().transform([speech_like(0.3)])
    assert capsys.readouterr().err == ""


def test_docstring_examples():
    result = doctest.testmod(lld_module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
