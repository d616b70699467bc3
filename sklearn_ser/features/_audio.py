"""Audio input of LLDExtractor: checking, reading and converting it.

Every input becomes a mono float32 signal at the extractor's sampling rate
before openSMILE sees it: paths are checked, files decoded in blocks with
soundfile, integer PCM scaled to [-1, 1], channels averaged, other rates
resampled; waveforms are validated the same way. Anything unusable raises
an error that names the input (``X[i]``) and what was expected.

One rule for samples beyond full scale: lossy decoders (MP3, Vorbis, Opus,
AAC) overshoot [-1, 1] by a few per cent on valid recordings, so samples of
a *file* within ``MAX_OVERSHOOT`` are clipped to [-1, 1]; a waveform given
as an array is clipped the same way only with ``clip=True`` (otherwise a
wrongly scaled array would pass unnoticed). Beyond ``MAX_OVERSHOOT`` the
samples are not scaled to [-1, 1] at all and are refused. What affects the
features without making them unusable -- a clipped recording, audio sampled
below the features' rate -- is returned as notes, and the entry points warn
with :class:`AudioWarning`.
"""

import math
import os
import re

import numpy as np

from .._paper import FRAME_STEP, FRAME_WINDOW
from ._notes import Level, Notes

BLOCK = 1 << 16
"""Samples decoded from a file, or written to openSMILE, at a time."""

MAX_OVERSHOOT = 2.0
"""Largest magnitude of a float sample taken as decoder overshoot (+6 dB).

Lossy decoders overshoot full scale on valid recordings (on real speech
normalised to a peak of 0.99: up to 1.05 for MP3, Vorbis and Opus; a
recording clipped by 12 dB before encoding: up to 1.53); a larger value
means float samples that were never scaled to [-1, 1].
"""

PCM_DTYPES = (np.dtype(np.int16), np.dtype(np.int32), np.dtype(np.uint8))
"""Integer waveform types taken as PCM (the types of 16-bit, 32-bit and 8-bit
WAV samples); the full scale of any other integer type is ambiguous."""


def _c_round(x):
    """``round`` of C (half away from zero) for positive ``x``."""
    return int(math.floor(x + 0.5))


def frame_params(sampling_rate, window=FRAME_WINDOW):
    """Window and step in samples, as openSMILE's ``cFramer`` computes them.

    Parameters
    ----------
    sampling_rate : int
        Sampling rate in Hz.
    window : float, default=0.025
        Length of the analysis window in seconds (the longest window of the
        feature set: 25 ms for IS09, 60 ms for eGeMAPS and ComParE).

    Returns
    -------
    window : int
        ``round(window * sampling_rate)`` (400 at 16 kHz for 25 ms).
    step : int
        ``round(0.010 * sampling_rate)`` (160 at 16 kHz).

    Examples
    --------
    >>> from sklearn_ser.features._audio import frame_params
    >>> frame_params(16000), frame_params(44100), frame_params(16000, 0.060)
    ((400, 160), (1103, 441), (960, 160))
    """
    period = 1.0 / sampling_rate
    return _c_round(window / period), _c_round(FRAME_STEP / period)


def n_frames(n_samples, sampling_rate=16000, window=FRAME_WINDOW):
    """Number of frames :class:`LLDExtractor` returns for ``n_samples`` samples.

    ``1 + (n_samples - W) // S`` with ``W = round(window * sampling_rate)``
    and ``S = round(0.010 * sampling_rate)``; 0 when ``n_samples < W``.

    Parameters
    ----------
    n_samples : int
        Number of samples at ``sampling_rate`` (after mix-down/resampling).
    sampling_rate : int, default=16000
        Sampling rate in Hz.
    window : float, default=0.025
        Length of the feature set's longest analysis window, in seconds.

    Returns
    -------
    n_frames : int

    Examples
    --------
    >>> from sklearn_ser.features._audio import n_frames
    >>> n_frames(16000), n_frames(48000), n_frames(399), n_frames(16000, window=0.06)
    (98, 298, 0, 95)
    """
    window, step = frame_params(sampling_rate, window)
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


def _first_bad_sample(x, bad, offset=0):
    """Sample (and channel) index and value of the first True of ``bad``."""
    idx = np.argwhere(bad)[0]
    value = x[tuple(idx)]
    where = f"sample {offset + idx[0]}"
    if x.ndim == 2 and x.shape[1] > 1:
        where += f" (channel {idx[1]})"
    return where, value


