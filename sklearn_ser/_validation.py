"""Input validation shared by the estimators of the package."""

import numbers

import numpy as np

FRAMES_COLUMN = "lld"
"""Column of the frame arrays in the DataFrame that LLDExtractor returns."""

AUDIO_COLUMNS = ("audio", "file")
"""Columns of a DataFrame ``X`` where LLDExtractor looks for the audio."""

SPEAKER_COLUMN = "speaker"
"""Column of a DataFrame ``X`` where the speakers travel (the default of
SpeakerStandardScaler's ``speaker_column``; ``evaluate_sessions`` and the
command line put them there)."""


FEATURE_RATES = (8000, 768000)
"""Sampling rates (Hz) at which features may be computed, both included.

The rate of :class:`~sklearn_ser.LLDExtractor` (its ``sampling_rate``,
also the rate of a loaded model file's extractor) reaches openSMILE's
native code. openSMILE computes the shipped configuration correctly up to
2,621,440 Hz (a 25 ms window of 65,536 samples) and corrupts its heap
above that (the interpreter aborts); the upper bound is the highest rate of
the audio files the library reads, a margin of 3.4 below that limit, and
the lower one the telephone band.
"""

AUDIO_RATES = (1000, 768000)
"""Sampling rates (Hz) that audio may have before it is resampled, both included.

The declared rate of an audio file, and the ``sampling_rate`` of a waveform
given with its own rate (``predict_timeline``): such audio is resampled to
the features' rate, so the bound also bounds the resampling factor.
"""


def check_sampling_rate(value, name, rates=FEATURE_RATES):
    """``value`` as an int, if it is a whole number of Hz within ``rates``.

    Parameters
    ----------
    value : int
        The sampling rate to check.
    name : str
        How messages name it (e.g. ``"sampling_rate"``).
    rates : tuple of int, default=FEATURE_RATES
        The smallest and the largest rate allowed, both included.

    Returns
    -------
    rate : int
        ``value`` as a Python int.

    Raises
    ------
    TypeError
        If ``value`` is not an integer (a bool, a float or a str is refused).
    ValueError
        If ``value`` is outside ``rates``.

    Examples
    --------
    >>> from sklearn_ser._validation import check_sampling_rate
    >>> check_sampling_rate(16000, "sampling_rate")
    16000
    >>> check_sampling_rate(3_000_000, "sampling_rate")
    Traceback (most recent call last):
    ...
    ValueError: sampling_rate=3000000 Hz is outside 8000 to 768000 Hz, the sampling rates supported.
    """
    low, high = rates
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int number of Hz ({low} to {high}), "
                        f"got {value!r} of type {type(value).__name__}.")
    if not low <= value <= high:
        raise ValueError(f"{name}={value} Hz is outside {low} to {high} Hz, the "
                         "sampling rates supported.")
    return int(value)


def _kind(value):
    """The kind of a label or id: ``"str"``, ``"bool"``, ``"int"``, ``"float"``..."""
    if isinstance(value, (str, np.str_)):
        return "str"
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, numbers.Integral):
        return "int"
    if isinstance(value, numbers.Real):
        return "float"
    return type(value).__name__


def _is_missing(value):
    """None, a float NaN or pandas' NA (which the callers report themselves)."""
    if value is None:
        return True
    if isinstance(value, (float, np.floating)):
        return bool(np.isnan(value))
    return type(value).__name__ in ("NAType", "NaTType")


