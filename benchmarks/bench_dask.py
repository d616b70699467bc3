"""Scale-out benchmark: serial vs a Dask LocalCluster of 2 worker processes.

Measures, in the same run, on the library's synthetic corpus
(:func:`sklearn_ser.datasets.make_emotional_speech`, written as 16-bit wav
files):

1. **extraction** of every file with :class:`~sklearn_ser.LLDExtractor`, in
   this process (``n_jobs=1``) and on the workers
   (``joblib.parallel_backend("dask")``);
2. **a 4-candidate search**: ``GridSearchCV`` over the four poolings,
   leave-one-session-out (``GroupKFold``, 5 folds on the 5 sessions), with
   a warm shared feature cache, for two scaled-down networks ("tiny", the
   configuration of the tests, and "small"; the paper's ``l2=5e-2`` and
   ``lr=3e-5`` do not learn in a short budget, so ``l2=0, lr=1e-2``):
   serially (``n_jobs=1``, PyTorch with its default threads, and with one
   thread) and on the workers (one PyTorch thread per fit) with the
   pipeline's extractor at its default ``n_jobs=None`` (inside a worker's
   task that means 1: each fit reads the cache in its own task); for the
   tiny network also at ``n_jobs=-1`` (joblib's nested Dask backend then
   sends each fit's extraction back to the cluster). The
   refit on the whole corpus runs in this process in every case;
3. **one fit inside a worker** (the paper's network sizes, 500 frames, one
   epoch) with Dask's default worker environment
   (``MALLOC_TRIM_THRESHOLD_=65536``), with
   :func:`sklearn_ser.dask.local_cluster` (variable left out), and with a
   default cluster corrected by :class:`sklearn_ser.dask.WorkerSetup`
   (``mallopt``), next to the same fit in this process with one thread.

It also runs a calibration (a pure-Python loop, serial vs 2 workers) that
shows how much 2 processes can gain on the machine at that moment: on a
shared machine, other programs take cores away and lower every speed-up.
The calibration is timed right before each extraction, so the two see the
same machine, and their speed-ups are the medians of the per-repeat ratios.
The searches and fits are repeated (interleaved) and the best is kept; the load
averages before and after are printed.

The clusters are started before timing (their start-up is reported
separately): the speed-ups are those of a user with a running cluster.

Run::

    python benchmarks/bench_dask.py                       # 240 files, ~8 min
    python benchmarks/bench_dask.py --files 200 --repeats 3
    python benchmarks/bench_dask.py --skip-malloc --repeats 1     # quicker

Needs the ``dask`` extra (``pip install "sklearn-ser[dask]"``).
"""

import contextlib
import os
import tempfile
import time

import numpy as np
from _common import Run, busy_loop, make_parser


def _load():
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def _busy():
    return busy_loop(6_000_000)


