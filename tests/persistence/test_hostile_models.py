"""Hostile model files: bounded memory and time, refused with a clear error.

Part of the robustness suite (the cases are in ``tests/_cases.py``). The
bombs are built without holding their inflated content in memory: runs of
zeros are compressed once and repeated (each run ends with a full flush,
so the copies concatenate into one valid deflate stream).
"""

import functools
import io
import json
import os
import struct
import subprocess
import sys
import tempfile
import textwrap
import time
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from sklearn_ser import SERClassifier, load, save
from sklearn_ser._cli import main
from sklearn_ser._validation import FEATURE_RATES
from sklearn_ser.datasets import make_emotional_speech
from sklearn_ser.pipeline._factories import make_ser_pipeline

from .._common import TINY_NET
from ..test_robustness import covers

# ---------------------------------------------------------------------------
# Building hostile files
# ---------------------------------------------------------------------------

_RUN = 64 * 2**20  # bytes of zeros compressed once and repeated


@functools.cache
def _zero_block():
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    return comp.compress(bytes(_RUN)) + comp.flush(zlib.Z_FULL_FLUSH)


def _deflate_zeros(n):
    """``(raw deflate chunks, crc32)`` of ``n`` zero bytes, without a final block."""
    assert n % _RUN == 0
    return [_zero_block()] * (n // _RUN), _crc_of(b"", n)


def _deflate(data, final=False):
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    return comp.compress(data) + comp.flush(zlib.Z_FINISH if final else
                                            zlib.Z_FULL_FLUSH)


def _zip(members):
    """A zip archive of ``(name, payload, method, crc, declared size)`` entries.

    ``payload`` is the stored or raw-deflated data (bytes or a list of
    chunks); the declared size is written as given, which lets a member lie.
    """
    out, central = io.BytesIO(), []
    for name, payload, method, crc, size in members:
        chunks = payload if isinstance(payload, list) else [payload]
        csize = sum(len(c) for c in chunks)
        offset, raw = out.tell(), name.encode()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0, crc,
                              csize, size, len(raw), 0) + raw)
        for c in chunks:
            out.write(c)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0,
                                   method, 0, 0, crc, csize, size, len(raw), 0, 0,
                                   0, 0, 0, offset) + raw)
    start = out.tell()
    for c in central:
        out.write(c)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central),
                          out.tell() - start, start, 0))
    return out.getvalue()


def _members(model_file):
    with zipfile.ZipFile(model_file) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _entry(name, data):
    return (name, _deflate(data, final=True), zipfile.ZIP_DEFLATED, zlib.crc32(data),
            len(data))


def _write(path, members, **special):
    """A model file of ``members`` where ``special`` replaces entries by name."""
    entries = [special.get(name) or _entry(name, data) for name, data in members.items()]
    path.write_bytes(_zip(entries))
    return path


def metadata_bomb(model_file, path, size=2 * 2**30, declared=None):
    """``metadata.json`` inflating to ``size`` zero bytes."""
    chunks, crc = _deflate_zeros(size)
    chunks = chunks + [_deflate(b"", final=True)]
    bomb = ("metadata.json", chunks, zipfile.ZIP_DEFLATED, crc,
            size if declared is None else declared)
    return _write(path, _members(model_file), **{"metadata.json": bomb})


def weights_bomb(model_file, path, size=2**30):
    """``weights.npz`` holding one stored ``.npy`` of ``size`` zero bytes."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": "<f4", "fortran_order": False, "shape": (size // 4,)})
    npy_head = buf.getvalue()
    name = b"3/module.fc.0.weight.npy"
    chunks, _ = _deflate_zeros(size)
    crc = _crc_of(npy_head, size)
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0, crc,
                        len(npy_head) + size, len(npy_head) + size, len(name), 0) + name
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, 0, 0, crc,
                          len(npy_head) + size, len(npy_head) + size, len(name),
                          0, 0, 0, 0, 0, 0) + name
    cd_offset = len(local) + len(npy_head) + size
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), cd_offset, 0)
    head, tail = local + npy_head, central + eocd
    total = len(head) + size + len(tail)
    outer_crc = zlib.crc32(tail, _crc_of(head, size))
    payload = [_deflate(head)] + chunks + [_deflate(tail, final=True)]
    bomb = ("weights.npz", payload, zipfile.ZIP_DEFLATED, outer_crc, total)
    return _write(path, _members(model_file), **{"weights.npz": bomb})


def skops_bomb(model_file, path, size=2**30):
    """A scikit-learn step member ``sklearn/4.skops`` inflating to ``size`` zeros."""
    chunks, crc = _deflate_zeros(size)
    chunks = chunks + [_deflate(b"", final=True)]
    bomb = ("sklearn/4.skops", chunks, zipfile.ZIP_DEFLATED, crc, size)
    members = _members(model_file)
    members["sklearn/4.skops"] = b""
    return _write(path, members, **{"sklearn/4.skops": bomb})


def _crc_of(head, n_zeros):
    crc, zeros = zlib.crc32(head), bytes(2**20)
    for _ in range(n_zeros // len(zeros)):
        crc = zlib.crc32(zeros, crc)
    return crc


def edit_metadata(model_file, path, edit):
    members = _members(model_file)
    meta = json.loads(members["metadata.json"])
    edit(meta)
    members["metadata.json"] = json.dumps(meta).encode()
    return _write(path, members)


def edit_weights(model_file, path, edit):
    members = _members(model_file)
    with np.load(io.BytesIO(members["weights.npz"])) as npz:
        weights = {k: npz[k] for k in npz.files}
    edit(weights)
    buf = io.BytesIO()
    np.savez(buf, **weights)
    members["weights.npz"] = buf.getvalue()
    return _write(path, members)


def _architecture(units):
    def edit(meta):
        meta["steps"][3]["params"]["lstm_units"] = units
    return edit


# ---------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus():
    return make_emotional_speech(n_samples=16, random_state=0)


@pytest.fixture(scope="module")
def model_file(corpus, tmp_path_factory):
    pipe = make_ser_pipeline("lstm", n_frames=40, **TINY_NET)
    pipe.fit(list(corpus.data), corpus.target)
    path = tmp_path_factory.mktemp("model") / "model.skser"
    save(pipe, path)
    return path


# ---------------------------------------------------------------------------
# Cost of loading in a subprocess
# ---------------------------------------------------------------------------

_LOAD_SCRIPT = textwrap.dedent("""
    import json, resource, sys, time
    from sklearn_ser import load
    start = time.perf_counter()
    try:
        load(sys.argv[1])
        outcome, message = "loaded", ""
    except ValueError as exc:
        outcome, message = "refused", str(exc)
    except BaseException as exc:
        outcome, message = type(exc).__name__, str(exc)
    seconds = time.perf_counter() - start
    # VmHWM is the peak of this interpreter's own memory; ru_maxrss would
    # also hold the parent's at the exec (Linux keeps it across exec).
    try:
        with open("/proc/self/status") as f:
            hwm = [line for line in f if line.startswith("VmHWM:")]
        peak = int(hwm[0].split()[1]) / 1024
    except (OSError, IndexError, ValueError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"outcome": outcome, "message": message[:500],
                      "seconds": seconds, "peak_mib": peak}))