def check_one_type(values, name):
    """Refuse labels or ids that mix types: strings, booleans, ints, floats.

    Such values cannot be sorted (numpy fails with a bare ``'<' not
    supported``), or compare equal across types and are silently merged
    (``1``, ``1.0`` and ``True`` are one key of a dict and one value of
    ``np.unique``). Call it on the values as given, before ``np.asarray``
    turns a list of mixed numbers into one float array.

    Parameters
    ----------
    values : array-like of shape (n_samples,)
        The labels, groups or speakers, as given (a list, a tuple, a pandas
        Series or a numpy array).
    name : str
        How the message names them (``"y"``, ``"groups"``, ``"speakers"``).

    Raises
    ------
    TypeError
        If two values are of different kinds; the message names the first
        value of each kind. Missing values (None, NaN) are left to the
        caller's own check.
    """
    if is_dataframe(values) or (isinstance(values, np.ndarray)
                                and values.dtype != object):
        return  # one numpy type (per column)
    dtype = getattr(values, "dtype", None)
    if dtype is not None and getattr(dtype, "kind", "O") != "O":
        return  # a pandas Series of one numpy type
    try:
        items = list(values.tolist() if hasattr(values, "tolist") else values)
    except TypeError:
        return  # not a sequence: the caller's own checks say so
    first = {}
    for i, value in enumerate(items):
        if not _is_missing(value):  # the callers report missing values
            first.setdefault(_kind(value), i)
    if len(first) > 1:
        examples = ", ".join(f"{name}[{i}] is {items[i]!r} ({type(items[i]).__name__})"
                             for i in sorted(first.values())[:3])
        raise TypeError(
            f"{name} mixes values of different types ({examples}); values of "
            "different types could be merged (1, 1.0 and True are equal) or "
            "could not be sorted: use one type for all of them, e.g. strings: "
            f"np.asarray({name}).astype(str)."
        )


def unit_scale_for_constants(scale, mean):
    """``scale`` with 1 where a feature is constant up to rounding (in place).

    The rule of :class:`sklearn.preprocessing.StandardScaler`: a standard
    deviation below ``10 * eps * max(|mean|, 1)`` counts as zero, and that
    feature keeps its scale instead of being divided by it.

    Parameters
    ----------
    scale : ndarray of shape (n_features,)
        Standard deviations; modified in place.
    mean : ndarray of shape (n_features,)
        Means of the same features.

    Returns
    -------
    scale : ndarray of shape (n_features,)
        ``scale`` itself.
    """
    eps = 10 * np.finfo(np.float64).eps
    scale[scale < eps * np.maximum(np.abs(mean), 1.0)] = 1.0
    return scale


def is_dataframe(X):
    """Whether ``X`` is a pandas DataFrame (without importing pandas)."""
    return hasattr(X, "columns") and hasattr(X, "iloc") and hasattr(X, "dtypes")


def frames_of(X, name="X"):
    """The frame arrays of the DataFrame that LLDExtractor returns."""
    if FRAMES_COLUMN not in X.columns:
        raise TypeError(
            f"{name} is a DataFrame without an {FRAMES_COLUMN!r} column (columns: "
            f"{list(X.columns)[:10]}); expected the DataFrame that LLDExtractor "
            "returns for a DataFrame input, a sequence of 2-D (n_frames, "
            "n_features) arrays or a 3-D array."
        )
    return list(X[FRAMES_COLUMN])


def frame_with_features(metadata, features):
    """``metadata`` (a DataFrame) with ``features`` as its first column, "lld"."""
    import pandas as pd

    column = np.empty(len(features), dtype=object)
    for i, feats in enumerate(features):
        column[i] = feats
    out = metadata.copy()
    out.insert(0, FRAMES_COLUMN, pd.Series(column, index=metadata.index, dtype=object))
    return out