def _status(key):
    """A value of /proc/self/status in bytes (VmRSS, VmHWM), 0 if unknown."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _fit_in_process(X, y, params):
    """One fit: wall, CPU and system CPU seconds, torch threads, peak RSS."""
    import torch

    from sklearn_ser import SERClassifier

    clf = SERClassifier(**params)
    t0, c0 = time.perf_counter(), os.times()
    clf.fit(X, y)
    t1, c1 = time.perf_counter(), os.times()
    return (t1 - t0, (c1.user - c0.user) + (c1.system - c0.system),
            c1.system - c0.system, torch.get_num_threads(), _status("VmHWM"))


def _worker_rss():
    return _status("VmRSS"), _status("VmHWM")


def _write_corpus(folder, n_files, seed):
    import soundfile as sf

    from sklearn_ser.datasets import make_emotional_speech

    data = make_emotional_speech(n_files, n_sessions=5, random_state=seed)
    paths = []
    for i, x in enumerate(data.data):
        path = os.path.join(folder, f"utt{i:04d}.wav")
        sf.write(path, x, data.sampling_rate, subtype="PCM_16")
        paths.append(path)
    seconds = sum(len(x) for x in data.data) / data.sampling_rate
    return paths, data.target, data.groups, seconds


def _best(times):
    return min(times)


def _row(name, serial, parallel, target=None, ratio=None):
    """A table row: ``(text, figures)``."""
    if ratio is None:
        ratio = serial / parallel
    mark = ""
    if target is not None:
        mark = f"  (target {target:.1f}x: {'met' if ratio >= target else 'NOT met'})"
    text = f"{name:52s} {serial:9.2f} {parallel:9.2f} {ratio:7.2f}x{mark}"
    return text, dict(task=name.strip(), serial_s=serial, workers_s=parallel,
                      speed_up=ratio, target=target)


def main(argv=None):
    parser = make_parser(__doc__)
    parser.add_argument("--files", type=int, default=240,
                        help="number of wav files (at least 200 for the targets)")
    parser.add_argument("--repeats", type=int, default=2,
                        help="repeats of each search and fit timing")
    parser.add_argument("--extraction-repeats", type=int, default=5,
                        help="repeats of the calibration and extraction timings")
    parser.add_argument("--n-frames", type=int, default=300,
                        help="frames per utterance in the search")
    parser.add_argument("--fit-frames", type=int, default=500,
                        help="frames per utterance in the single fit")
    parser.add_argument("--folds", type=int, default=5,
                        help="GroupKFold splits over the 5 sessions of the search")
    parser.add_argument("--skip-search", action="store_true")
    parser.add_argument("--skip-malloc", action="store_true")
    args = parser.parse_args(argv)
    with Run("bench_dask", args) as run:
        _run(args, run.results)


def _run(args, results):
    import distributed
    import torch

    from sklearn_ser.dask import local_cluster

    default_threads = torch.get_num_threads()
    print(f"{os.cpu_count()} CPUs, torch {torch.__version__} "
          f"({default_threads} threads by default), distributed "
          f"{distributed.__version__}; {_load()}")

    with tempfile.TemporaryDirectory() as folder:
        paths, y, groups, seconds = _write_corpus(folder, args.files, seed=0)
        print(f"corpus: {len(paths)} files, {seconds:.0f} s of audio, "
              f"{len(np.unique(groups))} sessions")

        t0 = time.perf_counter()
        client = local_cluster(n_workers=2, threads_per_worker=1,
                               dashboard_address=":0")
        start_up = time.perf_counter() - t0
        rows, notes = [], []
        try:
            _extraction_rows(client, paths, seconds, args, rows, notes)
            if not args.skip_search:
                _search_rows(folder, paths, y, groups, args, default_threads, rows,
                             notes)
            rss = client.run(_worker_rss)
            notes.append("worker memory after the searches: " + ", ".join(
                f"RSS {now / 2**20:.0f} MiB (peak {peak / 2**20:.0f} MiB)"
                for now, peak in rss.values()))
        finally:
            client.close()
        print(f"2-worker local_cluster started in {start_up:.1f} s (not timed "
              "below)")
        print()
        head = "task"
        print(f"{head:52s} {'serial s':>9s} "
              f"{'2 workers':>9s} {'speed-up':>8s}")
        for text, _ in rows:
            print(text)
        print(f"calibration and extraction: medians of {args.extraction_repeats} "
              f"paired repeats; searches: best of {args.repeats}")
        for note in notes:
            print(note)
        print(_load())
        results.update(start_up_s=start_up, rows=[r for _, r in rows], notes=notes)
        if not args.skip_malloc:
            results["one_fit"] = _malloc_rows(folder, paths, y, args,
                                              default_threads)


def _extraction_rows(client, paths, seconds, args, rows, notes):
    """Calibration and extraction, interleaved: serial against 2 Dask workers."""
    import joblib

    from sklearn_ser import LLDExtractor

    # -- calibration and extraction, interleaved ------------------------
    # Both are short: each repeat times the calibration right before
    # the extraction, so that the two see the same machine.
    workers = list(client.scheduler_info()["workers"])
    LLDExtractor().transform(paths[:4])  # imports, openSMILE loaded
    with joblib.parallel_backend("dask"):
        LLDExtractor().transform(paths[:8])
    cal_serial, cal_dask, serial_t, dask_t = [], [], [], []
    for _ in range(args.extraction_repeats):
        t0 = time.perf_counter()
        for _ in workers:
            _busy()
        cal_serial.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        client.gather([client.submit(_busy, workers=[w], pure=False)
                       for w in workers])
        cal_dask.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        serial = LLDExtractor(n_jobs=1).transform(paths)
        serial_t.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        with joblib.parallel_backend("dask"):
            parallel = LLDExtractor(n_jobs=-1).transform(paths)
        dask_t.append(time.perf_counter() - t0)
        assert all(np.array_equal(a, b)
                   for a, b in zip(serial, parallel, strict=True))
    # speed-up: median of the paired (same repeat) ratios, which a
    # slow moment in one repeat cannot inflate as a ratio of bests can
    cal_ratios = np.divide(cal_serial, cal_dask)
    ext_ratios = np.divide(serial_t, dask_t)
    rows.append(_row("calibration: pure-Python loop, 1 per worker",
                     np.median(cal_serial), np.median(cal_dask),
                     ratio=np.median(cal_ratios)))
    rows.append(_row(f"extraction, {len(paths)} files ({seconds:.0f} s audio)",
                     np.median(serial_t), np.median(dask_t), target=1.6,
                     ratio=np.median(ext_ratios)))
    notes.append(
        "per-repeat speed-ups, calibration: "
        + " ".join(f"{r:.2f}" for r in cal_ratios)
        + "; extraction: " + " ".join(f"{r:.2f}" for r in ext_ratios))


def _search_rows(folder, paths, y, groups, args, default_threads, rows, notes):
    """GridSearchCV over the 4 poolings: serial against 2 Dask workers."""

    import joblib
    import torch
    from sklearn.model_selection import GridSearchCV, GroupKFold

    from sklearn_ser import SCORING, LLDExtractor, make_ser_pipeline

    cache = os.path.join(folder, "cache")
    with joblib.parallel_backend("dask"):
        LLDExtractor(memory=cache).transform(paths)  # warm cache
    grid = {"classifier__attention": ["mean", "zhou", "yang", "lstm"]}
    n_fits = len(grid["classifier__attention"]) * args.folds
    notes.append(f"search: 4 candidates x {args.folds} folds + refit = "
                 f"{n_fits + 1} fits, {args.n_frames} frames")
    configs = {
        "tiny (16/8/8 units, 3 epochs)": dict(
            hidden_units=16, lstm_units=8, attention_units=8,
            batch_size=16, max_epochs=3),
        "small (64/32/32 units, 2 epochs)": dict(
            hidden_units=64, lstm_units=32, attention_units=32,
            batch_size=32, max_epochs=2),
    }
    for label, net in configs.items():
        params = dict(net, lr=1e-2, l2=0.0, random_state=0)

        def search(n_jobs=None, lld_jobs=None, params=params):
            pipe = make_ser_pipeline(n_frames=args.n_frames,
                                     memory=cache, n_jobs=lld_jobs,
                                     **params)
            return GridSearchCV(pipe, grid, scoring=SCORING,
                                refit="UA",
                                cv=GroupKFold(n_splits=args.folds),
                                n_jobs=n_jobs)

        # extractor n_jobs in the pipeline: None (the default)
        # is serial inside a worker's task, -1 nests
        lld_jobs_of = dict(serial=1, serial1=1, dask=None, dask_nested=-1)
        runs = ["serial", "serial1", "dask"]
        if label.startswith("tiny"):
            runs.append("dask_nested")
        times = {key: [] for key in runs}
        results = {}
        for _ in range(args.repeats):
            for key in runs:
                threads = 1 if key == "serial1" else default_threads
                torch.set_num_threads(threads)
                backend = (joblib.parallel_backend("dask")
                           if key.startswith("dask")
                           else contextlib.nullcontext())
                t0 = time.perf_counter()
                try:
                    with backend:
                        results[key] = search(
                            n_jobs=None if key.startswith("dask") else 1,
                            lld_jobs=lld_jobs_of[key],
                        ).fit(paths, y, groups=groups)
                finally:
                    torch.set_num_threads(default_threads)
                times[key].append(time.perf_counter() - t0)
        rows.append(_row(f"search, {label}, torch {default_threads} thr",
                         _best(times["serial"]), _best(times["dask"]),
                         target=1.5))
        rows.append(_row("  same, serial with torch 1 thread",
                         _best(times["serial1"]), _best(times["dask"])))
        if "dask_nested" in times:
            rows.append(_row("  same, nested extraction (lld n_jobs=-1)",
                             _best(times["serial"]),
                             _best(times["dask_nested"])))
        same = all(
            np.array_equal(results["serial1"].cv_results_[k],
                           results["dask"].cv_results_[k])
            for k in results["dask"].cv_results_ if "_test_" in k
            and not k.startswith("std_"))
        notes.append(
            f"search {label}: best {results['dask'].best_params_}, "
            f"UA {results['dask'].best_score_:.3f}; cv_results_ scores "
            f"equal to the serial 1-thread search: {same}")


def _malloc_rows(folder, paths, y, args, default_threads):
    """One fit in this process and in Dask workers with and without the fix."""
    import distributed
    import torch

    from sklearn_ser import LLDExtractor, NeutralStandardScaler, PadCrop
    from sklearn_ser.dask import WorkerSetup, local_cluster

    lld = LLDExtractor(memory=os.path.join(folder, "cache"))
    X = NeutralStandardScaler().fit_transform(
        PadCrop(n_frames=args.fit_frames).fit_transform(lld.transform(paths)), y)
    fit_params = dict(attention="lstm", lr=1e-3, l2=0.0, max_epochs=1,
                      random_state=0, device="cpu")
    variants = {
        "this process, torch 1 thread": None,
        "worker, Dask default (MALLOC_TRIM_THRESHOLD_=65536)": "default",
        "worker, local_cluster (variable left out)": "local",
        "worker, Dask default + WorkerSetup (mallopt)": "plugin",
    }
    fits = {name: [] for name in variants}
    for _ in range(args.repeats):
        for name, kind in variants.items():
            if kind is None:
                torch.set_num_threads(1)
                try:
                    fits[name].append(_fit_in_process(X, y, fit_params))
                finally:
                    torch.set_num_threads(default_threads)
                continue
            if kind == "local":
                client = local_cluster(n_workers=1, dashboard_address=":0")
            else:
                client = distributed.Client(distributed.LocalCluster(
                    n_workers=1, threads_per_worker=1, dashboard_address=":0"))
                if kind == "plugin":
                    client.register_plugin(WorkerSetup())
            try:
                Xf = client.scatter(X)
                client.submit(_fit_in_process, X[:64], y[:64], fit_params,
                              pure=False).result()  # warm-up
                fits[name].append(client.submit(_fit_in_process, Xf, y,
                                                fit_params, pure=False).result())
            finally:
                cluster = client.cluster
                client.close()
                if cluster is not None:
                    cluster.close()
    print()
    print(f"one fit (attention='lstm', paper sizes, {len(y)} utterances x "
          f"{args.fit_frames} frames, 1 epoch), best of {args.repeats}")
    print(f"{'where':54s} {'wall s':>7s} {'CPU s':>7s} {'sys s':>7s} "
          f"{'thr':>4s} {'peak RSS':>9s}")
    for name, results in fits.items():
        wall, cpu, sys_, threads, peak = min(results)
        print(f"{name:54s} {wall:7.2f} {cpu:7.2f} {sys_:7.2f} {threads:4d} "
              f"{peak / 2**20:5.0f} MiB")
    print(_load())
    return {name: dict(zip(("wall_s", "cpu_s", "sys_s", "threads", "peak_rss"),
                           min(results), strict=True))
            for name, results in fits.items()}


if __name__ == "__main__":
    main()