""")

#: The bounds of the issue: a model file under 10 MB is loaded or refused
#: with at most 1 GiB of peak memory (the interpreter with torch included)
#: and 10 s.
MAX_FILE_BYTES = 10 * 10**6
MAX_PEAK_MIB = 1024
MAX_SECONDS = 10


def load_cost(path, timeout=120):
    """``{"outcome", "message", "seconds", "peak_mib"}`` of ``load(path)``.

    ``load`` runs in a fresh interpreter; ``seconds`` is the time of the call
    alone, ``peak_mib`` the peak resident memory of that interpreter
    (imports included, about 400 MiB with torch).
    """
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-c", _LOAD_SCRIPT, str(path)],
                          capture_output=True, text=True, timeout=timeout,
                          cwd=root)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


HOSTILE_FILES = {
    "metadata-bomb-2GiB": lambda m, p: metadata_bomb(m, p),
    "weights-bomb-1GiB": lambda m, p: weights_bomb(m, p),
    "lstm-units-9000": lambda m, p: edit_metadata(m, p, _architecture(9000)),
    "skops-bomb-1GiB": lambda m, p: skops_bomb(m, p),
    "n-frames-1e8": lambda m, p: edit_metadata(
        m, p, lambda meta: meta["steps"][1]["params"].update(n_frames=10**8)),
}


@covers("load-bounded-cost")
@pytest.mark.parametrize("kind", sorted(HOSTILE_FILES))
def test_hostile_file_costs_bounded_memory_and_time(model_file, tmp_path, kind):
    path = HOSTILE_FILES[kind](model_file, tmp_path / f"{kind}.skser")
    assert path.stat().st_size < MAX_FILE_BYTES
    cost = load_cost(path)
    assert cost["outcome"] == "refused", cost
    assert str(path) in cost["message"]
    assert cost["peak_mib"] < MAX_PEAK_MIB, cost
    assert cost["seconds"] < MAX_SECONDS, cost


def test_a_valid_file_loads_within_the_same_bounds(model_file):
    cost = load_cost(model_file)
    assert cost["outcome"] == "loaded", cost
    assert cost["peak_mib"] < MAX_PEAK_MIB and cost["seconds"] < MAX_SECONDS


# ---------------------------------------------------------------------------
# Each hostile file in this process
# ---------------------------------------------------------------------------


@covers("load-bomb-declared")
def test_declared_bombs_are_refused_before_decompression(model_file, tmp_path,
                                                         monkeypatch):
    meta = metadata_bomb(model_file, tmp_path / "meta.skser", size=256 * 2**20)
    weights = weights_bomb(model_file, tmp_path / "weights.skser", size=512 * 2**20)
    opened = []
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open",
                        lambda self, name, *a, **k: opened.append(name) or
                        real_open(self, name, *a, **k))
    with pytest.raises(ValueError, match=r"meta\.skser.*'metadata\.json' that declares "
                                         r"268435456 bytes, more than the 8388608"):
        load(meta)
    with pytest.raises(ValueError, match=r"weights\.skser.*'weights\.npz' that "
                                         r"declares \d+ bytes, more than the"):
        load(weights)
    assert opened == []  # nothing was decompressed


@covers("load-bomb-lying-header")
def test_member_inflating_past_its_declared_size_is_damaged(model_file, tmp_path):
    path = metadata_bomb(model_file, tmp_path / "liar.skser", size=256 * 2**20,
                         declared=1000)
    with pytest.raises(ValueError, match=r"liar\.skser' is damaged"):
        load(path)


@covers("load-skops-bomb")
def test_scikit_learn_step_bombs_are_refused(model_file, tmp_path, monkeypatch):
    path = skops_bomb(model_file, tmp_path / "skops.skser", size=256 * 2**20)
    opened = []
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open",
                        lambda self, name, *a, **k: opened.append(name) or
                        real_open(self, name, *a, **k))
    with pytest.raises(ValueError, match=r"skops\.skser.*'sklearn/4\.skops' that "
                                         r"declares 268435456 bytes, more than the "
                                         r"67108864"):
        load(path)
    assert opened == []
    monkeypatch.undo()
    # many members that each stay under the limit, but not together
    members = _members(model_file)
    for i in range(4, 9):
        members[f"sklearn/{i}.skops"] = b""
    special = {f"sklearn/{i}.skops": (f"sklearn/{i}.skops", _deflate(b"", True),
                                      zipfile.ZIP_DEFLATED, 0, 20 * 2**20)
               for i in range(4, 9)}
    path = _write(tmp_path / "many.skser", members, **special)
    with pytest.raises(ValueError, match=r"many\.skser' has scikit-learn steps "
                                         r"that declare 104857600 bytes in all"):
        load(path)


@covers("load-skops-untrusted-type")
def test_scikit_learn_step_of_an_untrusted_type_is_refused(corpus, tmp_path):
    import skops.io
    from sklearn.preprocessing import FunctionTransformer

    from sklearn_ser import make_baseline_pipeline

    pipe = make_baseline_pipeline().fit(list(corpus.data), corpus.target)
    save(pipe, tmp_path / "baseline.skser")
    members = _members(tmp_path / "baseline.skser")
    # skops trusts FunctionTransformer by default; a model file does not
    members["sklearn/3.skops"] = skops.io.dumps(FunctionTransformer().fit([[1.0]]))
    path = _write(tmp_path / "ft.skser", members)
    with pytest.raises(ValueError, match=r"ft\.skser' has a scikit-learn step 3 "
                       r"\('classifier'\).*names the type\(s\) \['sklearn\."
                       r"preprocessing\._function_transformer\.FunctionTransformer'\]"):
        load(path)


def _npy(shape, data_bytes, descr="<f4"):
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": descr, "fortran_order": False, "shape": shape})
    return buf.getvalue() + bytes(data_bytes)


def _with_arrays(model_file, path, inner, method=zipfile.ZIP_STORED):
    members = _members(model_file)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=method) as zf:
        for name, data in inner.items():
            zf.writestr(name, data)
    members["arrays.npz"] = buf.getvalue()
    return _write(path, members)


@covers("load-npy-header-lies")
def test_array_headers_are_checked_before_arrays_are_made(model_file, tmp_path,
                                                         monkeypatch):
    made = []
    monkeypatch.setattr(np.lib.format, "read_array",
                        lambda *a, **k: made.append(a) or pytest.fail("read_array"))
    path = _with_arrays(model_file, tmp_path / "shape.skser",
                        {"2/mean_.npy": _npy((2**28,), 64)})
    with pytest.raises(ValueError, match=r"shape\.skser.*array '2/mean_' in "
                                         r"arrays\.npz whose header declares shape "
                                         r"\(268435456,\)"):
        load(path)
    # an inner archive that declares more than the member limit (compressed)
    path = _with_arrays(model_file, tmp_path / "inner.skser",
                        {"2/mean_.npy": _npy((2**25,), 2**27)},
                        method=zipfile.ZIP_DEFLATED)
    with pytest.raises(ValueError, match=r"inner\.skser.*declare \d+ bytes in all, "
                                         r"more than the 67108864"):
        load(path)
    assert made == []


@covers("load-huge-architecture")
def test_architecture_is_checked_against_the_weights_before_building(
        model_file, tmp_path, monkeypatch):
    def never(self, *args, **kwargs):
        raise AssertionError("a network was built")

    monkeypatch.setattr(SERClassifier, "initialize", never)
    path = edit_metadata(model_file, tmp_path / "lstm.skser", _architecture(9000))
    with pytest.raises(ValueError, match=r"lstm\.skser.*do not fit the network .* has "
                                         r"shape \(4, 8\), the parameters give "
                                         r"\(4, 18000\)"):
        load(path)
    path = edit_metadata(model_file, tmp_path / "hidden.skser", lambda meta: meta[
        "steps"][3]["params"].update(hidden_units=10**6))
    with pytest.raises(ValueError, match=r"hidden_units=1000000 is above the 16384"):
        load(path)


@covers("load-huge-n-frames")
def test_huge_n_frames_is_refused(model_file, tmp_path):
    path = edit_metadata(model_file, tmp_path / "frames.skser", lambda meta: meta[
        "steps"][1]["params"].update(n_frames=10**8))
    with pytest.raises(ValueError, match=r"frames\.skser.*n_frames=100000000 is above "
                                         r"the 100000 frames"):
        load(path)


@covers("load-planted-memory")
def test_a_planted_cache_folder_is_refused(model_file, corpus, tmp_path):
    planted = tmp_path / "planted"
    path = edit_metadata(model_file, tmp_path / "memory.skser", lambda meta: meta[
        "steps"][0]["params"].update(memory=str(planted)))
    with pytest.raises(ValueError, match=r"memory\.skser.*'memory', which "
                                         r"sklearn_ser\.save never stores"):
        load(path)
    assert not planted.exists()
    # a pipeline saved with a cache loads without one
    pipe = make_ser_pipeline("mean", n_frames=30, memory=str(tmp_path / "cache"),
                             **TINY_NET).fit(list(corpus.data), corpus.target)
    save(pipe, tmp_path / "cached.skser")
    loaded = load(tmp_path / "cached.skser")
    assert loaded.memory is None and loaded["lld"].memory is None


@covers("audio-long-duration")
def test_a_model_file_never_sets_how_long_a_file_may_be(model_file, corpus,
                                                        tmp_path):
    path = edit_metadata(model_file, tmp_path / "unbounded.skser", lambda meta: meta[
        "steps"][0]["params"].update(max_duration=None))
    with pytest.raises(ValueError, match=r"unbounded\.skser.*'max_duration', which "
                                         r"sklearn_ser\.save never stores"):
        load(path)
    pipe = make_ser_pipeline("mean", n_frames=30, **TINY_NET)
    pipe.set_params(lld__max_duration=10.0).fit(list(corpus.data), corpus.target)
    save(pipe, tmp_path / "short.skser")
    assert load(tmp_path / "short.skser")["lld"].max_duration == 3600.0


@covers("load-nan-weights")
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_weights_are_refused(model_file, corpus, tmp_path, capsys, bad):
    def poison(weights):
        key = sorted(weights)[0]
        weights[key] = weights[key].copy()
        weights[key].flat[0] = bad

    path = edit_weights(model_file, tmp_path / "nan.skser", poison)
    with pytest.raises(ValueError, match=r"nan\.skser.*weight '.*' holds NaN or "
                                         r"infinite values"):
        load(path)
    wav = tmp_path / "clip.wav"
    sf.write(wav, corpus.data[0], corpus.sampling_rate)
    rc = main(["predict", str(path), str(wav), "--format", "json"])
    out, err = capsys.readouterr()
    assert rc == 1 and out == "" and "NaN or infinite" in err


@covers("load-deep-json")
def test_deeply_nested_metadata_is_refused(model_file, tmp_path):
    members = _members(model_file)
    members["metadata.json"] = b"[" * 100_000 + b"]" * 100_000
    path = _write(tmp_path / "deep.skser", members)
    with pytest.raises(ValueError, match=r"deep\.skser' has a metadata\.json nested "
                                         r"too deeply"):
        load(path)


@covers("load-unexpected-exceptions")
@pytest.mark.parametrize("error", [RuntimeError, MemoryError])
def test_unexpected_exceptions_become_a_value_error(model_file, tmp_path, monkeypatch,
                                                    error):
    path = edit_metadata(model_file, tmp_path / "attr.skser", lambda meta: meta[
        "steps"][3]["attributes"].update(classes_=["a", "b"]))
    with pytest.raises(ValueError, match=r"attr\.skser' is invalid: AttributeError"):
        load(path)

    def failing(self, *args, **kwargs):
        raise error("simulated")

    monkeypatch.setattr(SERClassifier, "initialize", failing)
    with pytest.raises(ValueError, match=r"model\.skser' (is invalid: RuntimeError|"
                                         r"is refused: reading it ran out of memory)"):
        load(model_file)


def test_bomb_builders_make_valid_archives(tmp_path):
    """The deflate streams of the builders decode to what they declare."""
    chunks, crc = _deflate_zeros(_RUN)
    path = tmp_path / "z.zip"
    path.write_bytes(_zip([("z", chunks + [_deflate(b"", final=True)],
                            zipfile.ZIP_DEFLATED, crc, _RUN)]))
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        assert zf.getinfo("z").file_size == _RUN
    assert path.stat().st_size < _RUN / 500


# ---------------------------------------------------------------------------
# Second round: what a loaded model may make the process do
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clip(corpus, tmp_path_factory):
    """A 1 s WAV file of the synthetic corpus (what the models predict)."""
    path = tmp_path_factory.mktemp("clip") / "clip.wav"
    sf.write(path, corpus.data[0][:corpus.sampling_rate], corpus.sampling_rate)
    return path


def _params(step, **values):
    return lambda meta: meta["steps"][step]["params"].update(values)


def _scaled_weights(factor):
    def edit(weights):
        for key in weights:
            weights[key] = weights[key] * np.float32(factor)
    return edit


_COST_SCRIPT = textwrap.dedent("""
    import json, sys, time, warnings
    warnings.simplefilter("ignore")
    from sklearn_ser import load
    path, audio = sys.argv[1], sys.argv[2:]
    start = time.perf_counter()
    stage = "load"
    try:
        model = load(path)
        if audio:
            stage = "predict"
            model.predict_proba(audio)
        outcome, message = ("predicted" if audio else "loaded"), ""
    except ValueError as exc:
        outcome, message = "refused at " + stage, str(exc)
    except BaseException as exc:
        outcome, message = type(exc).__name__, str(exc)
    seconds = time.perf_counter() - start
    with open("/proc/self/status") as f:
        hwm = [line for line in f if line.startswith("VmHWM:")]
    print(json.dumps({"outcome": outcome, "message": message[:500],
                      "seconds": seconds,
                      "peak_mib": int(hwm[0].split()[1]) / 1024}))
