"""Pad or crop frame sequences to a fixed number of frames."""

import numbers

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._compat import Interval, StrOptions, _check_feature_names_in, _fit_context
from .._paper import N_FRAMES
from .._validation import check_sequences
from ..persistence._registry import register


class PadCrop(TransformerMixin, BaseEstimator):
    """Pad or crop variable-length frame sequences to ``n_frames`` frames.

    Turns the list of ``(T_i, d)`` arrays produced by
    :class:`~sklearn_ser.LLDExtractor` into one ``(n, n_frames, d)`` float32
    array. Sequences longer than ``n_frames`` are cropped, shorter ones are
    padded at the end with ``fill_value``.

    The default ``fill_value=np.nan`` marks padding frames so that the
    :class:`~sklearn_ser.NeutralStandardScaler` ignores them when computing its
    statistics and the :class:`~sklearn_ser.SERClassifier` can recover each
    sequence's true length and mask the padding. ``fill_value=0.0`` reproduces
    the zero padding of the original paper.

    Parameters
    ----------
    n_frames : int, default=500
        Number of frames of the output (500 frames = 5 s at a 10 ms shift).
    fill_value : float, default=np.nan
        Value of the padding frames.
    crop : {"end", "start", "center"}, default="end"
        Which part of a long sequence to drop: ``"end"`` keeps the first
        ``n_frames`` frames, ``"start"`` keeps the last ``n_frames`` frames and
        ``"center"`` keeps the middle ``n_frames`` frames.

    Attributes
    ----------
    n_features_in_ : int
        Number of features per frame seen during :meth:`fit`.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features, when :meth:`fit` was given ``feature_names``
        through a preceding step (see :meth:`get_feature_names_out`).

    Notes
    -----
    When ``X`` is a 3-D array (for example the output of another
    :class:`PadCrop`), trailing frames whose values are all NaN are treated as
    padding and are not part of the sequence, so re-padding or cropping a padded
    array keeps the true frames only.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser import PadCrop
    >>> X = [np.ones((3, 2)), np.ones((6, 2))]
    >>> out = PadCrop(n_frames=4).fit_transform(X)
    >>> out.shape, out.dtype
    ((2, 4, 2), dtype('float32'))
    >>> bool(np.isnan(out[0, 3]).all()), bool(np.isnan(out[1]).any())
    (True, False)
    """

    _parameter_constraints = {
        "n_frames": [Interval(numbers.Integral, 1, None, closed="left")],
        "fill_value": [numbers.Real],
        "crop": [StrOptions({"end", "start", "center"})],
    }

    def __init__(self, n_frames=N_FRAMES, fill_value=np.nan, crop="end"):
        self.n_frames = n_frames
        self.fill_value = fill_value
        self.crop = crop

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Record the number of features per frame.

        Parameters
        ----------
        X : sequence of array-like of shape (n_frames_i, n_features) or \
                array-like of shape (n_samples, n_frames, n_features)
            Frame sequences.
        y : None
            Ignored.

        Returns
        -------
        self : PadCrop
            The fitted transformer.
        """
        seqs = check_sequences(X)
        self.n_features_in_ = seqs[0].shape[1]
        return self

    def transform(self, X):
        """Pad or crop every sequence to ``n_frames`` frames.

        Parameters
        ----------
        X : sequence of array-like of shape (n_frames_i, n_features) or \
                array-like of shape (n_samples, n_frames, n_features)
            Frame sequences.

        Returns
        -------
        X_out : ndarray of shape (n_samples, n_frames, n_features), dtype float32
            Padded and cropped sequences.
        """
        check_is_fitted(self)
        is_3d = isinstance(X, np.ndarray) and X.ndim == 3
        seqs = check_sequences(X)
        d = seqs[0].shape[1]
        if d != self.n_features_in_:
            raise ValueError(
                f"X has {d} features per frame, but PadCrop was fitted with "
                f"{self.n_features_in_} features per frame."
            )
        n_frames = self.n_frames
        out = np.full((len(seqs), n_frames, d), self.fill_value, dtype=np.float32)
        for i, seq in enumerate(seqs):
            if is_3d:
                seq = _strip_nan_tail(seq)
            T = seq.shape[0]
            if T == 0:
                raise ValueError(
                    f"X[{i}] has no frames{' (all frames are NaN padding)' if is_3d else ''}; "
                    "every sequence needs at least one frame. Check the audio of "
                    f"sample {i} (too short or empty)."
                )
            if T > n_frames:
                if self.crop == "end":
                    start = 0
                elif self.crop == "start":
                    start = T - n_frames
                else:
                    start = (T - n_frames) // 2
                out[i] = seq[start:start + n_frames]
            else:
                out[i, :T] = seq
        return out

    def get_feature_names_out(self, input_features=None):
        """Feature names, passed through unchanged.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names. If None, ``x0`` ... ``x(n_features_in_-1)``.

        Returns
        -------
        feature_names_out : ndarray of str
            The same names.
        """
        check_is_fitted(self, "n_features_in_")
        return _check_feature_names_in(self, input_features)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.input_tags.allow_nan = True
        tags.requires_fit = True
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags


def _strip_nan_tail(seq):
    """Drop trailing frames whose values are all NaN."""
    valid = ~np.isnan(seq).all(axis=1)
    if valid.all():
        return seq
    idx = np.flatnonzero(valid)
    return seq[: idx[-1] + 1] if idx.size else seq[:0]


#: The most frames a loaded model may pad to (1000 s of speech at 10 ms): a
#: file asking for more would make every prediction allocate gigabytes.
MAX_LOADED_FRAMES = 100_000


def _check_state(step, check):
    check.count("n_features_in_")
    check.need(step.n_frames <= MAX_LOADED_FRAMES,
               f"n_frames={step.n_frames} is above the {MAX_LOADED_FRAMES} frames a "
               "model file may ask for")


register(PadCrop, check_state=_check_state)
