"""Audio input of LLDExtractor: checking, reading and converting it.

Every input becomes a mono float32 signal at the extractor's sampling rate
before openSMILE sees it: paths are checked, files decoded in blocks with
soundfile, integer PCM scaled to [-1, 1], channels averaged, other rates
resampled; waveforms are validated the same way. Anything unusable raises
an error that names the input (``X[i]``) and what was expected.
"""

import io
import math
import os
import re
import stat
from math import gcd

import numpy as np

from ._paper import FRAME_STEP, FRAME_WINDOW
from ._resample import resample_blocks

BLOCK = 1 << 16
"""Samples decoded from a file, or written to openSMILE, at a time."""

MIN_FILE_RATE, MAX_FILE_RATE = 1000, 768000
"""Sampling rates (Hz) an audio file may declare. A header outside them is
damaged or hostile: a 32 KB file that says 1 Hz would be resampled to
hundreds of millions of samples."""

PCM_DTYPES = (np.dtype(np.int16), np.dtype(np.int32), np.dtype(np.uint8))
"""Integer waveform types taken as PCM (the types of 16-bit, 32-bit and 8-bit
WAV samples); the full scale of any other integer type is ambiguous."""


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
    >>> from sklearn_ser._audio import frame_params
    >>> frame_params(16000), frame_params(44100)
    ((400, 160), (1103, 441))
    """
    period = 1.0 / sampling_rate
    return _c_round(FRAME_WINDOW / period), _c_round(FRAME_STEP / period)


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
    >>> from sklearn_ser._audio import n_frames
    >>> n_frames(16000), n_frames(48000), n_frames(399)
    (98, 298, 0)
    """
    window, step = frame_params(sampling_rate)
    if n_samples < window:
        return 0
    return 1 + (int(n_samples) - window) // step



def array_blocks(x):
    for start in range(0, x.shape[0], BLOCK):
        yield x[start:start + BLOCK]



class BadInput(Exception):
    """An input item that cannot be used; the message is for the user."""


_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+://")