""")


def _python_children(process):
    """The pids of the Python interpreters ``process`` runs below it now.

    Worker processes (joblib, multiprocessing, Dask) are Python interpreters;
    short helper programs that libraries start while importing (``ldconfig``
    to find a shared library, ``lscpu``) are not. Such a helper is named
    like its parent between its fork and its exec, so :func:`model_cost`
    counts a pid only when two polls in a row find it a Python interpreter.
    """
    import psutil

    pids = set()
    try:
        children = process.children(recursive=True)
    except psutil.Error:
        return pids
    for child in children:
        try:
            if "python" in child.name().lower():
                pids.add(child.pid)
        except psutil.Error:
            pass
    return pids


def model_cost(path, audio=(), timeout=120):
    """What loading ``path`` (and predicting ``audio`` with it) costs.

    ``load`` and ``predict_proba`` run in a fresh interpreter, whose child
    Python processes are counted every 10 ms while it runs (psutil; see
    :func:`_python_children`).

    Returns
    -------
    cost : dict
        ``outcome`` (``"loaded"``, ``"predicted"``, ``"refused at load"``,
        ``"refused at predict"``, an exception's name, ``"crashed (exit
        N)"`` or ``"timeout"``), ``message``, ``seconds`` (of the calls
        alone), ``peak_mib`` (peak resident memory of the interpreter,
        imports included: about 430 MiB with torch) and ``processes`` (the
        most child Python processes seen at once).
    """
    import psutil

    root = Path(__file__).resolve().parents[2]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", _COST_SCRIPT, str(path), *map(str, audio)],
            stdout=out, stderr=err, text=True, cwd=root)
        watched, most, before = psutil.Process(proc.pid), 0, set()
        deadline = time.monotonic() + timeout
        while proc.poll() is None:
            now = _python_children(watched)
            most = max(most, len(now & before))  # Python at two polls in a row
            before = now
            if time.monotonic() > deadline:
                for child in watched.children(recursive=True):
                    child.kill()
                proc.kill()
                proc.wait()
                return {"outcome": "timeout", "message": "", "seconds": timeout,
                        "peak_mib": 0.0, "processes": most}
            time.sleep(0.01)
        out.seek(0)
        err.seek(0)
        lines = out.read().strip().splitlines()
        if proc.returncode != 0 or not lines:
            return {"outcome": f"crashed (exit {proc.returncode})",
                    "message": err.read()[-2000:], "seconds": 0.0, "peak_mib": 0.0,
                    "processes": most}
    cost = json.loads(lines[-1])
    cost["processes"] = most
    return cost


#: Hostile model files that load-and-predict must survive: builder and outcome.
HOSTILE_PREDICTIONS = {
    "as-saved": (lambda m, p: edit_metadata(m, p, lambda meta: None), "predicted"),
    "sampling-rate-3MHz": (lambda m, p: edit_metadata(
        m, p, _params(0, sampling_rate=3_000_000)), "refused at load"),
    "sampling-rate-768kHz": (lambda m, p: edit_metadata(
        m, p, _params(0, sampling_rate=768_000)), "predicted"),
    "workers-12-spawn": (lambda m, p: edit_metadata(m, p, lambda meta: (
        _params(0, n_jobs=12)(meta), _params(
            3, iterator_valid__num_workers=12,
            iterator_valid__multiprocessing_context="spawn",
            iterator_valid__persistent_workers=True,
            iterator_valid__prefetch_factor=64)(meta))), "predicted"),
    "compile-true": (lambda m, p: edit_metadata(
        m, p, _params(3, compile=True, compile__mode="max-autotune")), "predicted"),
    "weights-x1e30": (lambda m, p: edit_weights(m, p, _scaled_weights(1e30)),
                      "refused at predict"),
    "classes-duplicated": (lambda m, p: edit_metadata(
        m, p, _params(3, classes=["ang", "ang", "neu", "sad"])), "refused at load"),
    "predict-nonlinearity-null": (lambda m, p: edit_metadata(
        m, p, _params(3, predict_nonlinearity=None)), "refused at load"),
    "n-frames-true": (lambda m, p: edit_metadata(m, p, _params(1, n_frames=True)),
                      "refused at load"),
}


@covers("predict-bounded-cost")
@pytest.mark.parametrize("kind", sorted(HOSTILE_PREDICTIONS))
def test_hostile_file_predicts_or_refuses_at_bounded_cost(model_file, clip, tmp_path,
                                                          kind):
    build, expected = HOSTILE_PREDICTIONS[kind]
    path = build(model_file, tmp_path / f"{kind}.skser")
    assert path.stat().st_size < MAX_FILE_BYTES
    cost = model_cost(path, [clip])
    assert cost["outcome"] == expected, cost
    if expected == "refused at load":
        assert str(path) in cost["message"], cost
    elif expected == "refused at predict":
        assert "X[0]" in cost["message"], cost
    assert cost["processes"] == 0, cost  # the user asked for none
    assert cost["peak_mib"] < MAX_PEAK_MIB, cost
    assert cost["seconds"] < MAX_SECONDS, cost


_ENGINE_SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    from sklearn_ser.features._audio import n_frames
    from sklearn_ser.features._opensmile import ENGINE
    rate = int(sys.argv[1])
    t = np.arange(rate) / rate  # 1 s
    x = (0.3 * np.sin(2 * np.pi * 220 * t)
         + 0.1 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    feats = ENGINE.extract([x], rate, x.size)
    print(json.dumps({"shape": list(feats.shape), "expected": n_frames(rate, rate),
                      "finite": bool(np.isfinite(feats).all()),
                      "f0": float(np.median(feats[:, 0]))}))
""")


