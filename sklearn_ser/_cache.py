"""The feature cache of LLDExtractor: one entry per input, keyed by content."""

import functools
import hashlib
import os
import tempfile

import numpy as np

from ._modelfile import default_file_mode
from ._opensmile import ENGINE, N_FEATURES

__all__ = ["FeatureCache", "cache_key", "check_memory"]

# Bump when anything that changes the extracted values changes (decoding,
# mix-down, resampling, the frame selection), so that old cache entries are
# never reused.
_CACHE_FORMAT = "sklearn_ser.LLDExtractor/1"

_MAGIC = b"SKSERLD1"


def check_memory(memory):
    """The ``joblib.Memory`` of a ``memory`` parameter, or None (no caching).

    Parameters
    ----------
    memory : None, str, os.PathLike or joblib.Memory
        A folder, or a ``joblib.Memory``; one without location disables
        caching.

    Returns
    -------
    memory : joblib.Memory or None

    Raises
    ------
    TypeError
        If ``memory`` is an object with a ``cache`` method but no store.
    """
    import joblib

    if memory is None:
        return None
    if isinstance(memory, (str, os.PathLike)):
        return joblib.Memory(location=os.fspath(memory), verbose=0)
    if getattr(memory, "store_backend", None) is None:
        if getattr(memory, "location", None) is None and hasattr(memory, "cache"):
            return None  # joblib.Memory(location=None): caching disabled
        raise TypeError(
            "memory must be None, a path or a joblib.Memory with a store "
            f"backend, got {memory!r}."
        )
    return memory


@functools.lru_cache(maxsize=1)
def _config_digest():
    """Hash of what makes the features besides the input."""
    import scipy

    version, config = ENGINE.identity()
    h = hashlib.sha256()
    for part in (_CACHE_FORMAT, version, scipy.__version__.split(".")[0]):
        h.update(part.encode() + b"\0")
    h.update(config)
    return h.hexdigest()


def cache_key(kind, content, shape, sampling_rate):
    """Cache key of one input.

    Parameters
    ----------
    kind : {"file", "array"}
        What ``content`` is.
    content : bytes-like
        The bytes of the file, or the samples of the mono float32 waveform.
    shape : object
        The length of the file, or the shape of the waveform.
    sampling_rate : int
        Sampling rate of the features, in Hz.

    Returns
    -------
    key : str
        A SHA-256 hex digest that also covers the openSMILE config and
        version, and the cache format.
    """
    h = hashlib.sha256()
    h.update(f"{_config_digest()}|{kind}|{shape}|{int(sampling_rate)}|".encode())
    h.update(content)
    return h.hexdigest()


class FeatureCache:
    """Per-item feature cache inside the store of a joblib ``Memory``.

    With joblib's default file-system store, each entry is a file
    ``<location>/sklearn_ser/LLDExtractor/<key[:2]>/<key>.lld`` (``location``
    is the store's folder, ``<memory.location>/joblib``): a 16-byte header
    (``_MAGIC`` and the number of frames, little-endian int64) followed by the
    ``(n_frames, 32)`` little-endian float32 features. Entries are written
    atomically (temporary file + rename, safe with concurrent workers) and
    read without pickle. ``Memory.clear()`` removes them. Other store backends
    are used through their ``dump_item``/``load_item`` interface.
    """

    def __init__(self, memory):
        store = memory.store_backend
        location = getattr(store, "location", None)
        self.folder = None
        self.store_backend = None
        if type(store).__name__ == "FileSystemStoreBackend" and location:
            self.folder = os.path.join(os.fspath(location), "sklearn_ser",
                                       "LLDExtractor")
        else:  # pragma: no cover - custom joblib store backends
            self.store_backend = store

    def _file(self, key):
        return os.path.join(self.folder, key[:2], key + ".lld")

    def _read(self, key):
        with open(self._file(key), "rb") as f:
            header = f.read(16)
            if len(header) != 16 or header[:8] != _MAGIC:
                return None
            n = int.from_bytes(header[8:], "little", signed=True)
            if not 0 < n < 2**40:
                return None
            feats = np.empty((n, N_FEATURES), dtype="<f4")
            if f.readinto(memoryview(feats).cast("B")) != feats.nbytes or f.read(1):
                return None
        return feats.astype(np.float32, copy=False)

    def load(self, key):
        try:
            if self.folder is not None:
                feats = self._read(key)
                if feats is None:
                    return None
            else:  # pragma: no cover
                path = ["sklearn_ser", "LLDExtractor", key[:2], key]
                if not self.store_backend.contains_item(path):
                    return None
                feats = np.array(self.store_backend.load_item(path, verbose=0))
        except FileNotFoundError:
            return None
        except Exception:  # damaged entry: extract again and overwrite it
            return None
        if (feats.dtype != np.float32 or feats.ndim != 2
                or feats.shape[1] != N_FEATURES):
            return None
        return feats

    def store(self, key, feats):
        if self.folder is None:  # pragma: no cover
            path = ["sklearn_ser", "LLDExtractor", key[:2], key]
            self.store_backend.dump_item(path, feats, verbose=0)
            return
        target = self._file(key)
        folder = os.path.dirname(target)
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=key[:8], suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(_MAGIC + int(feats.shape[0]).to_bytes(8, "little", signed=True))
                f.write(np.ascontiguousarray(feats, dtype="<f4").tobytes())
            os.chmod(tmp, default_file_mode())
            os.replace(tmp, target)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

