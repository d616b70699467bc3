"""Standardisation with the statistics of the neutral utterances."""


import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import FLOAT_DTYPES, check_is_fitted, validate_data

from .._compat import _fit_context
from .._validation import check_3d_array, unit_scale_for_constants
from ..persistence._registry import register


class NeutralStandardScaler(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Standardise features with the mean and std of the neutral samples.

    Speaker and recording conditions shift acoustic features; the neutral
    utterances of the training data give a reference to remove that shift. The
    scaler computes, per feature, the mean and standard deviation over all
    frames of the training samples labelled ``neutral_label`` and applies
    ``(x - mean_) / scale_`` to every sample, whatever its label.

    With ``neutral_label=None`` the statistics come from all the training
    samples (``reference_ == "all"``), a plain standardisation over the
    training data: what the pipelines of emotion dimensions (valence,
    arousal, dominance; ``task="regression"`` of the factories) use, since
    their targets name no neutral class. To normalise a dimensional model
    with the neutral utterances instead, fit the scaler on the category
    labels (e.g. ``load_iemocap(..., target="dimensions").labels``) and use
    it outside the pipeline, or choose speaker normalisation.

    Works on 2-D ``(n_samples, n_features)`` and 3-D
    ``(n_samples, n_frames, n_features)`` arrays. NaN values (the padding frames
    written by :class:`~sklearn_ser.PadCrop`) are ignored when fitting and
    passed through unchanged by :meth:`transform`, so padding never pollutes the
    statistics.

    Parameters
    ----------
    neutral_label : object or None, default="neu"
        Label of the neutral class in ``y``; None standardises with every
        training sample (and ``y`` is not needed).
    with_mean : bool, default=True
        If True, center the data with the neutral mean.
    with_std : bool, default=True
        If True, divide by the neutral standard deviation.
    copy : bool, default=True
        If False, try to scale in place (only when the input is already a
        floating point numpy array).

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
        Per-feature mean over the non-NaN values of the neutral samples.
    var_ : ndarray of shape (n_features,)
        Per-feature (biased, ``ddof=0``) variance over the same values.
    scale_ : ndarray of shape (n_features,) or None
        Per-feature scale, ``sqrt(var_)`` with zeros replaced by 1 (as in
        :class:`sklearn.preprocessing.StandardScaler`); None if
        ``with_std=False``.
    n_features_in_ : int
        Number of features seen during :meth:`fit`.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during :meth:`fit` (2-D DataFrame input only).
    n_neutral_samples_ : int
        Number of samples the statistics were computed from (all of them
        when ``reference_ == "all"``).
    reference_ : {"neutral", "all"}
        Which samples gave the statistics: those labelled
        ``neutral_label``, or all of them (dimensional targets).

    See Also
    --------
    sklearn.preprocessing.StandardScaler : Standardisation with all samples.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser import NeutralStandardScaler
    >>> X = np.array([[0.0], [2.0], [10.0]])
    >>> y = ["neu", "neu", "ang"]
    >>> scaler = NeutralStandardScaler().fit(X, y)
    >>> scaler.mean_, scaler.scale_
    (array([1.]), array([1.]))
    >>> scaler.transform(X).ravel()
    array([-1.,  1.,  9.])
    """

    _parameter_constraints = {
        "neutral_label": "no_validation",
        "with_mean": ["boolean"],
        "with_std": ["boolean"],
        "copy": ["boolean"],
    }

    def __init__(self, neutral_label="neu", *, with_mean=True, with_std=True, copy=True):
        self.neutral_label = neutral_label
        self.with_mean = with_mean
        self.with_std = with_std
        self.copy = copy

    def _validate(self, X, *, reset, copy=False):
        if _is_3d(X):
            X = check_3d_array(X, estimator=type(self).__name__, copy=copy)
            if reset:
                self.n_features_in_ = X.shape[2]
                if hasattr(self, "feature_names_in_"):
                    del self.feature_names_in_
            elif X.shape[2] != self.n_features_in_:
                raise ValueError(
                    f"X has {X.shape[2]} features per frame, but "
                    f"{type(self).__name__} is expecting {self.n_features_in_} "
                    "features as input."
                )
            return X
        return validate_data(
            self, X, reset=reset, dtype=FLOAT_DTYPES, ensure_all_finite="allow-nan",
            copy=copy,
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Compute the neutral mean and standard deviation.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or \
                (n_samples, n_frames, n_features)
            Training data; NaN values are ignored.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Emotion labels; only samples equal to ``neutral_label`` are used.
            Ignored with ``neutral_label=None`` (every sample is used).

        Returns
        -------
        self : NeutralStandardScaler
            The fitted scaler.
        """
        if self.neutral_label is None:
            X = self._validate(X, reset=True)
            if y is not None and len(y) != X.shape[0]:
                raise ValueError(
                    f"y has {len(y)} rows but X has {X.shape[0]} samples; give one "
                    "row per sample."
                )
            return self._fit_statistics(X, np.ones(X.shape[0], dtype=bool), "all")
        if y is None:
            raise ValueError(
                "NeutralStandardScaler requires y to be passed, but the target y is None; "
                "y holds the emotion labels, used in fit to "
                f"find the samples labelled neutral_label={self.neutral_label!r}; "
                "pass y to fit (or set neutral_label=None to standardise with every "
                "sample)."
            )
        X = self._validate(X, reset=True)
        y = np.asarray(y)
        if y.ndim == 2 and y.dtype.kind in "biuf":
            raise ValueError(
                f"y has shape {y.shape}: dimensional targets, which name no neutral "
                f"class; set neutral_label=None to standardise with every sample "
                f"(got neutral_label={self.neutral_label!r})."
            )
        if y.ndim != 1 or y.shape[0] != X.shape[0]:
            raise ValueError(
                f"y must be 1-D with one label per sample ({X.shape[0]}), got shape "
                f"{y.shape}."
            )
        neutral = y == self.neutral_label
        if not np.any(neutral):
            seen = ", ".join(repr(v) for v in np.unique(y.astype(object)).tolist()[:20])
            dims = (" For emotion dimensions (numeric targets) set "
                    "neutral_label=None." if y.dtype.kind == "f" else "")
            raise ValueError(
                f"No sample is labelled neutral_label={self.neutral_label!r}; the "
                f"labels seen in y are: {seen}. Set neutral_label to the label of "
                f"the neutral class.{dims}"
            )
        return self._fit_statistics(X, neutral, "neutral")

    def _fit_statistics(self, X, reference, kind):
        """Mean and scale over the rows ``reference`` of ``X``."""
        values = X[reference].reshape(-1, X.shape[-1])
        counts = np.sum(~np.isnan(values), axis=0)
        if np.any(counts == 0):
            bad = np.flatnonzero(counts == 0).tolist()
            where = "neutral samples" if kind == "neutral" else "training samples"
            raise ValueError(
                f"All values of feature(s) {bad} are NaN in the {where}; "
                "cannot compute their mean and standard deviation."
            )
        values = values.astype(np.float64, copy=False)
        self.mean_ = np.nanmean(values, axis=0)
        self.var_ = np.nanvar(values, axis=0)
        if self.with_std:
            self.scale_ = unit_scale_for_constants(np.sqrt(self.var_), self.mean_)
        else:
            self.scale_ = None
        self.n_neutral_samples_ = int(np.sum(reference))
        self.reference_ = kind
        return self

    def transform(self, X, copy=None):
        """Standardise ``X`` with the neutral statistics.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or \
                (n_samples, n_frames, n_features)
            Data to scale; NaN values stay NaN.
        copy : bool or None, default=None
            Copy the input; defaults to the ``copy`` parameter.

        Returns
        -------
        X_tr : ndarray of the same shape as ``X``
            Scaled data, same floating dtype as ``X``.
        """
        check_is_fitted(self)
        copy = self.copy if copy is None else copy
        X = self._validate(X, reset=False, copy=copy)
        if self.with_mean:
            X -= self.mean_.astype(X.dtype)
        if self.with_std:
            X /= self.scale_.astype(X.dtype)
        return X

    def inverse_transform(self, X, copy=None):
        """Undo :meth:`transform`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or \
                (n_samples, n_frames, n_features)
            Scaled data.
        copy : bool or None, default=None
            Copy the input; defaults to the ``copy`` parameter.

        Returns
        -------
        X_orig : ndarray of the same shape as ``X``
            Data in the original units.
        """
        check_is_fitted(self)
        copy = self.copy if copy is None else copy
        X = self._validate(X, reset=False, copy=copy)
        if self.with_std:
            X *= self.scale_.astype(X.dtype)
        if self.with_mean:
            X += self.mean_.astype(X.dtype)
        return X

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.three_d_array = True
        tags.target_tags.required = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def _is_3d(X):
    """Whether ``X`` is a 3-D array or a nested sequence of 2-D items."""
    if isinstance(X, np.ndarray):
        return X.ndim == 3
    if isinstance(X, (list, tuple)) and len(X) > 0:
        first = X[0]
        if isinstance(first, np.ndarray):
            return first.ndim == 2
        return (
            isinstance(first, (list, tuple))
            and len(first) > 0
            and isinstance(first[0], (list, tuple, np.ndarray))
        )
    return False


def _check_state(step, check):
    d = check.count("n_features_in_")
    for attr in ("mean_", "var_") + (("scale_",) if step.with_std else ()):
        check.finite_vector(attr, d)
    if step.with_std:
        check.need(bool((step.scale_ > 0).all()), "scale_ must be positive")


register(NeutralStandardScaler, check_state=_check_state)
