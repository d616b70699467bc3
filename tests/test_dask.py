"""Tests of running the library on Dask (joblib's Dask backend, sklearn_ser.dask)."""

import os

import joblib
import numpy as np
import pytest
import soundfile as sf
import torch
from sklearn.model_selection import GridSearchCV, GroupKFold

from sklearn_ser import SCORING, LLDExtractor, make_ser_pipeline
from sklearn_ser.datasets import make_emotional_speech

distributed = pytest.importorskip("distributed")

from sklearn_ser.dask import WorkerSetup, local_cluster  # noqa: E402

from ._common import TINY_NET  # noqa: E402

GRID = {"classifier__attention": ["mean", "zhou"], "classifier__lr": [1e-2, 3e-3]}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """24 synthetic utterances of 3 sessions as wav files, and a corrupt file."""
    folder = tmp_path_factory.mktemp("corpus")
    data = make_emotional_speech(24, n_sessions=3, random_state=0)
    paths = []
    for i, x in enumerate(data.data):
        path = os.fspath(folder / f"utt{i:02d}.wav")
        sf.write(path, x, data.sampling_rate, subtype="PCM_16")
        paths.append(path)
    corrupt = os.fspath(folder / "corrupt.wav")
    with open(paths[0], "rb") as f:
        head = f.read(64)
    with open(corrupt, "wb") as f:  # a RIFF header followed by garbage
        f.write(head[:12] + b"\x00garbage" * 50)
    return dict(paths=paths, target=data.target, groups=data.groups,
                corrupt=corrupt, folder=folder)


@pytest.fixture(scope="module")
def client():
    """Two worker processes with one thread each, closed after the module."""
    with local_cluster(n_workers=2, threads_per_worker=1, dashboard_address=":0",
                       memory_limit="2GiB") as client:
        yield client


def _getenv(key):
    """``os.environ.get`` in the process that runs it."""
    return os.environ.get(key)


def _search(cache, cv=None, grid=GRID, **params):
    # The extractor keeps n_jobs=None: inside a worker, each fit extracts (or
    # reads the cache) in its own task.
    pipe = make_ser_pipeline(n_frames=150, memory=cache, **TINY_NET)
    return GridSearchCV(pipe, grid, scoring=SCORING, refit="UA",
                        cv=GroupKFold(n_splits=3) if cv is None else cv, **params)


# -- local_cluster and WorkerSetup ----------------------------------------------

def test_local_cluster_sets_up_the_workers(client):
    workers = client.scheduler_info()["workers"]
    assert len(workers) == 2
    assert all(w["nthreads"] == 1 for w in workers.values())
    # glibc's malloc defaults: no MALLOC_TRIM_THRESHOLD_ in the workers
    env = client.run(_getenv, "MALLOC_TRIM_THRESHOLD_")
    assert set(env.values()) == {None}
    setup = client.run(lambda dask_worker: dask_worker.plugins[WorkerSetup.name].malloc_)
    assert set(setup.values()) == {"default"}
    assert set(client.run(_getenv, "OMP_NUM_THREADS").values()) == {"1"}
    # one torch thread in the threads that run tasks
    futures = [client.submit(torch.get_num_threads, pure=False, workers=[w])
               for w in workers]
    assert client.gather(futures) == [1, 1]


def test_local_cluster_leaves_the_environment_alone():
    keys = ("MALLOC_TRIM_THRESHOLD_", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
            "OPENBLAS_NUM_THREADS", "PYTHONHASHSEED")
    before = {key: os.environ.get(key) for key in keys}
    n_threads = torch.get_num_threads()
    try:
        # processes=False: the worker is a thread of this process
        with local_cluster(n_workers=1, torch_threads=2, dashboard_address=":0",
                           processes=False) as client:
            assert len(client.scheduler_info()["workers"]) == 1
            assert client.submit(torch.get_num_threads, pure=False).result() == 2
    finally:
        torch.set_num_threads(n_threads)
    assert {key: os.environ.get(key) for key in keys} == before


