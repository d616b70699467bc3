"""Utterance-level statistics (functionals) of frame-level descriptors."""

import numbers

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._compat import Interval, _check_feature_names_in, _fit_context
from .._paper import FRAME_STEP
from .._validation import check_sequences
from ..persistence._registry import register

FUNCTIONALS = ("mean", "std", "min", "max", "range", "percentiles", "slope")
"""Names accepted by the ``functionals`` parameter of :class:`Functionals`."""


class Functionals(TransformerMixin, BaseEstimator):
    """Statistics of each frame-level descriptor over the frames of an utterance.

    Turns the variable-length ``(T_i, d)`` frame sequences of
    :class:`~sklearn_ser.LLDExtractor` into one fixed-size vector per
    utterance, the classic input of a linear model or an SVM in speech
    emotion recognition (openSMILE's functionals). For every descriptor
    (column) and every chosen functional, in that order (all functionals of
    the first descriptor, then of the second, ...), over the valid frames
    ``x_1 ... x_T`` of the utterance:

    - ``"mean"``: ``sum_t x_t / T``;
    - ``"std"``: standard deviation with ``ddof=0``;
    - ``"min"``, ``"max"``: smallest and largest value;
    - ``"range"``: ``max - min``;
    - ``"percentiles"``: one output per entry of ``percentiles``, computed
      with :func:`numpy.percentile` (linear interpolation);
    - ``"slope"``: least-squares slope of the values against time in
      seconds, ``sum_t (t_t - mean(t)) (x_t - mean(x)) / sum_t (t_t -
      mean(t))**2`` with ``t_t = t * frame_step``; 0 for a single frame.

    Statistics are computed in float64.

    Parameters
    ----------
    functionals : sequence of str, default=("mean", "std", "percentiles", \
            "range", "slope")
        Functionals to compute, among ``"mean"``, ``"std"``, ``"min"``,
        ``"max"``, ``"range"``, ``"percentiles"`` and ``"slope"``, in the
        order of the output.
    percentiles : sequence of float, default=(1, 25, 50, 75, 99)
        Percentiles (between 0 and 100) of ``"percentiles"``.
    frame_step : float, default=0.01
        Time between two frames in seconds (10 ms for the LLDs of
        :class:`~sklearn_ser.LLDExtractor`); the unit of ``"slope"`` is
        ``1 / second``.

    Attributes
    ----------
    n_features_in_ : int
        Number of descriptors per frame seen in :meth:`fit`.
    n_functionals_ : int
        Number of outputs per descriptor.

    See Also
    --------
    sklearn_ser.make_baseline_pipeline : LLDs, functionals, scaling and a
        scikit-learn classifier.
    sklearn_ser.PadCrop : The frame sequences as a padded 3-D array instead.

    Notes
    -----
    ``X`` may be a list of ``(T_i, d)`` arrays, a NaN-padded ``(n, T, d)``
    array (trailing all-NaN frames are padding, as written by
    :class:`~sklearn_ser.PadCrop`, and are left out), or the pandas
    DataFrame that :class:`~sklearn_ser.LLDExtractor` returns for a
    DataFrame input (its ``"lld"`` column is used). Valid frames must be
    finite.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser import Functionals
    >>> X = [np.array([[0.0], [1.0], [2.0], [3.0]])]   # one utterance, one LLD
    >>> func = Functionals(functionals=("mean", "range", "slope"))
    >>> func.fit_transform(X)
    array([[  1.5,   3. , 100. ]])
    >>> func.get_feature_names_out(["F0"]).tolist()
    ['F0_mean', 'F0_range', 'F0_slope']
    """

    _parameter_constraints = {
        "functionals": ["array-like"],
        "percentiles": ["array-like"],
        "frame_step": [Interval(numbers.Real, 0, None, closed="neither")],
    }

    def __init__(self, functionals=("mean", "std", "percentiles", "range", "slope"),
                 *, percentiles=(1, 25, 50, 75, 99), frame_step=FRAME_STEP):
        self.functionals = functionals
        self.percentiles = percentiles
        self.frame_step = frame_step

    def _check_params(self):
        if isinstance(self.functionals, str):
            raise TypeError(
                f"functionals must be a sequence of names, got the string "
                f"{self.functionals!r}; write e.g. ({self.functionals!r},)."
            )
        names = list(self.functionals)
        if not names:
            raise ValueError(
                f"functionals is empty; choose some of {list(FUNCTIONALS)}."
            )
        unknown = [n for n in names if n not in FUNCTIONALS]
        if unknown:
            raise ValueError(
                f"functionals has unknown name(s) {unknown}; expected names among "
                f"{list(FUNCTIONALS)}."
            )
        if len(set(names)) != len(names):
            raise ValueError(f"functionals lists a name twice: {names}.")
        percentiles = np.asarray(self.percentiles, dtype=float).ravel()
        if "percentiles" in names:
            if percentiles.size == 0:
                raise ValueError(
                    "percentiles is empty, but functionals asks for 'percentiles'."
                )
            if not np.all((percentiles >= 0) & (percentiles <= 100)):
                raise ValueError(
                    f"percentiles must lie between 0 and 100, got "
                    f"{percentiles.tolist()}."
                )
        return names, percentiles

    def _labels(self):
        names, percentiles = self._check_params()
        labels = []
        for name in names:
            if name == "percentiles":
                labels.extend(f"p{q:g}" for q in percentiles)
            else:
                labels.append(name)
        return labels

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the parameters and record the number of descriptors.

        Parameters
        ----------
        X : sequence of array-like of shape (n_frames_i, n_features), \
                array-like of shape (n_samples, n_frames, n_features) or \
                DataFrame
            Frame sequences (see the Notes of the class).
        y : None
            Ignored.

        Returns
        -------
        self : Functionals
            The fitted transformer.
        """
        seqs = check_sequences(X)
        self.n_features_in_ = seqs[0].shape[1]
        self.n_functionals_ = len(self._labels())
        return self

    def transform(self, X):
        """Compute the functionals of every utterance.

        Parameters
        ----------
        X : sequence of array-like of shape (n_frames_i, n_features), \
                array-like of shape (n_samples, n_frames, n_features) or \
                DataFrame
            Frame sequences (see the Notes of the class).

        Returns
        -------
        X_out : ndarray of shape (n_samples, n_features * n_functionals_)
            One row per utterance, float64; columns as given by
            :meth:`get_feature_names_out`.
        """
        check_is_fitted(self)
        names, percentiles = self._check_params()
        is_3d = isinstance(X, np.ndarray) and X.ndim == 3
        seqs = check_sequences(X)
        d = seqs[0].shape[1]
        if d != self.n_features_in_:
            raise ValueError(
                f"X has {d} features per frame, but Functionals was fitted with "
                f"{self.n_features_in_} features per frame."
            )
        out = np.empty((len(seqs), d, len(self._labels())), dtype=np.float64)
        for i, seq in enumerate(seqs):
            x = _valid_frames(seq, i, strip_padding=is_3d)
            out[i] = _functionals_of(x, names, percentiles, float(self.frame_step))
        return out.reshape(len(seqs), -1)

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns, ``<descriptor>_<functional>``.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Names of the descriptors, e.g. those of
            :meth:`LLDExtractor.get_feature_names_out
            <sklearn_ser.LLDExtractor.get_feature_names_out>`. If None,
            ``x0`` ... ``x(n_features_in_-1)``.

        Returns
        -------
        feature_names_out : ndarray of str
            ``F0_sma_mean``, ``F0_sma_std``, ..., percentiles as ``p1``,
            ``p25``, ...
        """
        check_is_fitted(self, "n_features_in_")
        features = _check_feature_names_in(self, input_features)
        labels = self._labels()
        return np.asarray(
            [f"{feat}_{label}" for feat in features for label in labels], dtype=object
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.input_tags.allow_nan = True
        tags.requires_fit = True
        return tags


def _valid_frames(seq, index, *, strip_padding):
    """The valid frames of one sequence as float64; errors name the sample."""
    x = np.asarray(seq, dtype=np.float64)
    if strip_padding:
        valid = ~np.isnan(x).all(axis=1)
        last = np.flatnonzero(valid)
        x = x[: last[-1] + 1] if last.size else x[:0]
    if x.shape[0] == 0:
        raise ValueError(
            f"X[{index}] has no frames{' (all frames are NaN padding)' if strip_padding else ''}; "
            "every utterance needs at least one frame."
        )
    if not np.isfinite(x).all():
        t = int(np.argwhere(~np.isfinite(x))[0][0])
        raise ValueError(
            f"X[{index}] has a non-finite value at frame {t}; the valid frames of "
            "an utterance must be finite (only trailing all-NaN padding frames of a "
            "3-D array are left out)."
        )
    return x


def _functionals_of(x, names, percentiles, frame_step):
    """``(d, n_functionals)`` statistics of the ``(T, d)`` frames ``x``."""
    columns = []
    for name in names:
        if name == "mean":
            columns.append(x.mean(axis=0))
        elif name == "std":
            columns.append(x.std(axis=0))
        elif name == "min":
            columns.append(x.min(axis=0))
        elif name == "max":
            columns.append(x.max(axis=0))
        elif name == "range":
            columns.append(x.max(axis=0) - x.min(axis=0))
        elif name == "percentiles":
            columns.extend(np.percentile(x, percentiles, axis=0))
        else:  # slope
            t = np.arange(x.shape[0], dtype=np.float64) * frame_step
            t -= t.mean()
            denom = float(np.dot(t, t))
            columns.append(t @ (x - x.mean(axis=0)) / denom if denom > 0
                           else np.zeros(x.shape[1]))
    return np.stack(columns, axis=1)


def _check_state(step, check):
    check.count("n_features_in_")
    n = check.count("n_functionals_")
    try:
        expected = len(step._labels())
    except (TypeError, ValueError) as exc:
        check.need(False, f"its parameters are invalid ({exc})")
    check.need(n == expected,
               f"n_functionals_ is {n} but the parameters give {expected}")


register(Functionals, validate=Functionals._check_params, check_state=_check_state)
