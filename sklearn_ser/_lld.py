"""Frame-level openSMILE low-level descriptors (the paper's 32 LLDs)."""

import ctypes
import hashlib
import io
import math
import numbers
import os
import re
import shutil
import sys
import tempfile
import threading
from math import gcd

import joblib
import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import HasMethods, Interval

from ._validation import FRAMES_COLUMN, frame_with_features, is_dataframe

__all__ = ["LLDExtractor"]

# ---------------------------------------------------------------------------
# Feature set
# ---------------------------------------------------------------------------

_CONFIG_NAME = "is09_lld_delta.conf"

_LLD_NAMES = (
    "F0_sma",
    "pcm_RMSenergy_sma",
    "pcm_zcr_sma",
    "voiceProb_sma",
    *(f"pcm_fftMag_mfcc_sma[{k}]" for k in range(1, 13)),
)
_DELTA_NAMES = (
    "F0_sma_de",
    "pcm_RMSenergy_sma_de",
    "pcm_zcr_sma_de",
    "voiceProb_sma_de",
    *(f"pcm_fftMag_mfcc_sma_de[{k}]" for k in range(1, 13)),
)
FEATURE_NAMES = _LLD_NAMES + _DELTA_NAMES
N_FEATURES = len(FEATURE_NAMES)  # 32

WINDOW_SEC = 0.025
STEP_SEC = 0.010

# Bump when anything that changes the extracted values changes (decoding,
# mix-down, resampling, the frame selection), so that old cache entries are
# never reused.
_CACHE_FORMAT = "sklearn_ser.LLDExtractor/1"


def _c_round(x):
    """``round`` of C (half away from zero) for positive ``x``."""
    return int(math.floor(x + 0.5))


def frame_params(sampling_rate):
    """Window and step in samples, as openSMILE's ``cFramer`` computes them.

    Parameters
    ----------
    sampling_rate : int
        Sampling rate in Hz.

    Returns
    -------
    window : int
        ``round(0.025 * sampling_rate)`` (400 at 16 kHz).
    step : int
        ``round(0.010 * sampling_rate)`` (160 at 16 kHz).

    Examples
    --------
    >>> from sklearn_ser._lld import frame_params
    >>> frame_params(16000), frame_params(44100)
    ((400, 160), (1103, 441))
    """
    period = 1.0 / sampling_rate
    return _c_round(WINDOW_SEC / period), _c_round(STEP_SEC / period)


def n_frames(n_samples, sampling_rate=16000):
    """Number of frames :class:`LLDExtractor` returns for ``n_samples`` samples.

    ``1 + (n_samples - W) // S`` with ``W = round(0.025 * sampling_rate)`` and
    ``S = round(0.010 * sampling_rate)``; 0 when ``n_samples < W``.

    Parameters
    ----------
    n_samples : int
        Number of samples at ``sampling_rate`` (after mix-down/resampling).
    sampling_rate : int, default=16000
        Sampling rate in Hz.

    Returns
    -------
    n_frames : int

    Examples
    --------
    >>> from sklearn_ser._lld import n_frames
    >>> n_frames(16000), n_frames(48000), n_frames(399)
    (98, 298, 0)
    """
    window, step = frame_params(sampling_rate)
    if n_samples < window:
        return 0
    return 1 + (int(n_samples) - window) // step


# ---------------------------------------------------------------------------
# openSMILE
# ---------------------------------------------------------------------------

_SinkCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_long,
                                 ctypes.c_void_p)
_config_lock = threading.Lock()
_config_path_cache = {}
_names_checked = False


def _packaged_config():
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "data",
                        _CONFIG_NAME)


def _config_path():
    """Path of the shipped config, ASCII-only (openSMILE's C API needs it)."""
    path = _config_path_cache.get("path")
    if path is not None:
        return path
    with _config_lock:
        path = _packaged_config()
        try:
            path.encode("ascii")
        except UnicodeEncodeError:  # pragma: no cover - unusual install paths
            folder = tempfile.mkdtemp(prefix="sklearn_ser_")
            target = os.path.join(folder, _CONFIG_NAME)
            shutil.copyfile(path, target)
            path = target
        _config_path_cache["path"] = path
    return path


def _config_digest():
    digest = _config_path_cache.get("digest")
    if digest is None:
        import opensmile
        import scipy

        with open(_packaged_config(), "rb") as f:
            content = f.read()
        h = hashlib.sha256()
        for part in (_CACHE_FORMAT, opensmile.__version__,
                     scipy.__version__.split(".")[0]):
            h.update(part.encode() + b"\0")
        h.update(content)
        digest = h.hexdigest()
        _config_path_cache["digest"] = digest
    return digest


_BLOCK = 1 << 16  # samples decoded / written to openSMILE at a time


