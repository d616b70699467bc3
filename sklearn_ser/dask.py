"""Helpers to run the library on a Dask cluster.

Everything in sklearn-ser runs on `Dask <https://distributed.dask.org>`_
through joblib's Dask backend, with the scikit-learn code you already have
(``pip install "sklearn-ser[dask]"`` installs ``dask[distributed]``). The
cluster guide (:ref:`cluster`) shows the recipe and explains what runs
where, what is shipped to the workers, and how to set threads, memory and
malloc, with the measurements behind each advice. This module adds two
helpers:

- :func:`local_cluster` -- a :class:`distributed.LocalCluster` on one machine,
  set up for the library, and a client connected to it;
- :class:`WorkerSetup` -- a worker plugin that sets the PyTorch threads of
  every worker and undoes the malloc setting of Dask's nanny that slows
  PyTorch training down, for clusters started elsewhere.
"""

import contextlib
import ctypes
import numbers
import os
import platform

__all__ = ["WorkerSetup", "local_cluster"]

try:  # the ``dask`` extra
    from distributed import WorkerPlugin as _WorkerPlugin
except ImportError:  # pragma: no cover - without the extra
    _WorkerPlugin = object

# glibc's mallopt parameters and the values its dynamic thresholds reach on a
# 64-bit system once large blocks have been freed: the mmap threshold grows
# up to DEFAULT_MMAP_THRESHOLD_MAX (4 MiB * sizeof(long)) and the trim
# threshold to twice the mmap threshold.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD_MAX = 32 * 2**20
_TRIM_THRESHOLD_MAX = 2 * _MMAP_THRESHOLD_MAX

_MALLOC_VARIABLE = "MALLOC_TRIM_THRESHOLD_"
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def _check_threads(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}.")
    return int(value)


def _mallopt_large_thresholds():
    """Set glibc's trim and mmap thresholds to their dynamic maxima.

    Returns True if glibc accepted both settings, False where malloc is not
    glibc's.
    """
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # pragma: no cover - unusual libc
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    ok = mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_MAX) == 1
    return ok and mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD_MAX) == 1


class WorkerSetup(_WorkerPlugin):
    """Dask worker plugin: PyTorch threads and malloc settings for training.

    Register it once on a client; it runs on every worker of the cluster,
    including workers that join or restart later::

        client.register_plugin(WorkerSetup(torch_threads=1))

    On each worker it

    1. sets the number of PyTorch intra-op threads
       (:func:`torch.set_num_threads`) to ``torch_threads``, for every task
       of the worker;
    2. if the worker process was started with ``MALLOC_TRIM_THRESHOLD_`` in
       its environment (as Dask's nanny does by default, with 65536) and
       ``restore_malloc`` is True, sets glibc's trim and mmap thresholds
       (``mallopt``) to the values glibc's own dynamic thresholds reach
       after large blocks have been freed (mmap threshold 32 MiB, trim
       threshold 64 MiB on 64-bit systems). Freed training buffers then stay
       in the process for reuse instead of being returned to the operating
       system and faulted in again at every batch. A process started with
       the variable cannot return to glibc's dynamic thresholds, so workers
       started without it (as :func:`local_cluster` starts them) are the
       closest to glibc's defaults; workers without the variable are left
       alone.

    Parameters
    ----------
    torch_threads : int, default=1
        PyTorch threads per task. Keep ``torch_threads`` times the threads
        per worker times the workers per machine at or below its cores.
    restore_malloc : bool, default=True
        Correct the malloc settings of workers started with
        ``MALLOC_TRIM_THRESHOLD_`` (no effect elsewhere, nor where malloc is
        not glibc's).

    Attributes
    ----------
    malloc_ : {"default", "mallopt", "unchanged"}
        Set on the worker's copy of the plugin: ``"default"`` if the worker
        runs with glibc's defaults (the variable was not set),
        ``"mallopt"`` if the thresholds were set as above, ``"unchanged"``
        if the variable is set and was left in effect (``restore_malloc``
        False, or malloc is not glibc's).

    See Also
    --------
    local_cluster : A LocalCluster whose workers are set up this way.

    Examples
    --------
    >>> from sklearn_ser.dask import WorkerSetup
    >>> plugin = WorkerSetup(torch_threads=1)
    >>> plugin.name
    'sklearn-ser-worker-setup'

    On a running cluster (not run here)::

        from dask.distributed import Client
        client = Client("tcp://scheduler:8786")
        client.register_plugin(WorkerSetup())
        client.run(lambda: __import__("torch").get_num_threads())  # {...: 1}
    """

    name = "sklearn-ser-worker-setup"
    idempotent = False

    def __init__(self, torch_threads=1, restore_malloc=True):
        self.torch_threads = _check_threads(torch_threads, "torch_threads")
        self.restore_malloc = bool(restore_malloc)

    def setup(self, worker=None):
        """Apply the settings in the worker process.

        Parameters
        ----------
        worker : distributed.Worker, default=None
            The worker (unused; given by Dask).
        """
        import torch

        torch.set_num_threads(self.torch_threads)
        if _MALLOC_VARIABLE not in os.environ:
            self.malloc_ = "default"
        elif self.restore_malloc and _mallopt_large_thresholds():
            self.malloc_ = "mallopt"
        else:
            self.malloc_ = "unchanged"


