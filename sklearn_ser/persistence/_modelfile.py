"""The container of a model file: its members, JSON values and arrays.

A model file is a zip archive with three members, and one more per
scikit-learn step:

``metadata.json``
    The format name and version, the library version, and for each step its
    class name, its constructor parameters and its fitted scalar attributes,
    all as JSON.
``arrays.npz``
    The fitted array attributes of the steps (scaler statistics, classes,
    ...), read with ``numpy.load(..., allow_pickle=False)``.
``weights.npz``
    The weights of each network (its ``state_dict`` as float arrays), read the
    same way.
``sklearn/<step index>.skops``
    A step that is one of scikit-learn's estimators, as a skops archive
    (:mod:`._skops`); format version 2.

Versions: :data:`FORMAT_VERSION` is the newest format this library writes
and :data:`READABLE_VERSIONS` those it reads. ``save`` writes the oldest
format that holds the model (1 unless a step is a scikit-learn estimator),
so that older versions of the library read what they can. A file of a newer
format is refused with the library version it needs, which files of format
2 and later record.

Parameter values are JSON with tags for tuples, dicts, arrays, torch devices
and the classes of the persistence registry (:mod:`._registry`); nothing is
unpickled and no class is looked up by name outside the registry.
"""

import contextlib
import io
import json
import math
import numbers
import os
import re
import stat
import tempfile
import zipfile
import zlib

import numpy as np
import torch

from .._version import __version__
from ._registry import class_name, parameter_classes

FORMAT_NAME = "sklearn-ser-model"
#: The newest format version this library writes.
FORMAT_VERSION = 2
#: The format versions this library reads.
READABLE_VERSIONS = (1, 2)
#: The first library version that reads each format version.
FIRST_READ_BY = {1: "0.1.0", 2: "0.1.0"}

METADATA = "metadata.json"
ARRAYS = "arrays.npz"
WEIGHTS = "weights.npz"
MEMBERS = (METADATA, ARRAYS, WEIGHTS)
#: Member names of the scikit-learn steps: ``sklearn/<step index>.skops``.
SKOPS_MEMBER = re.compile(r"^sklearn/(0|[1-9][0-9]{0,3})\.skops$")
#: The most scikit-learn steps one model file may hold.
MAX_SKOPS_MEMBERS = 64

#: The most bytes each member may hold once decompressed. A model file of the
#: paper's network holds about 4 MB of weights; a file whose members declare,
#: or inflate to, more than these is refused before (or while) it is read, so
#: a small file cannot make ``load`` allocate gigabytes (a zip bomb).
MEMBER_LIMITS = {
    METADATA: 8 * 2**20,
    ARRAYS: 64 * 2**20,
    WEIGHTS: 256 * 2**20,
}
#: The most bytes the scikit-learn steps may hold, all together (an SVC on
#: the functionals of IEMOCAP holds about 10 MB of support vectors).
SKOPS_LIMIT = 64 * 2**20
#: Arrays one ``.npz`` member may hold (a step has a handful of fitted
#: arrays; the paper's network has 26 weights).
MAX_ARRAYS = 4096
_CHUNK = 2**20

ARRAY_KINDS = "biufU"
_TAGS = ("__tuple__", "__dict__", "__ndarray__", "__class__", "__device__")


class Unsavable(TypeError):
    """A value that a model file cannot hold."""


# ---------------------------------------------------------------------------
# JSON encoding of parameters
# ---------------------------------------------------------------------------


def encode(value, where):
    """Encode a parameter value as tagged JSON; Unsavable if impossible."""
    if value is None or isinstance(value, (bool, str)):
        return str(value) if isinstance(value, str) else value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, f"{where}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {"__dict__": [[encode(k, f"{where} key"), encode(v, f"{where}[{k!r}]")]
                             for k, v in value.items()]}
    if isinstance(value, np.ndarray):
        array = plain_array(value)
        if array is not None:
            return {"__ndarray__": array.tolist(), "dtype": array.dtype.str}
    if isinstance(value, torch.device):
        return {"__device__": str(value)}
    name = class_name(value) if isinstance(value, type) else None
    if name is not None:
        return {"__class__": name}
    what = (f"the class {value.__module__}.{value.__qualname__}"
            if isinstance(value, type) else f"a {type(value).__name__} object")
    raise Unsavable(
        f"{where} is {what}, which a sklearn-ser model file cannot hold (it stores "
        "numbers, strings, booleans, None, lists, tuples, dicts and arrays of "
        f"those, and the classes {sorted(parameter_classes())}). Set it to a "
        "supported value (e.g. its default) before saving."
    )