def check_sequences(X, *, name="X", ensure_min_samples=1):
    """Validate a sequence of 2-D ``(T_i, d)`` arrays (or a 3-D array).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_frames, n_features), sequence of \
            array-like of shape (n_frames_i, n_features) or DataFrame
        The sequences; of a DataFrame, its ``"lld"`` column (other columns,
        such as the speakers, are left out).
    name : str, default="X"
        Name used in error messages.
    ensure_min_samples : int, default=1
        Minimum number of sequences.

    Returns
    -------
    sequences : list of ndarray of shape (n_frames_i, n_features)
        Floating point arrays (float32 and float64 are kept, other numeric
        types become float64).

    Raises
    ------
    TypeError
        If ``X`` is not a sequence or an item is not numeric.
    ValueError
        If an item is not 2-D, if the feature widths differ, or if there are
        fewer than ``ensure_min_samples`` items.
    """
    if is_dataframe(X):
        items = frames_of(X, name)
    elif isinstance(X, np.ndarray):
        if X.ndim == 3:
            items = list(X)
        elif X.ndim == 2 and X.dtype != object:
            raise ValueError(
                f"{name} is a 2-D array of shape {X.shape}; expected a sequence of "
                "2-D (n_frames, n_features) arrays or a 3-D array "
                "(n_samples, n_frames, n_features)."
            )
        else:
            items = list(X)
    elif isinstance(X, (str, bytes)) or not hasattr(X, "__len__"):
        raise TypeError(
            f"{name} must be a sequence of 2-D (n_frames, n_features) arrays or a "
            f"3-D array, got {type(X).__name__}."
        )
    else:
        items = list(X)
    if len(items) < ensure_min_samples:
        raise ValueError(
            f"{name} has {len(items)} sequence(s); at least {ensure_min_samples} "
            "required."
        )
    out = []
    width = None
    for i, item in enumerate(items):
        try:
            arr = np.asarray(item)
        except (ValueError, TypeError) as exc:
            raise TypeError(
                f"{name}[{i}] could not be converted to a numeric array: {exc}"
            ) from None
        if arr.dtype.kind not in "biuf":
            raise TypeError(
                f"{name}[{i}] has dtype {arr.dtype}; expected a numeric (float) "
                "array of shape (n_frames, n_features)."
            )
        if arr.ndim != 2:
            raise ValueError(
                f"{name}[{i}] has shape {arr.shape}; expected a 2-D array of shape "
                "(n_frames, n_features)."
            )
        if arr.dtype.kind != "f":
            arr = arr.astype(np.float64)
        if width is None:
            width = arr.shape[1]
        elif arr.shape[1] != width:
            raise ValueError(
                f"{name}[{i}] has {arr.shape[1]} features per frame but {name}[0] "
                f"has {width}; all sequences must have the same number of features."
            )
        out.append(arr)
    return out


def check_3d_array(X, *, name="X", dtype=(np.float64, np.float32), allow_nan=True,
                   estimator=None, copy=False):
    """Validate a 3-D ``(n_samples, n_frames, n_features)`` array.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_frames, n_features)
        Input to validate.
    name : str, default="X"
        Name used in error messages.
    dtype : dtype or tuple of dtypes, default=(float64, float32)
        Accepted floating dtypes; the first is used for conversion when ``X`` has
        another dtype.
    allow_nan : bool, default=True
        Whether NaN (padding) is allowed. Infinite values are always rejected.
    estimator : str or None, default=None
        Name of the estimator, used in error messages.
    copy : bool, default=False
        Whether to force a copy.

    Returns
    -------
    X : ndarray of shape (n_samples, n_frames, n_features)
    """
    who = f"{estimator} " if estimator else ""
    if isinstance(X, (list, tuple)) and X and not all(
        np.shape(x) == np.shape(X[0]) for x in X
    ):
        raise ValueError(
            f"{who}expected a 3-D array (n_samples, n_frames, n_features) but got "
            "sequences of different lengths; pad or crop them first, e.g. with "
            "sklearn_ser.PadCrop."
        )
    arr = np.asarray(X)
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{who}expected a numeric array for {name}, got dtype {arr.dtype}."
        )
    if arr.ndim != 3:
        hint = (
            " Frame sequences must be padded/cropped to a common length first, "
            "e.g. with sklearn_ser.PadCrop."
        )
        raise ValueError(
            f"{who}expected a 3-D array (n_samples, n_frames, n_features) for "
            f"{name}, got an array of shape {arr.shape}.{hint}"
        )
    if arr.shape[0] < 1 or arr.shape[2] < 1:
        raise ValueError(
            f"{who}found an array with shape {arr.shape} for {name}; at least one "
            "sample and one feature are required."
        )
    dtypes = dtype if isinstance(dtype, tuple) else (dtype,)
    if arr.dtype not in [np.dtype(d) for d in dtypes]:
        arr = arr.astype(dtypes[0])
    elif copy:
        arr = arr.copy()
    if np.isinf(arr).any():
        idx = int(np.argwhere(np.isinf(arr))[0][0])
        raise ValueError(
            f"{who}{name} contains infinite values (first in sample {idx}); "
            "expected finite values, with NaN only for padding frames."
        )
    if not allow_nan and np.isnan(arr).any():
        idx = int(np.argwhere(np.isnan(arr))[0][0])
        raise ValueError(f"{who}{name} contains NaN (first in sample {idx}).")
    return arr