_REUSE_SECONDS = 30.0  # signals up to this long reuse a per-thread instance
_local = threading.local()


def _new_smile(sampling_rate, wave_buffer):
    """An initialised openSMILE instance running the shipped config."""
    global _names_checked
    from opensmile.core import lib as smile_lib

    smile = smile_lib.OpenSMILE()
    try:
        smile.initialize(
            _config_path(),
            {"sampleRate": int(sampling_rate), "waveBufferSize": int(wave_buffer)},
            loglevel=1,
        )
        if not _names_checked:
            n_el = smile.external_sink_get_num_elements("extsink")
            names = tuple(smile.external_sink_get_element_name("extsink", k)
                          for k in range(n_el))
            if names != FEATURE_NAMES:  # pragma: no cover - config edited
                raise RuntimeError(
                    f"The openSMILE config {_config_path()} produces the features "
                    f"{names}; expected {FEATURE_NAMES}."
                )
            _names_checked = True
    except BaseException:
        smile.free()
        raise
    return smile


class _Pool(dict):
    """Per-thread instances by sampling rate; freed with the thread's data."""

    def __del__(self):
        for smile in self.values():
            try:
                smile.free()
            except Exception:  # pragma: no cover - interpreter shutdown
                pass
        self.clear()


def _take_smile(sampling_rate, size_hint):
    """An instance for one signal: ``(smile, reusable)``.

    Initialising and freeing openSMILE costs about as much as extracting a
    few hundred milliseconds of audio, so each thread keeps one instance per
    sampling rate for signals up to ``_REUSE_SECONDS`` and resets it after
    each run (``smile_reset``, openSMILE's API for running again). Longer
    signals get their own instance whose input level is allocated at their
    exact size, and it is freed after the run.
    """
    limit = int(_REUSE_SECONDS * sampling_rate)
    if size_hint > limit:
        return _new_smile(sampling_rate, size_hint), False
    pool = getattr(_local, "pool", None)
    if pool is None:
        pool = _local.pool = _Pool()
    smile = pool.pop(sampling_rate, None)
    if smile is None:
        smile = _new_smile(sampling_rate, limit)
    return smile, True


def _give_back(smile, sampling_rate, reusable, ok):
    if reusable and ok:
        try:
            smile.reset()
            smile._callbacks.clear()
            _local.pool[sampling_rate] = smile
            return
        except Exception:  # pragma: no cover - then do not reuse it
            pass
    smile.free()


def _run_opensmile(blocks, sampling_rate, size_hint=0):
    """Run the shipped config on one validated mono signal.

    Parameters
    ----------
    blocks : iterable of ndarray of shape (n_i,), dtype float32
        The signal in consecutive blocks (validated already). They are copied
        into openSMILE's input level one by one, so no other full copy of the
        signal is needed.
    sampling_rate : int
    size_hint : int, default=0
        Expected number of samples: openSMILE's input level is allocated at
        this size once instead of growing by doubling.

    Returns
    -------
    features : ndarray of shape (n_frames, 32), dtype float32
    """
    from opensmile.core import lib as smile_lib

    api = smile_lib.smileapi
    smile, reusable = _take_smile(int(sampling_rate), int(size_hint))
    ok = False
    try:
        n_samples = 0
        block = None
        for block in blocks:
            block = np.ascontiguousarray(block, dtype=np.float32)
            if block.size == 0:
                continue
            result = api.smile_extaudiosource_write_data(
                smile._smileobj, b"extsource", block.ctypes.data, block.nbytes)
            if result != smile_lib.SMILE_SUCCESS:
                smile._check_smile_result(result)
                raise RuntimeError("openSMILE did not accept the audio buffer.")
            n_samples += block.shape[0]
        del block

        n_out = n_frames(n_samples, sampling_rate)
        out = np.empty((n_out, N_FEATURES), dtype=np.float32)
        base = out.ctypes.data
        row_bytes = N_FEATURES * 4
        count = [0]

        def on_frame(data, n, param):
            i = count[0]
            if i < n_out and n == N_FEATURES:
                ctypes.memmove(base + i * row_bytes, data, row_bytes)
            count[0] = i + 1
            return 1

        callback = _SinkCallback(on_frame)
        smile._callbacks.append(callback)
        smile._check_smile_result(api.smile_extsink_set_data_callback(
            smile._smileobj, b"extsink",
            ctypes.cast(callback, smile_lib.ExternalSinkCallback), None))
        smile.external_audio_source_set_eoi("extsource")
        smile.run()
        ok = n_out > 0 and count[0] == n_out + 1
    finally:
        _give_back(smile, int(sampling_rate), reusable, ok)
    if n_out == 0 or count[0] < n_out:  # pragma: no cover - validated before
        raise RuntimeError(
            f"openSMILE returned {count[0]} frames for {n_samples} samples, "
            f"expected {n_out} (at least one)."
        )
    return out


