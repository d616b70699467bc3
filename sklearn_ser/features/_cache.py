"""The feature cache of the extractors: one entry per input, keyed by content."""

import functools
import hashlib
import os
import tempfile
import warnings

import numpy as np

from .._files import NotRegularFile, open_regular_fd
from ..persistence._modelfile import default_file_mode
from ._notes import Notes
from ._opensmile import N_FEATURES, engine

__all__ = ["FeatureCache", "cache_key", "check_memory", "feature_set_digest"]

# Bump when anything that changes the extracted values changes (decoding,
# mix-down, resampling, the frame selection), so that old cache entries are
# never reused.
_CACHE_FORMAT = "sklearn_ser.LLDExtractor/3"

_MAGIC = b"SKSERLD3"
# magic, frames, the input's rate and share at full scale, key, SHA-256 of the
# features and notes
_HEADER = 8 + 8 + 8 + 8 + 32 + 32


def _unwritable(where, exc):
    """The one warning of a cache that cannot be written."""
    warnings.warn(
        f"The feature cache {where!r} cannot be written ({type(exc).__name__}: "
        f"{exc}); the features are computed and returned without caching.",
        UserWarning, stacklevel=3,
    )


def check_memory(memory, name="memory"):
    """The ``joblib.Memory`` of a ``memory`` parameter, or None (no caching).

    Parameters
    ----------
    memory : None, str, os.PathLike or joblib.Memory
        A folder, or a ``joblib.Memory``; one without location disables
        caching.
    name : str, default="memory"
        How messages name the parameter.

    Returns
    -------
    memory : joblib.Memory or None
        None also for a folder that cannot be made (a file in its place, a
        read-only parent), with one ``UserWarning``: the features are
        computed without caching.

    Raises
    ------
    TypeError
        If ``memory`` is an object with a ``cache`` method but no store.
    ValueError
        If ``memory`` is an empty path (which would cache into the working
        directory).
    """
    import joblib

    if memory is None:
        return None
    if isinstance(memory, (str, os.PathLike)):
        location = os.fspath(memory)
        if not location.strip():
            raise ValueError(
                f"{name}={memory!r} is an empty path; expected the folder of the "
                "feature cache, or None for no cache (an empty path would cache "
                "into the working directory)."
            )
        try:
            return joblib.Memory(location=location, verbose=0)
        except OSError as exc:  # a file in place of the folder, read-only, ...
            _unwritable(location, exc)
            return None
    if getattr(memory, "store_backend", None) is None:
        if getattr(memory, "location", None) is None and hasattr(memory, "cache"):
            return None  # joblib.Memory(location=None): caching disabled
        raise TypeError(
            "memory must be None, a path or a joblib.Memory with a store "
            f"backend, got {memory!r}."
        )
    return memory


@functools.cache
def feature_set_digest(feature_set="is09"):
    """Hash of what makes the features of an openSMILE set besides the input.

    The cache format, the versions of ``opensmile`` and of SciPy (its
    resampling filter) and the content of the set's configuration file.

    Parameters
    ----------
    feature_set : str, default="is09"
        The feature set.

    Returns
    -------
    digest : str
        A SHA-256 hex digest.
    """
    import scipy

    version, config = engine(feature_set).identity()
    h = hashlib.sha256()
    for part in (_CACHE_FORMAT, version, scipy.__version__.split(".")[0]):
        h.update(part.encode() + b"\0")
    h.update(config)
    return h.hexdigest()


def cache_key(kind, content, shape, sampling_rate, digest=None):
    """Cache key of one input.

    Parameters
    ----------
    kind : {"file", "array"}
        What ``content`` is.
    content : bytes-like or iterable of bytes-like
        The bytes of the file (in blocks, as
        :meth:`~sklearn_ser.features._audiofile.AudioFile.chunks` reads
        them: the key is that of the whole content), or the samples of the
        mono float32 waveform.
    shape : object
        The length of the file, or the shape of the waveform.
    sampling_rate : int
        Sampling rate of the features, in Hz.
    digest : str, default=None
        What makes the features besides the input: :func:`feature_set_digest`
        of the feature set, or an encoder's identity; None means the IS09
        set's.

    Returns
    -------
    key : str
        A SHA-256 hex digest that also covers ``digest`` (for an openSMILE
        set: its config, the opensmile version and the cache format).
    """
    if digest is None:
        digest = feature_set_digest("is09")
    h = hashlib.sha256()
    h.update(f"{digest}|{kind}|{shape}|{int(sampling_rate)}|".encode())
    if isinstance(content, (bytes, bytearray, memoryview)):
        h.update(content)
    else:
        for chunk in content:
            h.update(chunk)
    return h.hexdigest()


def _checksum(packed_notes, feats):
    h = hashlib.sha256(packed_notes)
    h.update(memoryview(np.ascontiguousarray(feats, dtype="<f4")).cast("B"))
    return h.digest()


