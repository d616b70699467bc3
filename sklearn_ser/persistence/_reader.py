"""Reading a model file: the zip archive's members, each read within its bounds.

A member is decompressed in a stream that stops at the size it declares
and at its limit; an array's ``.npy`` header is checked against its bytes
before the array is made; only regular files are opened.
"""

import io
import json
import math
import os
import zipfile
import zlib

import numpy as np

from .._version import __version__
from ._modelfile import (
    _CHUNK,
    FORMAT_NAME,
    MAX_ARRAYS,
    MAX_SKOPS_MEMBERS,
    MEMBER_LIMITS,
    MEMBERS,
    METADATA,
    READABLE_VERSIONS,
    SKOPS_LIMIT,
    SKOPS_MEMBER,
    open_regular,
)
from ._values import ARRAY_KINDS


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