def _array_blocks(x):
    for start in range(0, x.shape[0], _BLOCK):
        yield x[start:start + _BLOCK]


# ---------------------------------------------------------------------------
# Audio input
# ---------------------------------------------------------------------------

class _BadInput(Exception):
    """Internal: an input item that cannot be used (message for the user)."""


_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+://")


def _describe(index, source=None):
    if source is None:
        return f"X[{index}]"
    return f"X[{index}] ({source!r})"


def _check_path_string(index, item):
    path = os.fspath(item)
    if isinstance(path, bytes):
        raise TypeError(
            f"X[{index}] is a bytes path {path!r}; expected a str or os.PathLike "
            "audio file path."
        )
    if path.strip() == "":
        raise ValueError(
            f"X[{index}] is an empty string; expected the path of an audio file."
        )
    if "\0" in path:
        raise ValueError(
            f"X[{index}] ({path!r}) contains a NUL character and is not a valid "
            "file path; expected the path of an audio file."
        )
    if _URL.match(path):
        raise ValueError(
            f"X[{index}] ({path!r}) is a URL, not a local file path; download the "
            "file first and pass its path."
        )
    return path


def _full_scale(dtype):
    """Scale and offset turning integer PCM of ``dtype`` into [-1, 1)."""
    bits = np.dtype(dtype).itemsize * 8
    scale = float(2 ** (bits - 1))
    offset = scale if np.dtype(dtype).kind == "u" else 0.0
    return scale, offset


def _first_bad_sample(x, what, offset=0):
    """Sample (and channel) index of the first NaN/inf or out-of-range value."""
    if what == "finite":
        bad = ~np.isfinite(x)
    else:
        bad = np.abs(x) > 1.0
    idx = np.argwhere(bad)[0]
    value = x[tuple(idx)]
    where = f"sample {offset + idx[0]}"
    if x.ndim == 2 and x.shape[1] > 1:
        where += f" (channel {idx[1]})"
    return where, value


def _check_samples(x, label, offset=0):
    """Raise if float samples are NaN/inf or outside [-1, 1]."""
    if not np.isfinite(x).all():
        where, value = _first_bad_sample(x, "finite", offset)
        raise _BadInput(
            f"{label}: {where} is {value}; expected finite samples (no NaN or inf)."
        )
    if x.size and np.abs(x).max() > 1.0:
        where, value = _first_bad_sample(x, "range", offset)
        raise _BadInput(
            f"{label}: {where} is {value}, outside [-1, 1]; float audio must be "
            "scaled to [-1, 1] (integer PCM arrays are scaled by their dtype's "
            "full scale automatically)."
        )


def _mixdown(x):
    """(n,) or (n, channels) float -> (n,) float32, C-contiguous."""
    if x.ndim == 2:
        x = x[:, 0] if x.shape[1] == 1 else x.mean(axis=1, dtype=np.float64)
    return np.ascontiguousarray(x, dtype=np.float32)


def _to_mono_float32(x, label):
    """Validate/scale samples and mix down; ``x`` is (n,) or (n, channels)."""
    if x.dtype.kind in "iu":
        scale, offset = _full_scale(x.dtype)
        work = np.float32 if x.dtype.itemsize <= 2 else np.float64
        x = x.astype(work)
        if offset:
            x -= offset
        x /= scale
    else:
        _check_samples(x, label)
    return _mixdown(x)


def _check_length(n, label, sampling_rate, original=None):
    window, _ = frame_params(sampling_rate)
    if n == 0:
        raise _BadInput(
            f"{label}: zero-length audio (no samples); expected at least {window} "
            f"samples (one 25 ms window at {sampling_rate} Hz)."
        )
    if n < window:
        if original is not None:
            n0, sr0 = original
            got = f"{n0} samples at {sr0} Hz ({1000 * n0 / sr0:.1f} ms)"
        else:
            got = f"{n} samples ({1000 * n / sampling_rate:.1f} ms at {sampling_rate} Hz)"
        raise _BadInput(
            f"{label}: audio of {got} is shorter than one 25 ms analysis window; "
            f"expected at least {window} samples at {sampling_rate} Hz."
        )