def limit_samples(x, label, offset=0, *, clip, level=None):
    """Float samples checked against the overshoot rule (see the module).

    Parameters
    ----------
    x : ndarray of float, shape (n,) or (n, channels)
        Samples; not modified.
    label : str
        How messages name the input.
    offset : int, default=0
        Index of ``x[0]`` in the whole signal, for the messages.
    clip : bool
        Whether samples beyond [-1, 1] (up to ``MAX_OVERSHOOT``) are clipped
        (files, or ``clip=True``) or refused.
    level : Level, default=None
        Counts the samples at full scale (before clipping).

    Returns
    -------
    x : ndarray
        ``x``, or a clipped copy of it.

    Raises
    ------
    BadInput
        For NaN or infinite samples, samples beyond ``MAX_OVERSHOOT``, and,
        without ``clip``, samples outside [-1, 1].
    """
    if x.size == 0:
        return x
    if not np.isfinite(x).all():
        where, value = _first_bad_sample(x, ~np.isfinite(x), offset)
        raise BadInput(
            f"{label}: {where} is {value}; expected finite samples (no NaN or inf)."
        )
    if level is not None:
        level.add(x)
    peak = float(np.abs(x).max())
    if peak <= 1.0:
        return x
    limit = MAX_OVERSHOOT if clip else 1.0
    if peak > limit:
        where, value = _first_bad_sample(x, np.abs(x) > limit, offset)
        if peak > MAX_OVERSHOOT:
            raise BadInput(
                f"{label}: {where} is {value}, outside [-{MAX_OVERSHOOT:g}, "
                f"{MAX_OVERSHOOT:g}]; float audio must be scaled to [-1, 1] (integer "
                "PCM arrays are scaled by their dtype's full scale automatically), "
                "and this is more than the overshoot of a lossy decoder (e.g. "
                "int16 values stored as floats: divide them by 32768)."
            )
        raise BadInput(
            f"{label}: {where} is {value}, outside [-1, 1]; float audio must be "
            "scaled to [-1, 1] (integer PCM arrays are scaled by their dtype's "
            "full scale automatically). Samples slightly beyond full scale, as "
            "lossy decoders produce them, are clipped with LLDExtractor(clip=True)."
        )
    return np.clip(x, -1.0, 1.0)


def mixdown(x):
    """(n,) or (n, channels) float -> (n,) float32, C-contiguous."""
    if x.ndim == 2:
        x = x[:, 0] if x.shape[1] == 1 else x.mean(axis=1, dtype=np.float64)
    return np.ascontiguousarray(x, dtype=np.float32)


def _to_mono_float32(x, label, clip=False, level=None):
    """Validate/scale samples and mix down; ``x`` is (n,) or (n, channels)."""
    if x.dtype.kind in "iu":
        if level is not None:  # -32768 and 32767 (and 0 and 255) are full scale
            info = np.iinfo(x.dtype)
            level.n += x.size
            level.full += int(np.count_nonzero((x <= info.min) | (x >= info.max)))
        scale, offset = _full_scale(x.dtype)
        work = np.float32 if x.dtype.itemsize <= 2 else np.float64
        x = x.astype(work)
        if offset:
            x -= offset
        x /= scale
    else:
        x = limit_samples(x, label, clip=clip, level=level)
    return mixdown(x)


def as_waveform(item, label, *, clip=False, level=None):
    """One waveform given as an array -> mono float32 (no length condition).

    The one check of every entry point that takes arrays
    (:class:`~sklearn_ser.LLDExtractor`, ``predict_timeline``,
    ``StreamingRecognizer``): numeric dtype, integer PCM only as int16,
    int32 or uint8, ``(n,)`` or ``(n, channels)``, finite samples within
    [-1, 1] (or within ``MAX_OVERSHOOT`` and clipped with ``clip``).

    Parameters
    ----------
    item : array-like
        The waveform.
    label : str
        How messages name it.
    clip : bool, default=False
        Clip float samples slightly beyond [-1, 1] instead of refusing them.
    level : Level, default=None
        Counts the samples at full scale.

    Returns
    -------
    samples : ndarray of shape (n_samples,), dtype float32
        Possibly empty.

    Raises
    ------
    TypeError, ValueError
        If ``item`` is not a usable waveform; the message names ``label``.
    """
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
        if x.shape[1] > x.shape[0] and x.shape[0] > 0:
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
    if x.shape[0] == 0:
        return np.empty(0, dtype=np.float32)
    try:
        return _to_mono_float32(x, label, clip=clip, level=level)
    except BadInput as exc:
        raise ValueError(str(exc)) from None


def check_length(n, label, sampling_rate, original=None, window=FRAME_WINDOW):
    window_ms = f"{1000 * window:g} ms"
    window, _ = frame_params(sampling_rate, window)
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


def _validate_array(index, item, sampling_rate, clip=False, level=None,
                    window=FRAME_WINDOW, bound=None):
    """Validate one waveform given as an array; returns mono float32."""
    label = describe(index)
    x = as_waveform(item, label, clip=clip, level=level)
    try:
        check_length(x.shape[0], label, sampling_rate, window=window)
        if bound is not None:
            bound.check(x.shape[0], sampling_rate, label)
    except BadInput as exc:
        raise ValueError(str(exc)) from None
    return x


def check_input(X, sampling_rate, clip=False, window=FRAME_WINDOW, bound=None):
    """Check the structure of ``X`` and validate its waveforms.

    Parameters
    ----------
    X : sequence of str or os.PathLike, or sequence of array-like
        Audio file paths, or waveforms sampled at ``sampling_rate``; not a
        mix of both.
    sampling_rate : int
        Sampling rate of the waveforms, in Hz.
    clip : bool, default=False
        Clip float waveform samples slightly beyond [-1, 1] (see
        :func:`limit_samples`) instead of refusing them.
    window : float, default=0.025
        Seconds of the shortest usable waveform: one analysis window of the
        feature set.
    bound : DurationBound, default=None
        The longest waveform (files are checked when they are read).

    Returns
    -------
    items : list of tuple
        ``(index, "path", path, None)`` for a path (checked as a string
        only: the file is read later) and ``(index, "array", samples,
        notes)`` for a waveform (validated, mono float32, with its
        :class:`Notes`).

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
            items.append((i, "path", _check_path_string(i, item), None))
        else:
            level = Level()
            x = _validate_array(i, item, sampling_rate, clip, level, window, bound)
            items.append((i, "array", x, Notes(sampling_rate, level.share)))
    return items