def plain_array(value):
    """The array as a numeric or unicode array, or None if it holds objects."""
    if value.dtype.kind in ARRAY_KINDS:
        return value
    if value.dtype.kind == "O" and all(isinstance(v, str) for v in value.flat):
        return value.astype(str)
    return None


def decode(value, where):
    """Inverse of :func:`encode`; ValueError on anything unexpected."""
    if value is None or isinstance(value, (bool, str, int, float)):
        return value
    if isinstance(value, list):
        return [decode(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if not isinstance(value, dict):  # pragma: no cover - json gives no other type
        raise ValueError(f"{where} has an unexpected JSON type {type(value).__name__}.")
    tags = [k for k in value if k in _TAGS]
    if len(tags) != 1 or (set(value) - {tags[0], "dtype"}) or (
        ("dtype" in value) != (tags[0] == "__ndarray__")
    ):
        raise ValueError(f"{where} is a JSON object {sorted(value)} of an unknown kind.")
    tag, content = tags[0], value[tags[0]]
    if tag == "__tuple__":
        _expect(isinstance(content, list), where, "a list")
        return tuple(decode(v, f"{where}[{i}]") for i, v in enumerate(content))
    if tag == "__dict__":
        _expect(isinstance(content, list) and all(
            isinstance(kv, list) and len(kv) == 2 for kv in content), where,
            "a list of [key, value] pairs")
        out = {}
        for k, v in content:
            key = decode(k, f"{where} key")
            try:
                hash(key)
            except TypeError:
                raise ValueError(f"{where} is malformed; expected hashable keys, "
                                 f"got {key!r}.") from None
            out[key] = decode(v, f"{where}[{key!r}]")
        return out
    if tag == "__ndarray__":
        dtype = value["dtype"]
        _expect(isinstance(dtype, str), where, "a dtype string")
        try:
            dtype = np.dtype(dtype)
        except TypeError:
            raise ValueError(f"{where} has an unknown dtype {dtype!r}.") from None
        _expect(dtype.kind in ARRAY_KINDS and isinstance(content, (list, int, float,
                                                                    str, bool)),
                where, "a numeric or string array")
        try:
            return np.asarray(content, dtype=dtype)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where} is not a valid {dtype} array ({exc}).") from None
    if tag == "__device__":
        _expect(isinstance(content, str), where, "a device name")
        try:
            return torch.device(content)
        except (RuntimeError, TypeError):
            raise ValueError(f"{where} names an unknown device {content!r}.") from None
    # tag == "__class__"
    known = parameter_classes()
    if not isinstance(content, str) or content not in known:
        raise ValueError(
            f"{where} names the class {content!r}, which is not among the classes a "
            f"model file may use: {sorted(known)}."
        )
    return known[content]


def _expect(ok, where, what):
    if not ok:
        raise ValueError(f"{where} is malformed; expected {what}.")


# ---------------------------------------------------------------------------
# Writing and reading the archive
# ---------------------------------------------------------------------------


def npz_bytes(arrays):
    """The ``.npz`` archive of ``{name: array}``, as bytes."""
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _write_members(target, members):
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def default_file_mode():
    """Permissions of a new file under the process umask (0o666 & ~umask).

    :func:`tempfile.mkstemp` creates files readable by their owner only; a
    file moved into place from one gets these permissions instead, those
    of a file that ``open(path, "w")`` would have made.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def write_zip(members, path):
    """Write ``{member name: bytes}`` to a path (atomically) or a file object."""
    if hasattr(path, "write"):
        _write_members(path, members)
        return
    write_atomically(path, lambda f: _write_members(f, members), "the model")


def write_atomically(path, write, what):
    """Write a file through ``write(file object)``, all or nothing.

    The content goes to a temporary file in the target's folder, which
    replaces the target only once it is complete: an interrupted or failed
    write (a full disk, Ctrl-C) leaves an existing file as it was and no
    partial file behind. A symbolic link is written through (the file it
    points to is replaced, the link stays); anything but a regular file at
    the target is refused.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write.
    write : callable
        ``write(f)`` writes the content to the binary file object ``f``.
    what : str
        How messages name the content (``"the model"``).

    Raises
    ------
    IsADirectoryError
        If ``path`` is a directory.
    ValueError
        If ``path`` is a device, a FIFO or a socket.
    FileNotFoundError
        If the folder of ``path`` does not exist.
    """
    path = os.fspath(path)
    real = os.path.realpath(path)
    if os.path.isdir(real):
        raise IsADirectoryError(
            f"Cannot save {what} to {path!r}: it is a directory; expected the "
            "path of a file.")
    if os.path.exists(real) and not os.path.isfile(real):
        raise ValueError(
            f"Cannot save {what} to {path!r}: it is not a regular file (a "
            "device, FIFO or socket); expected the path of a file.")
    folder = os.path.dirname(real)
    if not os.path.isdir(folder):
        raise FileNotFoundError(
            f"Cannot save {what} to {path!r}: the folder {folder!r} does not exist."
        )
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".sklearn_ser_", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, default_file_mode())
        os.replace(tmp, real)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


_SPECIAL_FILES = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device (such as /dev/zero)"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def open_regular(path, label):
    """A binary file object of the regular file ``path``; anything else refused.

    The file is opened without blocking (a FIFO would wait for a writer)
    and its type is read from the open descriptor, so that what is checked
    is what is read: a FIFO, a device (also behind a symbolic link, e.g. to
    ``/dev/zero``, which never ends) or a socket is refused before a byte
    is read.

    Parameters
    ----------
    path : str
        The path to open.
    label : str
        How messages name the file.

    Returns
    -------
    file : io.BufferedReader
        The open file, in blocking mode.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    IsADirectoryError
        If ``path`` is a directory.
    ValueError
        If ``path`` is not a regular file; the message names its kind.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise FileNotFoundError(f"Model file {label} does not exist.") from None
    except IsADirectoryError:
        raise IsADirectoryError(f"Model file {label} is a directory, not a file.") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(f"Model file {label} is a directory, not a file.")
        if not stat.S_ISREG(mode):
            kind = next((what for test, what in _SPECIAL_FILES if test(mode)),
                        "not a regular file")
            raise ValueError(
                f"Model file {label} is {kind}, not a regular file; a model file "
                "is the regular file written by sklearn_ser.save.")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


class Reader:
    """Reads and checks the members of a model file.

    ``path`` is a path of a regular file (see :func:`open_regular`) or a
    binary file object.
    """

    def __init__(self, path):
        self.label = (repr(os.fspath(path)) if isinstance(path, (str, os.PathLike))
                      else "the model file")
        self._own = None
        try:
            if hasattr(path, "read"):
                source = path
            else:
                source = self._own = open_regular(os.fspath(path), self.label)
            self.zf = zipfile.ZipFile(source)
        except (zipfile.BadZipFile, EOFError, ValueError, OSError, MemoryError) as exc:
            if self._own is not None:
                self._own.close()
            if isinstance(exc, (FileNotFoundError, IsADirectoryError)) or (
                    str(exc).startswith("Model file ")):
                raise
            if isinstance(exc, MemoryError):
                raise self.error("is refused: reading it ran out of memory.") from None
            if isinstance(exc, OSError) and not isinstance(exc, io.UnsupportedOperation):
                raise
            raise self.error(
                "is not a sklearn-ser model file, or it is damaged (truncated?): "
                "it is not a readable zip archive. Model files are written by "
                "sklearn_ser.save; pickle or joblib files are refused, since "
                "loading them could run arbitrary code."
            ) from None

    def error(self, message):
        return ValueError(f"Model file {self.label} {message}")

    def close(self):
        self.zf.close()
        if self._own is not None:
            self._own.close()

    def check_members(self):
        infos = self.zf.infolist()
        expected = (f"{list(MEMBERS)} and one 'sklearn/<step>.skops' per "
                    "scikit-learn step")
        if len(infos) > 2 * (len(MEMBERS) + MAX_SKOPS_MEMBERS):
            raise self.error(
                f"holds {len(infos)} members; a sklearn-ser model file holds only "
                f"{expected}. It was not written by sklearn_ser.save or it "
                "was altered, and it is refused."
            )
        names = [info.filename for info in infos]
        unexpected = sorted(n for n in set(names)
                            if n not in MEMBERS and not SKOPS_MEMBER.match(n))
        if unexpected:
            raise self.error(
                f"contains unexpected member(s) {unexpected[:5]}; a sklearn-ser "
                f"model file holds only {expected}. It was not written by "
                "sklearn_ser.save or it was altered, and it is refused."
            )
        missing = [m for m in MEMBERS if m not in names]
        if missing:
            raise self.error(f"lacks the member(s) {missing}; it is damaged.")
        if len(names) != len(set(names)):
            raise self.error("holds duplicate members; it was altered and is refused.")
        skops_infos = [info for info in infos if SKOPS_MEMBER.match(info.filename)]
        if len(skops_infos) > MAX_SKOPS_MEMBERS:
            raise self.error(f"holds {len(skops_infos)} scikit-learn steps, more than "
                             f"the {MAX_SKOPS_MEMBERS} a model file may hold; refused.")
        for info in infos:
            _check_declared(info, member_limit(info.filename), self.error, "")
        total = sum(info.file_size for info in skops_infos)
        if total > SKOPS_LIMIT:
            raise self.error(
                f"has scikit-learn steps that declare {total} bytes in all, more "
                f"than the {SKOPS_LIMIT} bytes a model file may hold there; it is "
                "refused (a decompression bomb, or not a sklearn-ser model file).")

    def read(self, name):
        """The bytes of a member, decompressed in a stream of bounded size.

        The member's CRC is checked at its end (by :mod:`zipfile`); reading
        stops with a ``ValueError`` as soon as more bytes come out than the
        member declares or than :data:`MEMBER_LIMITS` allows.
        """
        try:
            info = self.zf.getinfo(name)
            _check_declared(info, member_limit(name), self.error, "")
            return _read_bounded(self.zf, info, member_limit(name), self.error, "")
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, zlib.error,
                NotImplementedError, RuntimeError) as exc:
            if str(exc).startswith("Model file "):
                raise
            raise self.error(f"is damaged (truncated?): {exc}.") from None

    def metadata(self):
        try:
            meta = json.loads(bytes(self.read(METADATA)).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise self.error(f"has an unreadable {METADATA} ({exc}).") from None
        except RecursionError:
            raise self.error(
                f"has a {METADATA} nested too deeply to be a model's metadata; "
                "it is refused.") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
            raise self.error(
                f"is not a sklearn-ser model file ({METADATA} does not name the "
                f"format {FORMAT_NAME!r})."
            )
        version = meta.get("format_version")
        written_by = meta.get("library_version", "an unknown version")
        if isinstance(version, bool) or version not in READABLE_VERSIONS:
            readable = " and ".join(map(str, READABLE_VERSIONS))
            if isinstance(version, int) and version > max(READABLE_VERSIONS):
                needs = meta.get("needs_library_version")
                needs = needs if isinstance(needs, str) else written_by
                hint = f"it needs sklearn-ser {needs} or newer: upgrade sklearn-ser"
            else:
                hint = ("no version of sklearn-ser reads it any more: save the "
                        "model again with this one")
            raise self.error(
                f"has format version {version!r} (written by sklearn-ser "
                f"{written_by}), but this sklearn-ser {__version__} reads format "
                f"versions {readable}; {hint}."
            )
        return meta

    def skops_steps(self):
        """``{member name: bytes}`` of the scikit-learn steps, read bounded."""
        return {name: self.read(name) for name in self.zf.namelist()
                if SKOPS_MEMBER.match(name)}

    def arrays(self, name):
        """``{key: array}`` of an ``.npz`` member, read without pickle.

        The inner archive is checked like the outer one (member count,
        declared and actual sizes within the member's limit), and each
        ``.npy`` header is checked against the bytes that follow it before
        any array is made: the arrays are views of the bytes read.
        """
        data = self.read(name)
        try:
            inner = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, EOFError, ValueError, OSError) as exc:
            raise self.error(
                f"has a {name} member that is not a plain numpy archive ({exc}); "
                "it is refused."
            ) from None
        limit = MEMBER_LIMITS[name]
        with inner:
            infos = inner.infolist()
            if len(infos) > MAX_ARRAYS:
                raise self.error(f"has {len(infos)} arrays in {name}, more than the "
                                 f"{MAX_ARRAYS} a model file may hold; refused.")
            total = sum(info.file_size for info in infos)
            if total > limit:
                raise self.error(
                    f"has arrays in {name} that declare {total} bytes in all, more "
                    f"than the {limit} bytes a model file may hold there; refused.")
            out = {}
            for info in infos:
                key = info.filename[:-4] if info.filename.endswith(".npy") else None
                if not key or key in out:
                    raise self.error(f"has a {name} member that is not a plain numpy "
                                     f"archive (member {info.filename!r}); refused.")
                try:
                    raw = _read_bounded(inner, info, limit, self.error, f" in {name}")
                except (zipfile.BadZipFile, EOFError, OSError, zlib.error,
                        NotImplementedError, RuntimeError) as exc:
                    raise self.error(f"has a damaged array {key!r} ({exc}).") from None
                out[key] = _npy_view(raw, f"array {key!r} in {name}", self.error)
        return out


