"""Speaker normalisation: each speaker standardised with its own statistics."""

import numbers

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._compat import _check_feature_names_in, _fit_context
from .._validation import (
    FRAMES_COLUMN,
    SPEAKER_COLUMN,
    check_one_type,
    check_sequences,
    is_dataframe,
    unit_scale_for_constants,
)
from ..persistence._registry import register


class SpeakerStandardScaler(TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    """Standardise the features of each speaker with that speaker's statistics.

    Speakers differ in pitch, loudness and timbre more than emotions do, so
    z-normalising every speaker's features with the mean and standard
    deviation of that speaker's own data removes most of the speaker
    variability (speaker normalisation). The statistics of a speaker come
    from the samples of that speaker in the ``X`` being transformed, never
    from labels: in :meth:`fit_transform` the training speakers are
    normalised with their training samples, and at predict time the test
    speakers with their own (unlabelled) test samples, which is what a
    deployed system has of a new speaker. Nothing is learned in :meth:`fit`
    but the number of features, so no statistic of one speaker ever reaches
    another, and no label is read.

    The speaker of each sample travels with ``X``, so that the scaler works
    inside :func:`~sklearn.model_selection.cross_validate`,
    :class:`~sklearn.model_selection.GridSearchCV` and
    :func:`~sklearn_ser.evaluate_sessions` (scikit-learn passes no metadata
    to ``predict``): pass a pandas DataFrame with a ``speaker_column``, or
    give ``speakers`` to :meth:`fit`, :meth:`transform` and
    :meth:`fit_transform` directly.

    Parameters
    ----------
    speaker_column : str, default="speaker"
        Column of a DataFrame ``X`` that holds the speaker of each sample.
    with_mean : bool, default=True
        Subtract each speaker's mean.
    with_std : bool, default=True
        Divide by each speaker's standard deviation (``ddof=0``); features
        that are constant within a speaker keep a scale of 1, as in
        :class:`sklearn.preprocessing.StandardScaler`.

    Attributes
    ----------
    n_features_in_ : int
        Number of features (per frame, for frame sequences) seen in
        :meth:`fit`.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the feature columns, when :meth:`fit` got a DataFrame of
        numeric columns.

    See Also
    --------
    sklearn_ser.NeutralStandardScaler : One set of statistics, from the
        neutral training utterances (the paper's normalisation).
    sklearn_ser.make_ser_pipeline : ``normalization="speaker"`` puts this
        scaler after the feature extraction.

    Notes
    -----
    Accepted ``X``:

    - the DataFrame that :class:`~sklearn_ser.LLDExtractor` returns when it
      is given a DataFrame: an ``"lld"`` column of ``(T_i, d)`` frame arrays
      beside the speaker column. Every frame of a speaker counts in its
      statistics; the result is a list of float32 ``(T_i, d)`` arrays.
    - a DataFrame of numeric feature columns and the speaker column (e.g.
      utterance-level functionals); the result is a float64 array of the
      numeric columns.
    - with ``speakers`` given: a list of ``(T_i, d)`` arrays (result: a
      list), a NaN-padded ``(n, T, d)`` array (NaN is ignored in the
      statistics and kept in the result) or an ``(n, d)`` array.

    A speaker needs at least two frames (sequences) or two samples (2-D
    input); a missing speaker (None, NaN or an empty string) is an error.
    The normalisation of a speaker depends on which of its samples are
    transformed together: give all the utterances of a speaker to one
    :meth:`transform` (or ``predict``) call. A single utterance of a new
    speaker is normalised with its own statistics.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser import SpeakerStandardScaler
    >>> X = np.array([[100.0], [110.0], [200.0], [220.0]])
    >>> speakers = ["M", "M", "F", "F"]
    >>> SpeakerStandardScaler().fit_transform(X, speakers=speakers).ravel()
    array([-1.,  1., -1.,  1.])
    """

    _parameter_constraints = {
        "speaker_column": [str],
        "with_mean": ["boolean"],
        "with_std": ["boolean"],
    }

    def __init__(self, *, speaker_column=SPEAKER_COLUMN, with_mean=True,
                 with_std=True):
        self.speaker_column = speaker_column
        self.with_mean = with_mean
        self.with_std = with_std

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, speakers=None):
        """Check the input and record the number of features.

        Parameters
        ----------
        X : DataFrame, sequence of array-like of shape (n_frames_i, \
                n_features) or array-like
            Features and (for a DataFrame) speakers, see the Notes of the
            class.
        y : None
            Ignored: speaker normalisation uses no labels.
        speakers : array-like of shape (n_samples,), default=None
            Speaker of each sample, when ``X`` is not a DataFrame.

        Returns
        -------
        self : SpeakerStandardScaler
            The fitted scaler.
        """
        kind, data, groups, names = self._split(X, speakers)
        width = data.shape[-1] if kind != "sequences" else data[0].shape[1]
        self.n_features_in_ = int(width)
        if names is not None:
            self.feature_names_in_ = np.asarray(names, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        return self

    def fit_transform(self, X, y=None, speakers=None):
        """Fit, then standardise every speaker of ``X``.

        Parameters
        ----------
        X : DataFrame, sequence of array-like or array-like
            Features and (for a DataFrame) speakers.
        y : None
            Ignored.
        speakers : array-like of shape (n_samples,), default=None
            Speaker of each sample, when ``X`` is not a DataFrame.

        Returns
        -------
        X_tr : list of ndarray or ndarray
            See :meth:`transform`.
        """
        return self.fit(X, y, speakers=speakers).transform(X, speakers=speakers)

    def transform(self, X, speakers=None):
        """Standardise each speaker's features with that speaker's statistics.

        Parameters
        ----------
        X : DataFrame, sequence of array-like or array-like
            Features and (for a DataFrame) speakers, see the Notes of the
            class.
        speakers : array-like of shape (n_samples,), default=None
            Speaker of each sample, when ``X`` is not a DataFrame.

        Returns
        -------
        X_tr : list of ndarray of shape (n_frames_i, n_features) or ndarray
            Frame sequences in, a list of float32 arrays out (or a 3-D array
            for a 3-D array in); 2-D features in, a float64 array out.
        """
        check_is_fitted(self)
        kind, data, groups, _ = self._split(X, speakers)
        width = data.shape[-1] if kind != "sequences" else data[0].shape[1]
        if width != self.n_features_in_:
            raise ValueError(
                f"X has {width} features{' per frame' if kind != 'rows' else ''}, "
                f"but SpeakerStandardScaler was fitted with {self.n_features_in_}."
            )
        if kind == "sequences":
            out = [None] * len(data)
            for speaker, index in groups.items():
                frames = np.concatenate([data[i] for i in index]).astype(np.float64)
                mean, scale = self._statistics(frames, speaker, index, "frames")
                for i in index:
                    out[i] = ((data[i] - mean) / scale).astype(np.float32)
            return out
        out = np.array(data, dtype=np.float32 if kind == "padded" else np.float64)
        for speaker, index in groups.items():
            index = np.asarray(index)
            values = data[index].reshape(-1, width).astype(np.float64)
            mean, scale = self._statistics(
                values, speaker, index, "frames" if kind == "padded" else "samples"
            )
            out[index] = (data[index] - mean) / scale
        return out

    def get_feature_names_out(self, input_features=None):
        """Feature names, passed through unchanged.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names; if None, those seen in :meth:`fit` (a
            DataFrame of feature columns) or ``x0`` ... ``x(n-1)``.

        Returns
        -------
        feature_names_out : ndarray of str
            The same names.
        """
        check_is_fitted(self, "n_features_in_")
        return _check_feature_names_in(self, input_features)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.input_tags.allow_nan = True
        tags.requires_fit = True
        return tags

    # -- helpers -----------------------------------------------------------

    def _statistics(self, values, speaker, index, unit):
        counts = np.sum(~np.isnan(values), axis=0)
        if counts.min() < 2:
            raise ValueError(
                f"Speaker {speaker!r} has only {int(counts.min())} {unit} with a "
                f"value (sample(s) {_indices(index)}); per-speaker statistics need "
                f"at least 2 {unit} of each speaker. Give more data of this "
                "speaker, or leave the speaker out."
            )
        data_mean = np.nanmean(values, axis=0)
        mean = data_mean if self.with_mean else np.zeros_like(data_mean)
        if not self.with_std:
            return mean, np.ones_like(mean)
        return mean, unit_scale_for_constants(np.sqrt(np.nanvar(values, axis=0)),
                                              data_mean)

    def _split(self, X, speakers):
        """``(kind, data, {speaker: [indices]}, feature names or None)``."""
        names = None
        if is_dataframe(X):
            if speakers is not None:
                raise ValueError(
                    "speakers were given both as an argument and (possibly) in the "
                    f"column {self.speaker_column!r} of the DataFrame X; give them "
                    "one way only."
                )
            if self.speaker_column not in X.columns:
                raise ValueError(
                    f"X is a DataFrame without the speaker column "
                    f"{self.speaker_column!r} (columns: {list(X.columns)}); add the "
                    "speaker of each sample as that column, or set speaker_column."
                )
            speakers = X[self.speaker_column].to_numpy(dtype=object)
            if FRAMES_COLUMN in X.columns:
                kind, data = "sequences", check_sequences(X)
            else:
                features = X.drop(columns=[self.speaker_column])
                bad = [c for c in features.columns
                       if features[c].dtype.kind not in "biuf"]
                if bad:
                    raise TypeError(
                        f"X has non-numeric column(s) {bad[:5]} besides the speaker "
                        f"column {self.speaker_column!r}; expected numeric feature "
                        f"columns, or an {FRAMES_COLUMN!r} column of frame arrays."
                    )
                if features.shape[1] == 0:
                    raise ValueError("X has no feature column besides the speakers.")
                names = [str(c) for c in features.columns]
                kind, data = "rows", features.to_numpy(dtype=np.float64)
                if not np.isfinite(data).all():
                    raise ValueError(_nonfinite_message(data))
        else:
            if speakers is None:
                raise ValueError(
                    "SpeakerStandardScaler needs the speaker of each sample, and X "
                    "carries none. Pass X as a pandas DataFrame with a "
                    f"{self.speaker_column!r} column (and the audio in a 'file' or "
                    "'audio' column, for a pipeline), give speakers=... to "
                    "evaluate_sessions, or speakers=... to this scaler."
                )
            if isinstance(X, np.ndarray) and X.ndim in (2, 3) and X.dtype.kind in "biuf":
                kind = "padded" if X.ndim == 3 else "rows"
                data = X
                if np.isinf(data).any() or (kind == "rows" and np.isnan(data).any()):
                    raise ValueError(_nonfinite_message(data))
            else:
                kind, data = "sequences", check_sequences(X)
        n = len(data)
        if n == 0:
            raise ValueError("X has no sample.")
        if kind == "sequences":
            for i, seq in enumerate(data):
                if not np.isfinite(seq).all():
                    raise ValueError(
                        f"X[{i}] has non-finite values; frame sequences given to "
                        "SpeakerStandardScaler must be finite."
                    )
        return kind, data, _group(speakers, n), names


def _nonfinite_message(data):
    i = int(np.argwhere(~np.isfinite(data))[0][0])
    return (f"X has non-finite values (first in sample {i}); expected finite "
            "features (NaN only as padding frames of a 3-D array).")


def _indices(index):
    index = list(index)
    shown = ", ".join(str(int(i)) for i in index[:10])
    return shown + (", ..." if len(index) > 10 else "")


def _is_missing(value):
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return bool(np.isnan(value))
    try:  # pandas.NA, pandas.NaT and friends
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas comes with the library
        return False
    return bool(pd.isna(value)) if np.ndim(value) == 0 else False


def _group(speakers, n):
    """``{speaker: [sample indices]}`` in order of first appearance."""
    if isinstance(speakers, (str, bytes)):
        raise TypeError(
            f"speakers must be a sequence with one speaker per sample, got the "
            f"string {speakers!r}."
        )
    speakers = list(np.asarray(speakers, dtype=object).ravel()) if not isinstance(
        speakers, list) else speakers
    if len(speakers) != n:
        raise ValueError(
            f"speakers has {len(speakers)} entries but X has {n} samples; give one "
            "speaker per sample."
        )
    groups = {}
    for i, speaker in enumerate(speakers):
        if isinstance(speaker, np.generic):
            speaker = speaker.item()
        if _is_missing(speaker):
            raise ValueError(
                f"The speaker of sample {i} is missing ({speaker!r}); speaker "
                "normalisation needs the speaker of every sample, at fit and at "
                "predict time."
            )
        try:
            groups.setdefault(speaker, []).append(i)
        except TypeError:
            raise TypeError(
                f"The speaker of sample {i} ({speaker!r}) is not hashable; use "
                "strings or integers as speaker ids."
            ) from None
    check_one_type(speakers, "speakers")  # 1, 1.0 and True would be one speaker
    return groups


def _check_state(step, check):
    check.count("n_features_in_")


register(SpeakerStandardScaler, check_state=_check_state)