def describe(index, source=None):
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
        raise BadInput(
            f"{label}: {where} is {value}; expected finite samples (no NaN or inf)."
        )
    if x.size and np.abs(x).max() > 1.0:
        where, value = _first_bad_sample(x, "range", offset)
        raise BadInput(
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
    window_ms = f"{1000 * FRAME_WINDOW:g} ms"
    if n == 0:
        raise BadInput(
            f"{label}: zero-length audio (no samples); expected at least {window} "
            f"samples (one {window_ms} window at {sampling_rate} Hz)."
        )
    if n < window:
        if original is not None:
            n0, sr0 = original
            got = f"{n0} samples at {sr0} Hz ({1000 * n0 / sr0:.1f} ms)"
        else:
            got = f"{n} samples ({1000 * n / sampling_rate:.1f} ms at {sampling_rate} Hz)"
        raise BadInput(
            f"{label}: audio of {got} is shorter than one {window_ms} analysis "
            f"window; expected at least {window} samples at {sampling_rate} Hz."
        )


def _validate_array(index, item, sampling_rate):
    """Validate one waveform given as an array; returns mono float32."""
    label = describe(index)
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
    if x.dtype.kind in "iu" and x.dtype not in PCM_DTYPES:
        raise TypeError(
            f"{label} has dtype {x.dtype}; integer waveforms are taken as PCM only "
            "as int16, int32 or uint8 (the types of 16-, 32- and 8-bit WAV "
            f"samples): the full scale of {x.dtype} is ambiguous (int16 samples "
            "stored as int64 are common), so it is not guessed. Convert the "
            "waveform to floats in [-1, 1] yourself, e.g. "
            "x.astype(np.float32) / 32768 for 16-bit samples."
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
    except BadInput as exc:
        raise ValueError(str(exc)) from None
    return x


def _soundfile_error(label, exc):
    reason = getattr(exc, "error_string", None) or str(exc)
    return BadInput(
        f"{label}: not a readable audio file (soundfile: {reason.strip()}); "
        "expected a WAV, FLAC, OGG or other format supported by soundfile."
    )


class AudioFile:
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
        else:  # bytes path: names that are not valid UTF-8 open too
            source = os.fsencode(source)
        try:
            return sf.SoundFile(source)
        except Exception as exc:  # libsndfile reports bad data in many ways
            raise _soundfile_error(self.label, exc) from None

    def _blocks(self, f):
        offset = 0
        while True:
            try:
                block = f.read(BLOCK, dtype="float32", always_2d=True)
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
            if not MIN_FILE_RATE <= self.rate <= MAX_FILE_RATE:
                raise BadInput(
                    f"{self.label}: the file declares a sampling rate of "
                    f"{self.rate} Hz; expected {MIN_FILE_RATE} to {MAX_FILE_RATE} "
                    "Hz (its header is damaged, or it is not a recording)."
                )
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
        x = np.empty(self.n_file, dtype=np.float32)  # mono, filled block by block
        pos = 0
        with self._open() as f:
            for block in self._blocks(f):
                x[pos:pos + block.shape[0]] = _mixdown(block)
                pos += block.shape[0]
        g = gcd(self.rate, self.sampling_rate)
        yield from resample_blocks(x[:pos], self.sampling_rate // g, self.rate // g)


def _not_regular(label, mode):
    kind = ("a directory" if stat.S_ISDIR(mode) else "a FIFO (named pipe)"
            if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode)
            or stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "not a regular file")
    if stat.S_ISDIR(mode):
        return BadInput(f"{label}: is a directory; expected an audio file.")
    return BadInput(f"{label}: is {kind}, not a regular file; expected an audio "
                    "file (reading it could block or never end).")


def check_file(path, label):
    """Map the ways a path can fail to open to clear messages.

    Only regular files are accepted (a symbolic link counts as its target):
    a FIFO would block the extraction forever, a device such as
    ``/dev/zero`` would never end.
    """
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):
            raise _not_regular(label, mode)
        with open(path, "rb"):
            pass
    except FileNotFoundError:
        raise BadInput(f"{label}: file not found; expected an existing audio file.") \
            from None
    except IsADirectoryError:
        raise BadInput(f"{label}: is a directory; expected an audio file.") from None
    except PermissionError:
        raise BadInput(f"{label}: permission denied; cannot read the file.") from None
    except OSError as exc:
        raise BadInput(
            f"{label}: cannot be read ({type(exc).__name__}: {exc})."
        ) from None


def read_bytes(path, label):
    check_file(path, label)
    try:
        with open(path, "rb") as f:
            mode = os.fstat(f.fileno()).st_mode
            if not stat.S_ISREG(mode):  # replaced since check_file
                raise _not_regular(label, mode)
            return f.read()
    except OSError as exc:
        raise BadInput(
            f"{label}: cannot be read ({type(exc).__name__}: {exc})."
        ) from None


def check_input(X, sampling_rate):
    """Check the structure of ``X`` and validate its waveforms.

    Parameters
    ----------
    X : sequence of str or os.PathLike, or sequence of array-like
        Audio file paths, or waveforms sampled at ``sampling_rate``; not a
        mix of both.
    sampling_rate : int
        Sampling rate of the waveforms, in Hz.

    Returns
    -------
    items : list of tuple
        ``(index, "path", path)`` for a path (checked as a string only: the
        file is read later) and ``(index, "array", samples)`` for a waveform
        (validated, mono float32).

    Raises
    ------
    TypeError, ValueError
        If ``X`` or one of its items is not usable; the message names the
        item (``X[i]``) and what was expected.
    """
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
    sampling_rate = int(sampling_rate)
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
    return items


def read_waveform(audio, sampling_rate):
    """Mono float32 samples of one path or waveform at ``sampling_rate``.

    ``audio`` is checked, read, mixed down and resampled as
    :meth:`~sklearn_ser.LLDExtractor.transform` reads ``X = [audio]``, with
    the same errors.

    Parameters
    ----------
    audio : str, os.PathLike or array-like
        An audio file path or a waveform sampled at ``sampling_rate``.
    sampling_rate : int
        Sampling rate of the result, in Hz.

    Returns
    -------
    samples : ndarray of shape (n_samples,), dtype float32

    Raises
    ------
    TypeError, ValueError
        If ``audio`` is not usable; the message names it as ``X[0]``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser._audio import read_waveform
    >>> read_waveform(np.zeros((16000, 2), np.int16), 16000).shape
    (16000,)
    """
    [(index, kind, payload)] = check_input([audio], sampling_rate)
    if kind == "array":
        return payload
    label = describe(index, payload)
    try:
        check_file(payload, label)
        blocks = list(AudioFile(payload, label, sampling_rate).blocks())
    except BadInput as exc:
        raise ValueError(str(exc)) from None
    return np.concatenate(blocks)