def _validate_array(index, item, sampling_rate):
    """Validate one waveform given as an array; returns mono float32."""
    label = _describe(index)
    try:
        x = np.asarray(item)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{label} could not be converted to a numeric array ({exc}); expected "
            "a 1-D waveform."
        ) from None
    if x.dtype.kind not in "iuf":
        raise TypeError(
            f"{label} has dtype {x.dtype}; expected a 1-D waveform of floats in "
            "[-1, 1] or of integer PCM samples."
        )
    if x.ndim == 2:
        if x.shape[1] == 0:
            raise ValueError(
                f"{label} has shape {x.shape}, i.e. no channels; expected a 1-D "
                "waveform or an (n_samples, n_channels) array."
            )
        if x.shape[1] > x.shape[0]:
            raise ValueError(
                f"{label} has shape {x.shape}: more channels than samples. "
                "Multi-channel waveforms must be (n_samples, n_channels), as "
                "soundfile.read returns them; transpose a (n_channels, n_samples) "
                "array with .T."
            )
    elif x.ndim != 1:
        raise ValueError(
            f"{label} has shape {x.shape}; expected a 1-D waveform (n_samples,) or "
            "a 2-D (n_samples, n_channels) array that is mixed down to 1-D."
        )
    try:
        x = _to_mono_float32(x, label)
        _check_length(x.shape[0], label, sampling_rate)
    except _BadInput as exc:
        raise ValueError(str(exc)) from None
    return x


def _soundfile_error(label, exc):
    reason = getattr(exc, "error_string", None) or str(exc)
    return _BadInput(
        f"{label}: not a readable audio file (soundfile: {reason.strip()}); "
        "expected a WAV, FLAC, OGG or other format supported by soundfile."
    )