@pytest.fixture
def restore_environment():
    """Dask's nanny writes its variables into the environment of this process."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


def test_worker_setup_corrects_workers_of_a_plain_cluster(restore_environment):
    # A LocalCluster with Dask's defaults starts workers with
    # MALLOC_TRIM_THRESHOLD_=65536; the plugin sets the thresholds instead.
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        assert None not in client.run(_getenv, "MALLOC_TRIM_THRESHOLD_").values()
        client.register_plugin(WorkerSetup(torch_threads=2))
        setup = client.run(
            lambda dask_worker: dask_worker.plugins[WorkerSetup.name].malloc_)
        assert set(setup.values()) == {"mallopt"}
        assert client.submit(torch.get_num_threads, pure=False).result() == 2


@pytest.mark.parametrize("value", [0, -1, 1.5, True, None])
def test_local_cluster_checks_threads(value):
    with pytest.raises(ValueError, match="threads_per_worker must be a positive"):
        local_cluster(1, threads_per_worker=value)
    with pytest.raises(ValueError, match="torch_threads must be a positive"):
        local_cluster(1, torch_threads=value)
    with pytest.raises(ValueError, match="torch_threads must be a positive"):
        WorkerSetup(torch_threads=value)


# -- extraction -------------------------------------------------------------------

@pytest.mark.parametrize("n_jobs", [None, -1])
def test_extraction_on_the_workers_equals_serial(client, corpus, n_jobs):
    paths = corpus["paths"]
    serial = LLDExtractor().transform(paths)
    with distributed.get_task_stream(client) as stream, \
            joblib.parallel_backend("dask"):
        out = LLDExtractor(n_jobs=n_jobs).transform(paths)
    assert len(out) == len(paths)
    for a, b in zip(serial, out, strict=True):  # same arrays, input order
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    # chunks of several files, run on both workers
    tasks = [t for t in stream.data if "process_chunk" in t["key"]]
    assert 2 <= len(tasks) < len(paths)
    assert len({t["worker"] for t in tasks}) == 2


def test_extraction_with_a_shared_cache(client, corpus, tmp_path):
    paths = corpus["paths"][:10]
    serial = LLDExtractor().transform(paths)
    with joblib.parallel_backend("dask"):
        first = LLDExtractor(memory=tmp_path).transform(paths)
    entries = list((tmp_path / "joblib" / "sklearn_ser" / "LLDExtractor").rglob("*.lld"))
    assert len(entries) == len(paths)  # each file extracted and stored once
    cached = LLDExtractor(memory=tmp_path).transform(paths)  # serial, from cache
    for a, b, c in zip(serial, first, cached, strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)


def test_extraction_error_on_a_worker_is_the_serial_error(client, corpus):
    paths = corpus["paths"][:6]
    X = paths[:3] + [corpus["corrupt"]] + paths[3:]
    with pytest.raises(ValueError) as serial:
        LLDExtractor().transform(X)
    with pytest.raises(ValueError) as parallel, joblib.parallel_backend("dask"):
        LLDExtractor(n_jobs=-1).transform(X)
    assert str(parallel.value) == str(serial.value)
    assert f"X[3] ({corpus['corrupt']!r})" in str(parallel.value)
    assert "not a readable audio file" in str(parallel.value)


def _workers_in_a_task(n_jobs):
    """Workers an extractor would use in a task that runs the Dask backend."""
    with joblib.parallel_backend("dask"):
        return LLDExtractor(n_jobs=n_jobs)._effective_n_jobs()


def test_extraction_nested_in_a_dask_task_is_serial_by_default(client):
    # On the client side, n_jobs=None under the Dask backend uses the cluster
    with joblib.parallel_backend("dask"):
        assert LLDExtractor()._effective_n_jobs() == 2
    # inside a task (one fit of a search), it runs in the task itself
    assert client.submit(_workers_in_a_task, None, pure=False).result() == 1
    # unless asked for explicitly
    assert client.submit(_workers_in_a_task, 2, pure=False).result() == 2


# -- search -------------------------------------------------------------------------

def test_grid_search_on_the_workers_equals_serial(client, corpus, tmp_path):
    # The serial search trains with one PyTorch thread (conftest.py), as the
    # workers do: the same thread count gives bit-identical fits.
    assert torch.get_num_threads() == 1
    X, y, groups = corpus["paths"], corpus["target"], corpus["groups"]
    cache = os.fspath(tmp_path / "cache")
    serial = _search(cache, n_jobs=1).fit(X, y, groups=groups)
    with distributed.get_task_stream(client) as stream, \
            joblib.parallel_backend("dask"):
        dask_search = _search(cache).fit(X, y, groups=groups)
    # the 4 candidates x 3 folds ran on both workers
    assert len({t["worker"] for t in stream.data}) == 2
    assert dask_search.best_params_ == serial.best_params_
    assert dask_search.best_index_ == serial.best_index_
    scores = [key for key in serial.cv_results_
              if "test_" in key and not key.startswith("std_")]
    assert any(key.startswith("split2_test_UA") for key in scores)
    for key in scores:
        np.testing.assert_array_equal(dask_search.cv_results_[key],
                                      serial.cv_results_[key], err_msg=key)
    for key in ("std_test_WA", "std_test_UA"):
        np.testing.assert_allclose(dask_search.cv_results_[key],
                                   serial.cv_results_[key], rtol=1e-12, err_msg=key)
    np.testing.assert_array_equal(dask_search.predict(X[:6]), serial.predict(X[:6]))


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")
def test_search_error_on_a_worker_is_the_serial_error(client, corpus, tmp_path):
    # The corrupt file is in the training part of the second fold only, so
    # that the serial and the parallel search fail on the same fit.
    X = corpus["paths"] + [corpus["corrupt"]]
    y = np.append(corpus["target"], corpus["target"][0])
    train, test = np.arange(18), np.arange(18, 24)
    cv = [(train, test), (np.append(train, 24), test)]
    grid = {"classifier__attention": ["mean"]}
    cache = os.fspath(tmp_path / "cache")
    with pytest.raises(ValueError) as serial:
        _search(cache, cv=cv, grid=grid, n_jobs=1, error_score="raise").fit(X, y)
    with pytest.raises(ValueError) as parallel, joblib.parallel_backend("dask"):
        _search(cache, cv=cv, grid=grid, error_score="raise").fit(X, y)
    assert str(parallel.value) == str(serial.value)
    assert corpus["corrupt"] in str(parallel.value)