def member_limit(name):
    """The most bytes the member ``name`` may hold once decompressed."""
    return MEMBER_LIMITS.get(name, SKOPS_LIMIT)


def skops_member_name(index):
    """The member of the scikit-learn step at position ``index``."""
    return f"sklearn/{index}.skops"


def check_npy(raw, what, error):
    """Check a ``.npy`` file held in ``raw`` (see :func:`_npy_view`)."""
    _npy_view(raw, what, error)


def _check_declared(info, limit, error, where):
    """Refuse a zip member that declares more than ``limit`` bytes."""
    if info.file_size > limit:
        raise error(
            f"has a member {info.filename!r}{where} that declares {info.file_size} "
            f"bytes, more than the {limit} bytes a model file may hold there; it is "
            "refused (a decompression bomb, or not a sklearn-ser model file)."
        )


def _read_bounded(zf, info, limit, error, where):
    """Decompress a member into a ``bytearray``, never past ``limit`` bytes."""
    size = info.file_size
    _check_declared(info, limit, error, where)
    out = bytearray(size)
    view = memoryview(out)
    pos = 0
    with zf.open(info) as f:
        while True:
            chunk = f.read(min(_CHUNK, size - pos + 1))
            if not chunk:
                break
            if pos + len(chunk) > size:
                raise error(
                    f"has a member {info.filename!r}{where} that inflates to more "
                    f"than the {size} bytes it declares; it is refused.")
            view[pos:pos + len(chunk)] = chunk
            pos += len(chunk)
    view.release()
    if pos != size:
        raise error(f"is damaged (truncated?): member {info.filename!r}{where} "
                    f"holds {pos} of the {size} bytes it declares.")
    return out