class _AudioFile:
    """A file decoded in blocks with soundfile, validated before use.

    ``source`` is the path, or the file's bytes when they were read already
    (to hash them for the cache): decoding the same bytes guarantees that the
    cached features belong to the hashed content.
    """

    def __init__(self, source, label, sampling_rate):
        self.source = source
        self.label = label
        self.sampling_rate = int(sampling_rate)
        self.scan()

    def _open(self):
        import soundfile as sf

        source = self.source
        if isinstance(source, bytes):
            source = io.BytesIO(source)
        try:
            return sf.SoundFile(source)
        except Exception as exc:  # libsndfile reports bad data in many ways
            raise _soundfile_error(self.label, exc) from None

    def _blocks(self, f):
        offset = 0
        while True:
            try:
                block = f.read(_BLOCK, dtype="float32", always_2d=True)
            except Exception as exc:
                raise _soundfile_error(self.label, exc) from None
            if block.shape[0] == 0:
                return
            _check_samples(block, self.label, offset)
            offset += block.shape[0]
            yield block

    def scan(self):
        """Validate every sample and the length; nothing is kept."""
        with self._open() as f:
            self.rate = int(f.samplerate)
            self.n_file = sum(block.shape[0] for block in self._blocks(f))
        if self.rate == self.sampling_rate:
            self.n = self.n_file
            original = None
        else:
            g = gcd(self.rate, self.sampling_rate)
            up, down = self.sampling_rate // g, self.rate // g
            self.n = -(-self.n_file * up // down)  # resample_poly's length
            original = (self.n_file, self.rate)
        _check_length(self.n, self.label, self.sampling_rate, original)

    def blocks(self):
        """Mono float32 blocks at ``sampling_rate``."""
        if self.rate == self.sampling_rate:
            with self._open() as f:
                for block in self._blocks(f):
                    yield _mixdown(block)
            return
        from scipy.signal import resample_poly

        with self._open() as f:
            x = _mixdown(np.concatenate(list(self._blocks(f))))
        g = gcd(self.rate, self.sampling_rate)
        x = resample_poly(x, self.sampling_rate // g, self.rate // g)
        x = np.ascontiguousarray(x, dtype=np.float32)
        yield from _array_blocks(x)


def _check_file(path, label):
    """Map the ways a path can fail to open to clear messages."""
    try:
        with open(path, "rb"):
            pass
    except FileNotFoundError:
        raise _BadInput(f"{label}: file not found; expected an existing audio file.") \
            from None
    except IsADirectoryError:
        raise _BadInput(f"{label}: is a directory; expected an audio file.") from None
    except PermissionError:
        raise _BadInput(f"{label}: permission denied; cannot read the file.") from None
    except OSError as exc:
        raise _BadInput(
            f"{label}: cannot be read ({type(exc).__name__}: {exc})."
        ) from None


def _read_bytes(path, label):
    _check_file(path, label)
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise _BadInput(
            f"{label}: cannot be read ({type(exc).__name__}: {exc})."
        ) from None


def _read_waveform(audio, sampling_rate):
    """Mono float32 samples of one path or waveform at ``sampling_rate``.

    ``audio`` is checked, read, mixed down and resampled as
    :meth:`LLDExtractor.transform` reads ``X = [audio]``, with the same errors
    (``TypeError`` or ``ValueError`` naming ``X[0]``).
    """
    extractor = LLDExtractor(sampling_rate=sampling_rate)
    ((index, kind, payload),), _ = extractor._check_input([audio])
    if kind == "array":
        return payload
    label = _describe(index, payload)
    try:
        _check_file(payload, label)
        blocks = list(_AudioFile(payload, label, sampling_rate).blocks())
    except _BadInput as exc:
        raise ValueError(str(exc)) from None
    return np.concatenate(blocks)


# ---------------------------------------------------------------------------
# Work units (run in joblib workers)
# ---------------------------------------------------------------------------

_MAGIC = b"SKSERLD1"


class _Cache:
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
            os.replace(tmp, target)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise


def _key(kind, content, shape, sampling_rate):
    h = hashlib.sha256()
    h.update(f"{_config_digest()}|{kind}|{shape}|{int(sampling_rate)}|".encode())
    h.update(content)
    return h.hexdigest()


def _process_item(item, sampling_rate, cache):
    """Features of one item: ("ok", array), ("bad", message) or ("fail", ...)."""
    index, kind, payload = item
    key = None
    if kind == "path":
        label = _describe(index, payload)
        try:
            if cache is not None:
                data = _read_bytes(payload, label)
                key = _key("file", data, len(data), sampling_rate)
                feats = cache.load(key)
                if feats is not None:
                    return "ok", feats
                audio = _AudioFile(data, label, sampling_rate)
            else:
                _check_file(payload, label)
                audio = _AudioFile(payload, label, sampling_rate)
        except _BadInput as exc:
            return "bad", str(exc)
        blocks, size = audio.blocks(), audio.n
    else:
        label = _describe(index)
        x = payload
        if cache is not None:
            key = _key("array", memoryview(x).cast("B"), x.shape, sampling_rate)
            feats = cache.load(key)
            if feats is not None:
                return "ok", feats
        blocks, size = _array_blocks(x), x.shape[0]
    try:
        feats = _run_opensmile(blocks, sampling_rate, size)
    except _BadInput as exc:  # the file changed while it was read
        return "bad", str(exc)
    except Exception as exc:
        return "fail", f"{label}: openSMILE failed ({type(exc).__name__}: {exc})."
    if cache is not None:
        cache.store(key, feats)
    return "ok", feats


def _process_chunk(items, sampling_rate, memory):
    """Work unit sent to a joblib worker: a contiguous chunk of items."""
    cache = _Cache(memory) if memory is not None else None
    return [_process_item(item, sampling_rate, cache) for item in items]


def _chunk_bounds(weights, n_chunks):
    """Split ``range(len(weights))`` into contiguous chunks of similar weight."""
    n = len(weights)
    n_chunks = max(1, min(n_chunks, n))
    w = np.asarray(weights, dtype=np.float64) + 1.0  # never zero
    cum = np.cumsum(w)
    targets = cum[-1] * np.arange(1, n_chunks) / n_chunks
    cuts = np.searchsorted(cum, targets, side="left") + 1
    bounds = np.unique(np.concatenate([[0], np.clip(cuts, 1, n - 1), [n]]))
    return list(zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True))


# ---------------------------------------------------------------------------
# Estimator
# ---------------------------------------------------------------------------

def _in_dask_task():
    """Whether the calling code runs inside a task on a Dask worker."""
    distributed = sys.modules.get("distributed")
    if distributed is None:  # never imported: not on a worker
        return False
    try:
        distributed.get_worker()
    except ValueError:
        return False
    return True


class LLDExtractor(TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    """Frame-level openSMILE low-level descriptors: the paper's 32 features.

    Computes, for every 25 ms Hamming window shifted by 10 ms (100 frames per
    second), the 16 low-level descriptors of openSMILE's INTERSPEECH 2009
    emotion set (``IS09``) -- F0, RMS energy, zero-crossing rate, voicing
    probability and MFCC 1-12, each smoothed with a 3-frame moving average --
    followed by the first delta of each of these 16. All 32 come from ONE
    openSMILE pass with a config file shipped in the package
    (``sklearn_ser/data/is09_lld_delta.conf``: the IS09 LLD components,
    ``cContourSmoother``, ``cDeltaRegression`` and ``cVectorConcat``), so LLDs
    and deltas share the same frames. On the same samples, the 16 LLD columns
    equal the stock ``IS09`` LLD output frame by frame and the delta columns
    its delta output (the ``opensmile`` package itself first quantises float
    signals to 16 bits, which openSMILE reads back with a scale of 1/32767).

    The transformer is stateless: :meth:`fit` only validates the parameters.

    Parameters
    ----------
    sampling_rate : int, default=16000
        Sampling rate in Hz at which features are computed. Waveforms passed as
        arrays must be sampled at this rate; audio files at another rate are
        resampled to it (``scipy.signal.resample_poly``). IS09 was designed for
        16 kHz.
    n_jobs : int, default=None
        Number of joblib workers. Inputs are sent to the workers in contiguous
        chunks of similar total length (several items per task), and results
        come back in input order. ``None`` means 1 unless in a
        :func:`joblib.parallel_config` context; ``-1`` means all processors.
        Any joblib backend works, including Dask's. Inside a task that already
        runs on a Dask worker (e.g. one fit of a ``GridSearchCV`` under the
        Dask backend), ``None`` means 1: the search already keeps every
        worker busy, and extraction nested in it would only add scheduling
        and transfers. Set an explicit value to distribute it anyway.
    memory : str, os.PathLike or joblib.Memory, default=None
        Where to cache the features of each input. The key of an entry is a
        hash of the audio content (the bytes of a file, the samples of an
        array), the sampling rate and the openSMILE config, never the path
        alone: a file that changes is extracted again, and the same audio is
        never extracted twice, e.g. across the fits of ``GridSearchCV`` or
        ``cross_validate``. Entries are written as soon as each input is
        extracted (so an interrupted or failed call keeps what it extracted),
        one file per input under ``<location>/joblib/sklearn_ser/LLDExtractor``
        (raw float32 with a small header, read without pickle; a damaged entry
        is extracted again). The folder may be shared by parallel workers, and
        ``joblib.Memory(location).clear()`` empties it. ``None``
        (or a ``joblib.Memory`` without location) disables caching.
    verbose : bool or int, default=False
        Show a progress bar (tqdm) while extracting.
    audio_column : str or None, default=None
        Column of a pandas DataFrame ``X`` that holds the audio (paths or
        waveforms). None takes the column ``"audio"`` or, if there is none,
        ``"file"``. Ignored when ``X`` is not a DataFrame.

    Attributes
    ----------
    None: the transformer learns nothing.

    See Also
    --------
    sklearn_ser.PadCrop : Pads/crops the frame sequences to a fixed length.

    Notes
    -----
    **Input.** ``X`` is a sequence of audio file paths (``str`` or
    ``os.PathLike``) or a sequence of waveforms, not a mix of both. Files are
    read with soundfile (any format it supports), integer PCM is scaled to
    [-1, 1], several channels are averaged to mono, and other sampling rates
    are resampled to ``sampling_rate``. A waveform is a 1-D array sampled at
    ``sampling_rate``: floats in [-1, 1], or integer PCM scaled by the full
    scale of its dtype (``int16`` by 32768, ``int32`` by 2**31, ``uint8``
    as offset binary around 128). A 2-D waveform is taken as
    ``(n_samples, n_channels)``, the layout of ``soundfile.read``, and mixed
    down to mono by averaging the channels; a 2-D numeric array ``X`` is a
    batch whose rows are 1-D waveforms.

    **DataFrames.** ``X`` may also be a pandas DataFrame whose
    ``audio_column`` holds the paths or waveforms and whose other columns
    are metadata, e.g. the ``"speaker"`` of each utterance that
    :class:`~sklearn_ser.SpeakerStandardScaler` needs. The result is then a
    DataFrame with the same index: an ``"lld"`` column holding the
    ``(n_frames_i, 32)`` arrays, followed by the other columns of ``X``
    unchanged. This is how metadata reaches the later steps of a pipeline
    inside :func:`~sklearn.model_selection.cross_validate` or
    :class:`~sklearn.model_selection.GridSearchCV`;
    :class:`~sklearn_ser.PadCrop` and :class:`~sklearn_ser.Functionals` read
    the ``"lld"`` column of such a DataFrame and leave the rest.

    **Frames.** With ``N`` samples at ``sampling_rate`` (after mix-down and
    resampling: a file with ``N0`` samples at rate ``r`` gives
    ``N = ceil(N0 * sampling_rate / r)``), the number of frames is::

        T = 1 + floor((N - W) / S)
        W = round(0.025 * sampling_rate)   # 400 at 16 kHz
        S = round(0.010 * sampling_rate)   # 160 at 16 kHz

    (``round`` rounds halves up, as openSMILE does). Frame ``t`` covers
    samples ``[t * S, t * S + W)`` and starts at ``t * S / sampling_rate``
    seconds (``t * 10`` ms): every frame lies completely inside the audio,
    and a signal of ``d`` seconds at 16 kHz gives ``floor(100 * d - 1.5)``
    frames, i.e. 100 per second (a 1 s signal gives 98 frames, 3 s give 298).
    At rates where 10 ms is not a whole number of samples the step is
    rounded (22.05 kHz: 221 samples, 10.02 ms).
    The stock openSMILE output has one frame more: after the end of the input
    its smoother emits a frame that only repeats the last real frame, which is
    dropped here. Deltas at the first and last two frames use openSMILE's
    edge padding, as in the stock set.

    **Bad input** never reaches openSMILE (which would turn it into silent
    zeros, wrapped values or a NaN row): wrong types, strings that are not
    paths, a mix of paths and arrays, and waveforms with NaN/inf samples,
    float samples outside [-1, 1], a shape that is not 1-D after mix-down,
    or fewer samples than one 25 ms window raise an error naming the item
    (``X[i]``) and the sample index at once. Problems that show only when a
    file is read (missing, unreadable, corrupt, too short, NaN/inf or
    out-of-range samples in a float file) are collected while the other
    files are extracted -- and cached when ``memory`` is set -- and then
    raised together in one :class:`ValueError` naming every bad file; fixing
    them and calling again extracts only the missing ones.

    Conventions of openSMILE's IS09 descriptors worth knowing: RMS energy is
    computed on the pre-emphasised, Hamming-windowed frame; F0 is 0 in
    unvoiced frames (voicing probability below 0.55), and the 25 ms window
    is too short for a reliable F0 below about 130 Hz; a frame of digital
    silence (exact zeros) has a zero-crossing rate close to 1, because
    openSMILE counts zero samples as crossings.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser import LLDExtractor
    >>> t = np.arange(16000) / 16000
    >>> tone = 0.3 * np.sin(2 * np.pi * 220 * t) + 0.1 * np.sin(2 * np.pi * 440 * t)
    >>> lld = LLDExtractor()
    >>> [feats] = lld.fit_transform([tone])
    >>> feats.shape, feats.dtype
    ((98, 32), dtype('float32'))
    >>> lld.get_feature_names_out()[[0, 3, 16]].tolist()
    ['F0_sma', 'voiceProb_sma', 'F0_sma_de']
    >>> f0 = float(np.median(feats[:, 0]))  # F0 of the tone, 220 Hz
    >>> abs(f0 - 220) < 0.05 * 220
    True
    """

    _parameter_constraints = {
        "sampling_rate": [Interval(numbers.Integral, 8000, None, closed="left")],
        "n_jobs": [None, numbers.Integral],
        "memory": [None, str, os.PathLike, HasMethods(["cache"])],
        "verbose": ["verbose"],
        "audio_column": [str, None],
    }

    def __init__(self, *, sampling_rate=16000, n_jobs=None, memory=None,
                 verbose=False, audio_column=None):
        self.sampling_rate = sampling_rate
        self.n_jobs = n_jobs
        self.memory = memory
        self.verbose = verbose
        self.audio_column = audio_column

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Validate the parameters; the transformer learns nothing.

        Parameters
        ----------
        X : sequence of str or os.PathLike, or sequence of array-like
            Ignored (accepted for API consistency).
        y : None
            Ignored.

        Returns
        -------
        self : LLDExtractor
            The transformer.
        """
        return self

    def transform(self, X):
        """Extract the 32 features of every input.

        Parameters
        ----------
        X : sequence of str or os.PathLike, sequence of array-like, or DataFrame
            Audio file paths, or waveforms sampled at ``sampling_rate``, or a
            DataFrame with them in its ``audio_column`` (see the Notes of the
            class).

        Returns
        -------
        features : list of ndarray of shape (n_frames_i, 32), dtype float32, \
                or DataFrame
            One array per input, in input order; columns as given by
            :meth:`get_feature_names_out`. For a DataFrame ``X``, a DataFrame
            with these arrays in an ``"lld"`` column and the other columns
            of ``X``.

        Raises
        ------
        TypeError
            If ``X`` is not a sequence of paths or of numeric waveforms, or
            mixes both.
        ValueError
            If an input is not usable (see the Notes of the class); the
            message names every bad input and what was expected.
        RuntimeError
            If openSMILE itself fails on an input (the message names it).
        """
        self._validate_params()
        if is_dataframe(X):
            column = self._audio_column_of(X)
            features = self.transform(list(X[column]))
            return frame_with_features(X.drop(columns=[column]), features)
        items, n_items = self._check_input(X)
        sampling_rate = int(self.sampling_rate)
        memory = self._check_memory()
        n_workers = self._effective_n_jobs()

        from tqdm import tqdm

        bar = tqdm(total=n_items, desc="LLDExtractor", unit="file",
                   disable=not self.verbose)
        results = []
        try:
            if n_workers == 1:
                cache = _Cache(memory) if memory is not None else None
                for item in items:
                    results.append(_process_item(item, sampling_rate, cache))
                    bar.update(1)
            else:
                weights = [self._weight(item) for item in items]
                n_chunks = max(4 * n_workers,
                               math.ceil(sum(weights) / (16 * 2 ** 20)))
                bounds = _chunk_bounds(weights, n_chunks)
                tasks = (
                    joblib.delayed(_process_chunk)(items[a:b], sampling_rate, memory)
                    for a, b in bounds
                )
                parallel = joblib.Parallel(n_jobs=self.n_jobs, return_as="generator")
                for chunk in parallel(tasks):
                    results.extend(chunk)
                    bar.update(len(chunk))
        finally:
            bar.close()
        return self._collect(items, results, memory)

    def _audio_column_of(self, X):
        columns = list(X.columns)
        if FRAMES_COLUMN in columns:
            raise ValueError(
                f"X already has an {FRAMES_COLUMN!r} column, the name of the "
                "column LLDExtractor writes; rename it."
            )
        if self.audio_column is not None:
            if self.audio_column not in columns:
                raise ValueError(
                    f"X has no column audio_column={self.audio_column!r} (columns: "
                    f"{columns[:10]})."
                )
            return self.audio_column
        found = [c for c in ("audio", "file") if c in columns]
        if not found:
            raise ValueError(
                f"X is a DataFrame without an 'audio' or 'file' column (columns: "
                f"{columns[:10]}); put the audio paths or waveforms in one of them, "
                "or name the column with audio_column."
            )
        return found[0]

    def _effective_n_jobs(self):
        """Number of workers of a call: 1 for ``n_jobs=None`` in a Dask task."""
        if self.n_jobs is None and _in_dask_task():
            return 1
        return joblib.effective_n_jobs(self.n_jobs)

    def get_feature_names_out(self, input_features=None):
        """Names of the 32 output columns.

        The 16 LLDs (F0, RMS energy, zero-crossing rate, voicing probability,
        MFCC 1-12, openSMILE's names with the ``_sma`` suffix of the smoothing)
        followed by their deltas (``_de``).

        Parameters
        ----------
        input_features : None
            Ignored.

        Returns
        -------
        feature_names_out : ndarray of str of shape (32,)
        """
        return np.asarray(FEATURE_NAMES, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.one_d_array = True
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.target_tags.required = False
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

    # -- helpers -----------------------------------------------------------

    def _check_memory(self):
        memory = self.memory
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

    def _weight(self, item):
        _, kind, payload = item
        if kind == "array":
            return payload.nbytes
        try:
            return os.stat(payload).st_size
        except OSError:
            return 0

    def _check_input(self, X):
        """Structural checks; returns ``[(index, kind, payload), ...]``."""
        if isinstance(X, (str, bytes, os.PathLike)):
            raise TypeError(
                f"X must be a sequence of audio file paths or of waveforms, got a "
                f"single {type(X).__name__} ({X!r}); pass a list, e.g. [X]."
            )
        if isinstance(X, np.ndarray) and X.dtype.kind in "biufc" and X.ndim < 2:
            raise TypeError(
                f"X is a numeric array of shape {X.shape}; expected a sequence of "
                "waveforms (pass [x] for a single 1-D waveform) or of file paths."
            )
        if isinstance(X, dict) or not hasattr(X, "__iter__"):
            raise TypeError(
                "X must be a sequence of audio file paths or of waveforms, got "
                f"{type(X).__name__}."
            )
        X = list(X)
        if len(X) == 0:
            raise ValueError("X is empty; expected at least one audio file or "
                             "waveform.")
        first_path = first_array = None
        items = []
        sampling_rate = int(self.sampling_rate)
        for i, item in enumerate(X):
            is_path = isinstance(item, (str, os.PathLike))
            if isinstance(item, (bytes, bytearray)):
                raise TypeError(
                    f"X[{i}] is {type(item).__name__}; expected a str or "
                    "os.PathLike audio file path, or a numeric waveform."
                )
            if is_path:
                first_path = i if first_path is None else first_path
            else:
                first_array = i if first_array is None else first_array
            if first_path is not None and first_array is not None:
                raise TypeError(
                    f"X mixes file paths and waveforms (X[{first_path}] is a path, "
                    f"X[{first_array}] is not); pass either only paths or only "
                    "waveforms."
                )
            if is_path:
                items.append((i, "path", _check_path_string(i, item)))
            else:
                items.append((i, "array", _validate_array(i, item, sampling_rate)))
        return items, len(items)

    @staticmethod
    def _collect(items, results, memory):
        bad = [msg for status, msg in results if status == "bad"]
        failed = [msg for status, msg in results if status == "fail"]
        if bad:
            n_ok = sum(status == "ok" for status, _ in results)
            kept = ("; they are cached, so a new call extracts only the fixed "
                    "ones" if memory is not None else "")
            head = (f"{len(bad)} of {len(items)} inputs could not be used "
                    f"({n_ok} others were extracted{kept}):\n  ")
            raise ValueError(head + "\n  ".join(bad + failed))
        if failed:
            raise RuntimeError("\n".join(failed))
        return [feats for _, feats in results]
