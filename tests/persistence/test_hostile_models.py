"""Hostile model files: bounded memory and time, refused with a clear error.

Part of the robustness suite (the cases are in ``tests/_cases.py``). The
bombs are built without holding their inflated content in memory: runs of
zeros are compressed once and repeated (each run ends with a full flush,
so the copies concatenate into one valid deflate stream).
"""

import functools
import io
import json
import struct
import subprocess
import sys
import textwrap
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from sklearn_ser import SERClassifier, load, save
from sklearn_ser._cli import main
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