@contextlib.contextmanager
def _launch_environment(keys, drop):
    """Drop ``drop`` from the environment while workers are launched.

    Restores ``keys`` afterwards: Dask's nanny writes its pre-spawn
    variables into the environment of the launching process.
    """
    saved = {key: os.environ.get(key) for key in (*keys, drop)}
    os.environ.pop(drop, None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def local_cluster(n_workers=None, threads_per_worker=1, *, torch_threads=1,
                  **kwargs):
    """Start a Dask LocalCluster set up for the library and connect to it.

    The cluster runs ``n_workers`` worker processes on this machine. Each
    worker process

    - runs ``threads_per_worker`` tasks at a time;
    - trains with ``torch_threads`` PyTorch threads per task
      (:class:`WorkerSetup` is registered on the client, and
      ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS`` and ``OPENBLAS_NUM_THREADS``
      are set to ``torch_threads`` in its environment);
    - starts with glibc's default malloc settings: Dask's nanny normally
      starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which makes
      PyTorch training in the worker 1.4 to 2 times slower; here the
      variable is left out of the workers' environment (workers that the
      cluster adds later, e.g. with ``cluster.scale``, get it again, and
      :class:`WorkerSetup` corrects them with ``mallopt``).

    The environment of the calling process is left as it was (Dask's nanny
    writes its variables into it while it starts workers). Use the returned
    client as a context manager, or call ``client.close()``: it closes the
    cluster too.

    Parameters
    ----------
    n_workers : int, default=None
        Worker processes, a positive int. ``None`` means one per
        ``threads_per_worker * torch_threads`` cores of this machine (at
        least one).
    threads_per_worker : int, default=1
        Tasks each worker runs at the same time (threads of the worker).
    torch_threads : int, default=1
        PyTorch (and BLAS) threads of each task.
    **kwargs
        Other arguments of :class:`distributed.LocalCluster`, e.g.
        ``memory_limit`` (per worker; default: the machine's memory divided
        by the number of workers) or ``dashboard_address`` (``":0"`` for
        any free port). ``processes`` is True (separate worker processes, so
        that tasks do not share one interpreter lock) unless given; with
        ``processes=False`` the workers are threads of this process, and the
        PyTorch threads are set in this process.

    Returns
    -------
    client : distributed.Client
        Client connected to the new cluster (``client.cluster``); closing it
        closes the cluster.

    Raises
    ------
    ValueError
        If ``n_workers`` (when given), ``threads_per_worker`` or
        ``torch_threads`` is not a positive int (a bool, a float or a str
        is refused), before any process is started.

    See Also
    --------
    WorkerSetup : The worker plugin, for clusters started elsewhere.

    Notes
    -----
    joblib's Dask backend uses the client that is current when
    ``joblib.parallel_backend("dask")`` is entered; all the library's joblib
    calls made inside it (feature extraction, ``GridSearchCV``,
    ``cross_validate``, :func:`~sklearn_ser.evaluate_sessions`) then run on
    the workers. The workers start fresh Python processes: in a script, call
    :func:`local_cluster` under ``if __name__ == "__main__":``.

    Examples
    --------
    A grid search over the four poolings on two worker processes (a tiny
    configuration, so that it runs in seconds; not run here):

    >>> import joblib
    >>> from sklearn.model_selection import GridSearchCV, GroupKFold
    >>> from sklearn_ser import SCORING, LLDExtractor, make_ser_pipeline
    >>> from sklearn_ser.dask import local_cluster
    >>> pipe = make_ser_pipeline(  # doctest: +SKIP
    ...     n_frames=200, memory="lld_cache", n_jobs=1, hidden_units=16,
    ...     lstm_units=8, attention_units=8, lr=1e-2, l2=0.0, max_epochs=2,
    ...     random_state=0)
    >>> search = GridSearchCV(  # doctest: +SKIP
    ...     pipe, {"classifier__attention": ["mean", "zhou", "yang", "lstm"]},
    ...     scoring=SCORING, refit="UA", cv=GroupKFold(n_splits=3))
    >>> with local_cluster(n_workers=2) as client:  # doctest: +SKIP
    ...     with joblib.parallel_backend("dask"):
    ...         LLDExtractor(memory="lld_cache").transform(filenames)
    ...         search.fit(filenames, y, groups=sessions)
    >>> search.best_params_  # doctest: +SKIP
    {'classifier__attention': ...}
    """
    import dask
    from distributed import Client

    _check_threads(threads_per_worker, "threads_per_worker")
    _check_threads(torch_threads, "torch_threads")
    if n_workers is not None:
        # 0 would start a cluster on which every task waits forever
        _check_threads(n_workers, "n_workers")
    else:
        try:
            n_cores = len(os.sched_getaffinity(0))
        except AttributeError:  # pragma: no cover - not Linux
            n_cores = os.cpu_count() or 1
        n_workers = max(1, n_cores // (threads_per_worker * torch_threads))
    kwargs.setdefault("processes", True)
    if kwargs["processes"]:
        env = {key: str(torch_threads) for key in _THREAD_VARIABLES}
        env.update(kwargs.get("env") or {})
        kwargs["env"] = env
    spawn_keys = [*dask.config.get("distributed.nanny.pre-spawn-environ"),
                  "PYTHONHASHSEED"]
    config = {f"distributed.nanny.pre-spawn-environ.{_MALLOC_VARIABLE}": None}
    config.update({f"distributed.nanny.pre-spawn-environ.{key}": str(torch_threads)
                   for key in _THREAD_VARIABLES})
    with dask.config.set(config), _launch_environment(spawn_keys, _MALLOC_VARIABLE):
        client = Client(n_workers=n_workers, threads_per_worker=threads_per_worker,
                        **kwargs)
    try:
        client.register_plugin(WorkerSetup(torch_threads=torch_threads))
    except BaseException:
        client.close()
        raise
    return client