@covers("load-native-sampling-rate")
@pytest.mark.parametrize("rate", FEATURE_RATES)
def test_the_engine_works_at_both_ends_of_the_rates(rate):
    """Each end of the bound in a fresh interpreter: a crash there is an exit code."""
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-c", _ENGINE_SCRIPT, str(rate)],
                          capture_output=True, text=True, timeout=120, cwd=root)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["shape"] == [result["expected"], 32] and result["expected"] == 98
    assert result["finite"]
    assert abs(result["f0"] - 220) < 0.05 * 220, result


@covers("load-native-sampling-rate")
@pytest.mark.parametrize("rate, match", [
    (3_000_000, r"'sampling_rate' .* in the range \[8000, 768000\]\. Got 3000000"),
    (10**7, r"'sampling_rate' .* in the range \[8000, 768000\]\. Got 10000000"),
    (768_001, r"'sampling_rate' .* in the range \[8000, 768000\]\. Got 768001"),
    (7999, r"sampling_rate.*8000"),
    ("16000", r"sampling_rate"),
])
def test_native_sampling_rates_are_refused_at_load(model_file, tmp_path, rate, match):
    path = edit_metadata(model_file, tmp_path / "rate.skser",
                         _params(0, sampling_rate=rate))
    with pytest.raises(ValueError, match=r"rate\.skser' is invalid: step 0 \('lld'\)"
                                         r".*" + match):
        load(path)