class FeatureCache:
    """Per-item feature cache inside the store of a joblib ``Memory``.

    With joblib's default file-system store, each entry is a file
    ``<location>/sklearn_ser/<owner>/<key[:2]>/<key>.lld`` (``location``
    is the store's folder, ``<memory.location>/joblib``): a 96-byte header
    (``_MAGIC``, the number of frames as a little-endian int64, the input's
    :class:`~sklearn_ser.features._audio.Notes` -- its own sampling rate as an int64
    and its share of samples at full scale as a float64 --, the entry's key
    and the SHA-256 of the notes and the feature bytes, 32 bytes each)
    followed by the ``(n_frames, n_features)`` little-endian float32
    features. An
    entry is used only if its header names its own key and its notes and
    features match the checksum:
    a damaged, truncated, shortened or misplaced entry (a flipped byte, a
    well-formed entry of another input, a folder in its place) counts as
    missing and is extracted again and overwritten. Entries are written
    atomically (temporary file + rename, safe with concurrent workers) and
    read without pickle; a cache that cannot be written (read-only, full)
    gives one warning and the features are returned all the same. Only
    regular files are read as entries, without blocking (a FIFO in an
    entry's place counts as missing), and entries are never written through
    a symbolic link that leads out of the cache folder (that counts as a
    cache that cannot be written). The checksum protects against corruption,
    not against whoever can write the folder.
    ``Memory.clear()`` removes the entries. Other store backends are used
    through their ``dump_item``/``load_item`` interface.

    Parameters
    ----------
    memory : joblib.Memory
        The store (see :func:`check_memory`).
    n_features : int, default=32
        Columns of the features; an entry of another width counts as missing.
    owner : str, default="LLDExtractor"
        The folder of the entries (the extractor's class name).
    """

    def __init__(self, memory, n_features=N_FEATURES, owner="LLDExtractor"):
        store = memory.store_backend
        location = getattr(store, "location", None)
        self.n_features = int(n_features)
        self.owner = owner
        self.folder = self.location = None
        self.store_backend = None
        self.warned = False
        if type(store).__name__ == "FileSystemStoreBackend" and location:
            self.location = os.fspath(location)
            self.folder = os.path.join(self.location, "sklearn_ser", owner)
        else:  # pragma: no cover - custom joblib store backends
            self.store_backend = store

    def _file(self, key):
        return os.path.join(self.folder, key[:2], key + ".lld")

    def _read(self, key):
        # without blocking, and only a regular file: a FIFO or a device in an
        # entry's place would block or never end
        try:
            fd, info = open_regular_fd(self._file(key))
        except NotRegularFile:
            return None
        with os.fdopen(fd, "rb") as f:
            header = f.read(_HEADER)
            if len(header) != _HEADER or header[:8] != _MAGIC:
                return None
            n = int.from_bytes(header[8:16], "little", signed=True)
            if (not 0 < n < 2**40 or header[32:64] != bytes.fromhex(key)
                    or info.st_size != _HEADER + n * self.n_features * 4):
                return None
            feats = np.empty((n, self.n_features), dtype="<f4")
            if f.readinto(memoryview(feats).cast("B")) != feats.nbytes or f.read(1):
                return None
        if _checksum(header[16:32], feats) != header[64:]:
            return None
        rate = int.from_bytes(header[16:24], "little", signed=True)
        share = float(np.frombuffer(header[24:32], dtype="<f8")[0])
        if not (0 < rate < 2**31 and 0.0 <= share <= 1.0):
            return None
        return feats.astype(np.float32, copy=False), Notes(rate, share)

    def load(self, key):
        """``(features, notes)`` cached under ``key``, or None (missing, damaged)."""
        try:
            if self.folder is not None:
                entry = self._read(key)
                if entry is None:
                    return None
                feats, notes = entry
            else:  # pragma: no cover
                path = ["sklearn_ser", self.owner, key[:2], key]
                if not self.store_backend.contains_item(path):
                    return None
                feats, rate, share = self.store_backend.load_item(path, verbose=0)
                feats, notes = np.array(feats), Notes(rate, share)
        except FileNotFoundError:
            return None
        except Exception:  # damaged entry: extract again and overwrite it
            return None
        if (feats.dtype != np.float32 or feats.ndim != 2
                or feats.shape[1] != self.n_features):
            return None
        return feats, notes

    def store(self, key, feats, notes):
        """Cache ``feats`` and ``notes`` under ``key``; a failed write warns once."""
        try:
            self._store(key, feats, notes)
        except OSError as exc:
            if not self.warned:
                self.warned = True
                _unwritable(self.folder if self.folder is not None else "the store",
                            exc)

    def _store(self, key, feats, notes):
        if self.folder is None:  # pragma: no cover
            path = ["sklearn_ser", self.owner, key[:2], key]
            self.store_backend.dump_item(path, (feats, *notes), verbose=0)
            return
        target = self._file(key)
        folder = os.path.dirname(target)
        os.makedirs(folder, exist_ok=True)
        inside = os.path.join(os.path.realpath(self.location), "sklearn_ser",
                              self.owner, key[:2])
        if os.path.realpath(folder) != inside:
            raise OSError(f"{folder!r} leads to {os.path.realpath(folder)!r} "
                          "(a symbolic link); entries are written only inside "
                          "the cache folder")
        data = np.ascontiguousarray(feats, dtype="<f4")
        packed = (int(notes.rate).to_bytes(8, "little", signed=True)
                  + np.float64(notes.full_scale).astype("<f8").tobytes())
        header = (_MAGIC + int(feats.shape[0]).to_bytes(8, "little", signed=True)
                  + packed + bytes.fromhex(key) + _checksum(packed, data))
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=key[:8], suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(header)
                f.write(data.tobytes())
            os.chmod(tmp, default_file_mode())
            if os.path.isdir(target) and not os.path.islink(target):
                os.rmdir(target)  # an (empty) folder in the entry's place
            os.replace(tmp, target)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