def _npy_view(raw, what, error):
    """The array of a ``.npy`` file held in ``raw``, checked before it is made."""
    head = io.BytesIO(bytes(raw[:min(len(raw), 65536)]))
    try:
        version = np.lib.format.read_magic(head)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(head)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(head)
        else:
            raise ValueError(f"unsupported .npy format version {version}")
    except (ValueError, EOFError, SyntaxError, TypeError) as exc:
        raise error(f"has an {what} that is not a plain numpy array ({exc}); it "
                    "is refused.") from None
    if dtype.hasobject:
        raise error(f"has an {what} of dtype {dtype} that cannot be read without "
                    "pickle; it is refused.")
    if dtype.kind not in ARRAY_KINDS or dtype.itemsize == 0:
        raise error(f"has an {what} of dtype {dtype}; refused.")
    offset = head.tell()
    count = math.prod(shape)
    if count * dtype.itemsize != len(raw) - offset:
        raise error(
            f"has an {what} whose header declares shape {shape} ({dtype}, "
            f"{count * dtype.itemsize} bytes) but holds {len(raw) - offset} bytes; "
            "it is damaged or was altered."
        )
    array = np.frombuffer(raw, dtype=dtype, count=count, offset=offset)
    return array.reshape(shape, order="F" if fortran else "C")


def field(mapping, key, types, where):
    """``mapping[key]``, which must exist and be of ``types`` (else ValueError)."""
    if not isinstance(mapping, dict) or key not in mapping:
        raise ValueError(f"{where} lacks the field {key!r}.")
    value = mapping[key]
    if not isinstance(value, types):
        raise ValueError(f"{where}: field {key!r} has an unexpected type "
                         f"{type(value).__name__}.")
    return value


METADATA_KEYS = {"format", "format_version", "library_version", "written_with",
                 "kind", "pipeline_params", "steps", "not_saved",
                 "needs_library_version"}
STEP_KEYS = {"name", "class", "params", "attributes", "arrays", "weights", "history"}
#: The fields of a scikit-learn step (format 2).
SKOPS_STEP_KEYS = {"name", "class", "skops"}


def check_keys(mapping, allowed, where):
    """Refuse the keys of ``mapping`` outside ``allowed`` (ValueError)."""
    unknown = sorted(set(mapping) - allowed)
    if unknown:
        raise ValueError(f"{where} has unknown field(s) {unknown}; refused.")