@covers("load-stored-parallelism")
def test_stored_parallelism_is_not_loaded(model_file, corpus, tmp_path):
    stored = {"iterator_valid__num_workers": 12,
              "iterator_valid__multiprocessing_context": "spawn",
              "iterator_train__num_workers": 4, "compile": True,
              "compile__mode": "max-autotune"}
    path = edit_metadata(model_file, tmp_path / "workers.skser", lambda meta: (
        _params(0, n_jobs=12)(meta), _params(3, **stored)(meta)))
    with pytest.warns(UserWarning, match=r"workers\.skser' sets \['lld__n_jobs', "
                                         r"'classifier__iterator_valid__num_workers'"
                                         r".*a model file does not choose them"):
        loaded = load(path)
    params = loaded.get_params()
    assert params["lld__n_jobs"] is None and params["classifier__compile"] is False
    assert not any(f"classifier__{key}" in params for key in stored if key != "compile")
    # save stores none of them, and says so
    pipe = make_ser_pipeline("mean", n_frames=30, **TINY_NET, validation_fraction=None,
                             iterator_valid__num_workers=2)  # unused by this fit
    pipe.fit(list(corpus.data), corpus.target)
    pipe.set_params(lld__n_jobs=2)
    save(pipe, tmp_path / "saved.skser")
    meta = json.loads(_members(tmp_path / "saved.skser")["metadata.json"])
    assert {"lld__n_jobs", "classifier__iterator_valid__num_workers"} <= set(
        meta["not_saved"])
    assert "n_jobs" not in meta["steps"][0]["params"]
    assert "iterator_valid__num_workers" not in meta["steps"][3]["params"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing to ignore in a file save wrote
        again = load(tmp_path / "saved.skser")
    assert again["lld"].n_jobs is None


@covers("load-stored-parallelism")
@pytest.mark.filterwarnings("ignore:'n_jobs' has no effect:FutureWarning")
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_stored_n_jobs_of_a_scikit_learn_step_is_not_loaded(corpus, tmp_path):
    import skops.io
    from sklearn.linear_model import LogisticRegression

    from sklearn_ser import make_baseline_pipeline

    pipe = make_baseline_pipeline(LogisticRegression(n_jobs=3))
    pipe.fit(list(corpus.data), corpus.target)
    save(pipe, tmp_path / "baseline.skser")
    members = _members(tmp_path / "baseline.skser")
    assert "classifier__n_jobs" in json.loads(members["metadata.json"])["not_saved"]
    assert load(tmp_path / "baseline.skser")["classifier"].n_jobs is None
    # a file whose archive stores it (as earlier versions wrote it)
    member = next(name for name in members if name.startswith("sklearn/"))
    members[member] = skops.io.dumps(pipe["classifier"])
    path = _write(tmp_path / "stored.skser", members)
    with pytest.warns(UserWarning, match=r"stored\.skser' sets \['classifier__n_jobs'\]"):
        loaded = load(path)
    assert loaded["classifier"].n_jobs is None


@covers("load-skorch-params")
@pytest.mark.parametrize("step, values, match", [
    (3, {"classes": ["ang", "ang", "neu", "sad"]},
     r"the parameter classes=\['ang', 'ang', 'neu', 'sad'\] differs from the "
     r"classes the network was trained on \(\['ang', 'hap', 'neu', 'sad'\]"),
    (3, {"classes": ["sad", "neu", "hap", "ang"]}, r"parameter classes=\['sad'.* differs"),
    (3, {"classes": ["ang", 1, "neu", "sad"]}, r"parameter classes=\['ang', 1, .* differs"),
    (3, {"predict_nonlinearity": None},
     r"predict_nonlinearity=None is not valid in a loaded SERClassifier; "
     r"expected 'auto'"),
    (3, {"predict_nonlinearity": {"__class__": "torch.nn.CrossEntropyLoss"}},
     r"predict_nonlinearity=<class .*CrossEntropyLoss'> is not valid"),
    (3, {"iterator_valid": {"__class__": "sklearn_ser.LengthBucketLoader"}},
     r"iterator_valid=LengthBucketLoader is not one of \['TrimLoader', 'DataLoader'\]"),
    (3, {"module": {"__class__": "torch.optim.Adam"}},
     r"module=Adam is not one of \['SERNet'\]"),
    (3, {"warm_start": "yes"}, r"warm_start='yes' is not valid .* expected a bool"),
    (3, {"iterator_valid__shuffle": True},
     r"iterator_valid__shuffle is not a parameter a loaded SERClassifier may set"),
    (3, {"iterator_valid__batch_size": 0},
     r"iterator_valid__batch_size=0 is not valid; expected a positive int"),
    (3, {"dataset__length": 2}, r"dataset__length is not a parameter"),
    (3, {"torch_load_kwargs": {"__dict__": [["weights_only", False]]}},
     r"torch_load_kwargs=\{'weights_only': False\} is not valid .* expected None"),
    (1, {"n_frames": True}, r"'n_frames' parameter of PadCrop must be an int .* not a "
                            r"bool"),
    (1, {"fill_value": True}, r"'fill_value' parameter of PadCrop .* not a bool"),
    (2, {"with_mean": 1}, r"with_mean"),
])
def test_restored_parameters_are_checked_against_the_fitted_state(
        model_file, tmp_path, step, values, match):
    path = edit_metadata(model_file, tmp_path / "params.skser", _params(step, **values))
    with pytest.raises(ValueError, match=r"params\.skser' is invalid: .*" + match):
        load(path)


@covers("predict-non-finite-outputs")
def test_non_finite_outputs_are_an_error_never_a_label(model_file, clip, tmp_path):
    from sklearn_ser import export_onnx

    path = edit_weights(model_file, tmp_path / "huge.skser", _scaled_weights(1e30))
    loaded = load(path)  # finite weights: the file itself is well formed
    for method in (loaded.predict, loaded.predict_proba):
        with pytest.raises(ValueError, match=r"non-finite outputs \(NaN or inf\) for "
                                             r"X\[0\], X\[1\] \(2 of 2 samples\)"):
            method([clip, clip])
    with pytest.raises(ValueError, match=r"export_onnx: the SERClassifier's network "
                                         r"gives NaN or infinite outputs"):
        export_onnx(loaded, tmp_path / "huge.onnx")
    assert not (tmp_path / "huge.onnx").exists()
    # the same network with its weights as saved predicts
    assert np.isfinite(load(model_file).predict_proba([clip])).all()


@covers("predict-non-finite-outputs")
def test_non_finite_outputs_of_a_regressor_are_an_error():
    import torch

    from sklearn_ser import SERRegressor

    from .._common import SMALL_NET, toy_3d

    X, _ = toy_3d(n=24)
    y = np.random.default_rng(0).normal(loc=3.0, size=(24, 2))
    reg = SERRegressor(**SMALL_NET).fit(X, y)
    assert np.isfinite(reg.predict(X)).all()
    with torch.no_grad():
        for weight in reg.module_.parameters():
            weight.mul_(1e30)
    with pytest.raises(ValueError, match=r"non-finite outputs \(NaN or inf\) for "
                                         r"X\[0\], X\[1\], X\[2\], X\[3\], X\[4\] and "
                                         r"19 more"):
        reg.predict(X)


@covers("load-special-files")
@pytest.mark.parametrize("kind", ["fifo", "/dev/zero", "/dev/urandom"])
def test_special_files_are_refused_before_reading(tmp_path, kind):
    path = tmp_path / "model.skser"
    if kind == "fifo":
        os.mkfifo(path)
        match = "is a FIFO (named pipe), not a regular file"
    else:
        if not os.path.exists(kind):
            pytest.skip(f"no {kind}")
        path.symlink_to(kind)
        match = "is a character device (such as /dev/zero), not a regular file"
    cost = model_cost(path, timeout=60)  # a hang is a timeout, not a stuck test
    assert cost["outcome"] == "refused at load", cost
    assert f"Model file {str(path)!r} {match}" in cost["message"], cost
    assert cost["seconds"] < MAX_SECONDS and cost["peak_mib"] < MAX_PEAK_MIB, cost


@covers("load-special-files")
def test_running_out_of_memory_while_opening_is_a_value_error(model_file, monkeypatch):
    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(zipfile, "ZipFile", exhausted)
    with pytest.raises(ValueError, match=r"model\.skser' is refused: reading it ran "
                                         r"out of memory"):
        load(model_file)


_FULL_DISK_SCRIPT = textwrap.dedent("""
    import os, resource, signal, sys
    from sklearn_ser import export_onnx, load
    model, target = sys.argv[1], sys.argv[2]
    pipe = load(model)
    export_onnx(pipe, target)
    size = os.path.getsize(target)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a signal
    resource.setrlimit(resource.RLIMIT_FSIZE, (size // 2, size // 2))
    try:
        export_onnx(pipe, target)
    except OSError as exc:
        print("OSError", exc.errno)
    else:
        print("no error")
""")


@covers("onnx-export-atomic")
def test_onnx_export_on_a_full_disk_keeps_the_old_file(model_file, tmp_path):
    target = tmp_path / "out" / "model.onnx"
    target.parent.mkdir()
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-c", _FULL_DISK_SCRIPT, str(model_file),
                           str(target)], capture_output=True, text=True, timeout=300,
                          cwd=root)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split()[0] == "OSError", proc.stdout
    assert os.listdir(target.parent) == ["model.onnx"]  # no temporary file left
    import onnx

    onnx.checker.check_model(onnx.load(str(target)))  # the complete first export


@covers("onnx-bytes-labels")
def test_onnx_export_of_bytes_labels_says_why(tmp_path):
    from sklearn_ser import export_onnx

    from .._common import SMALL_NET, toy_3d

    X, y = toy_3d()
    clf = SERClassifier(**SMALL_NET).fit(X, y.astype("S"))
    with pytest.raises(TypeError, match=r"cannot hold the class b'ang' \(bytes\); fit "
                                        r"the classifier with str or int labels "
                                        r"\(bytes: decode them, e\.g\. np\.char\."
                                        r"decode\(y\)\)"):
        export_onnx(clf, tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def _with_fitted(model_file, path, step, **attrs):
    """``model_file`` whose scikit-learn step holds ``step`` with ``attrs`` set."""
    import copy

    import skops.io

    members = _members(model_file)
    member = next(name for name in members if name.startswith("sklearn/"))
    altered = copy.deepcopy(step)
    for name, value in attrs.items():
        setattr(altered, name, value)
    members[member] = skops.io.dumps(altered)
    return _write(path, members)


@pytest.fixture(scope="module")
def svc_model(corpus, tmp_path_factory):
    from sklearn.svm import SVC

    from sklearn_ser import make_baseline_pipeline

    pipe = make_baseline_pipeline(SVC()).fit(list(corpus.data), corpus.target)
    path = tmp_path_factory.mktemp("svc") / "svc.skser"
    save(pipe, path)
    return pipe, path


@covers("load-skops-fitted-state")
def test_an_svc_whose_arrays_libsvm_would_overrun_is_refused(svc_model, clip,
                                                            tmp_path):
    pipe, model = svc_model
    svc = pipe["classifier"]
    k = svc.classes_.size
    path = _with_fitted(model, tmp_path / "dual.skser", svc,
                        _dual_coef_=np.zeros((k - 1, 0)))
    cost = model_cost(path, [clip])  # libsvm read past the array: exit -11
    assert cost["outcome"] == "refused at load", cost
    assert (f"that holds an estimator SVC that has _dual_coef_ of shape ({k - 1}, 0), "
            f"expected ({k - 1}, {svc.support_vectors_.shape[0]})") in cost["message"]
    assert cost["processes"] == 0 and cost["seconds"] < MAX_SECONDS, cost


@covers("load-skops-fitted-state")
@pytest.mark.parametrize("attrs, match", [
    ({"_intercept_": np.zeros(1)}, r"_intercept_ of shape \(1,\), expected \(6,\)"),
    ({"classes_": np.array(list("abcdefgh"))}, r"has 8 classes_ for 4 classes"),
    ({"classes_": np.array(["sad", "neu", "hap", "ang"])},
     r"classes_ that are not distinct and sorted"),
    ({"support_": np.full(16, -5, dtype=np.int32)}, r"support_ that does not index"),
    ({"_dual_coef_": np.full((3, 16), np.nan)}, r"NaN or inf in _dual_coef_"),
    ({"kernel": "precomputed"}, r"precomputed kernel"),
    ({"C": -1.0}, r"invalid parameters .*C"),
])
def test_scikit_learn_steps_are_checked_against_their_fitted_state(
        svc_model, tmp_path, attrs, match):
    pipe, model = svc_model
    path = _with_fitted(model, tmp_path / "svc.skser", pipe["classifier"], **attrs)
    with pytest.raises(ValueError, match=r"svc\.skser' has a scikit-learn step 3 "
                                         r"\('classifier'\).*" + match):
        load(path)


@covers("load-skops-fitted-state")
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_linear_step_with_altered_coefficients_is_refused(corpus, tmp_path):
    from sklearn.linear_model import LogisticRegression

    from sklearn_ser import make_baseline_pipeline

    pipe = make_baseline_pipeline(LogisticRegression()).fit(list(corpus.data),
                                                            corpus.target)
    save(pipe, tmp_path / "lr.skser")
    clf = pipe["classifier"]
    for attrs, match in [({"coef_": clf.coef_[:2], "intercept_": clf.intercept_[:2]},
                          r"2 rows of coef_ for 4 classes"),
                         ({"coef_": clf.coef_[:, :5]}, r"coef_ of shape \(4, 5\)"),
                         ({"intercept_": np.full(4, np.nan)}, r"NaN or inf in "
                                                               r"intercept_")]:
        path = _with_fitted(tmp_path / "lr.skser", tmp_path / "bad.skser", clf, **attrs)
        with pytest.raises(ValueError, match=r"bad\.skser' .*LogisticRegression .*"
                                             + match):
            load(path)
    assert (load(tmp_path / "lr.skser").predict(list(corpus.data[:3]))
            == pipe.predict(list(corpus.data[:3]))).all()


@covers("load-skops-fitted-state")
def test_the_svc_inside_a_calibrated_classifier_is_checked(corpus, tmp_path):
    import copy

    import skops.io
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.svm import SVC

    from sklearn_ser import make_baseline_pipeline

    pipe = make_baseline_pipeline(CalibratedClassifierCV(SVC(), ensemble=False, cv=2))
    pipe.fit(list(corpus.data), corpus.target)
    save(pipe, tmp_path / "calibrated.skser")
    X = list(corpus.data[:3])
    np.testing.assert_allclose(load(tmp_path / "calibrated.skser").predict_proba(X),
                               pipe.predict_proba(X))
    altered = copy.deepcopy(pipe["classifier"])
    inner = altered.calibrated_classifiers_[0].estimator
    inner._intercept_ = inner._intercept_[:1].copy()
    members = _members(tmp_path / "calibrated.skser")
    members["sklearn/3.skops"] = skops.io.dumps(altered)
    path = _write(tmp_path / "inner.skser", members)
    with pytest.raises(ValueError, match=r"inner\.skser' .*holds an estimator SVC "
                                         r"that has _intercept_ of shape \(1,\)"):
        load(path)
