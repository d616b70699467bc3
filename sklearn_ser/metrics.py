"""Metrics of speech emotion recognition: WA and UA, and CCC for dimensions.

For emotion categories the literature reports two numbers:

* **WA** (weighted accuracy): the overall accuracy, every utterance counts
  once, so frequent classes weigh more.
* **UA** (unweighted accuracy): the mean of the per-class recalls, every class
  counts once (scikit-learn's balanced accuracy).

For emotion dimensions (valence, arousal, dominance) it reports the
**CCC** (concordance correlation coefficient) of each dimension.

All are plain functions and scorers, so they plug into
:func:`sklearn.model_selection.cross_validate` and
:class:`sklearn.model_selection.GridSearchCV` through :data:`SCORING` and
:data:`CCC_SCORING`.
"""

import numpy as np
from sklearn.metrics import accuracy_score, balanced_accuracy_score, make_scorer
from sklearn.utils.validation import check_consistent_length

__all__ = [
    "CCC_SCORING",
    "SCORING",
    "ccc_scorer",
    "concordance_correlation_coefficient",
    "make_ccc_scoring",
    "ua_scorer",
    "unweighted_accuracy",
    "wa_scorer",
    "wa_ua_score",
    "wa_ua_scorer",
    "weighted_accuracy",
]


def _check_not_empty(y_true, y_pred):
    """Refuse empty labels (older scikit-learn returns NaN for them)."""
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if np.size(y) == 0:
            raise ValueError(f"{name} is empty; expected at least one label.")


def weighted_accuracy(y_true, y_pred, *, sample_weight=None):
    """Weighted accuracy (WA): the fraction of correctly classified samples.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    score : float
        Overall accuracy, between 0 and 1.

    Examples
    --------
    >>> from sklearn_ser.metrics import weighted_accuracy
    >>> weighted_accuracy(["ang", "ang", "ang", "sad"], ["ang", "ang", "ang", "ang"])
    0.75
    """
    _check_not_empty(y_true, y_pred)
    return float(accuracy_score(y_true, y_pred, sample_weight=sample_weight))


def unweighted_accuracy(y_true, y_pred, *, sample_weight=None):
    """Unweighted accuracy (UA): the mean of the per-class recalls.

    Every class present in ``y_true`` counts once, whatever its size; this is
    scikit-learn's :func:`~sklearn.metrics.balanced_accuracy_score`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    score : float
        Mean per-class recall, between 0 and 1.

    Examples
    --------
    >>> from sklearn_ser.metrics import unweighted_accuracy
    >>> unweighted_accuracy(["ang", "ang", "ang", "sad"], ["ang", "ang", "ang", "ang"])
    0.5
    """
    _check_not_empty(y_true, y_pred)
    return float(balanced_accuracy_score(y_true, y_pred, sample_weight=sample_weight))


def wa_ua_score(y_true, y_pred, *, sample_weight=None):
    """Sum of WA and UA, the model-selection criterion of the paper.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    score : float
        ``weighted_accuracy + unweighted_accuracy``, between 0 and 2.

    Examples
    --------
    >>> from sklearn_ser.metrics import wa_ua_score
    >>> wa_ua_score(["ang", "ang", "ang", "sad"], ["ang", "ang", "ang", "ang"])
    1.25
    """
    return weighted_accuracy(
        y_true, y_pred, sample_weight=sample_weight
    ) + unweighted_accuracy(y_true, y_pred, sample_weight=sample_weight)


wa_scorer = make_scorer(weighted_accuracy)
"""Scorer for :func:`weighted_accuracy` (greater is better)."""

ua_scorer = make_scorer(unweighted_accuracy)
"""Scorer for :func:`unweighted_accuracy` (greater is better)."""

wa_ua_scorer = make_scorer(wa_ua_score)
"""Scorer for :func:`wa_ua_score` (greater is better)."""

SCORING = {"WA": wa_scorer, "UA": ua_scorer}
"""Scoring dict for ``cross_validate(..., scoring=SCORING)`` and
``GridSearchCV(..., scoring=SCORING, refit="UA")``."""


#: Names of the three IEMOCAP dimensions, in the order of its annotations.
DIMENSIONS = ("valence", "arousal", "dominance")


def _as_2d_targets(y, name):
    y = np.asarray(y)
    if y.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers, got dtype {y.dtype}.")
    if y.ndim == 1:
        y = y[:, None]
    elif y.ndim != 2:
        raise ValueError(
            f"{name} must be 1-D (one target) or 2-D (n_samples, n_targets), "
            f"got shape {y.shape}."
        )
    y = y.astype(np.float64)
    if not np.isfinite(y).all():
        i, j = np.argwhere(~np.isfinite(y))[0]
        raise ValueError(
            f"{name} has a non-finite value (NaN or inf) at sample {i}, target "
            f"{j}; every value must be finite."
        )
    return y


def concordance_correlation_coefficient(y_true, y_pred, *, sample_weight=None,
                                        multioutput="uniform_average"):
    """Concordance correlation coefficient (CCC) of Lin (1989).

    ``CCC = 2 cov(y, p) / (var(y) + var(p) + (mean(y) - mean(p)) ** 2)``
    with population (``ddof=0``) moments: the Pearson correlation scaled
    down by how far the predictions' mean and spread are from the truth's.
    It is 1 for perfect agreement, 0 for no relation (or constant
    predictions), -1 for perfect reversal; the usual metric of dimensional
    emotion recognition (valence, arousal, dominance).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_targets)
        True values.
    y_pred : array-like of the same shape as ``y_true``
        Predicted values.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights of the moments.
    multioutput : {"uniform_average", "raw_values"} or array-like of shape \
            (n_targets,), default="uniform_average"
        ``"raw_values"``: one CCC per target; ``"uniform_average"``: their
        mean; an array: their average with these weights.

    Returns
    -------
    score : float or ndarray of shape (n_targets,)
        The CCC (an array with ``multioutput="raw_values"``). A target whose
        true and predicted values are all one and the same constant has a
        CCC of 1; one that is constant on one side only has 0.

    Raises
    ------
    ValueError
        If the shapes differ, a value is NaN or infinite, there are no
        samples, or ``multioutput`` is not one of the above.

    References
    ----------
    .. [1] L. I.-K. Lin, "A concordance correlation coefficient to evaluate
       reproducibility," *Biometrics*, vol. 45, no. 1, pp. 255--268, 1989.

    Examples
    --------
    >>> from sklearn_ser.metrics import concordance_correlation_coefficient
    >>> concordance_correlation_coefficient([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    1.0
    >>> round(concordance_correlation_coefficient([1.0, 2.0, 3.0],
    ...                                           [2.0, 3.0, 4.0]), 4)
    0.5714
    >>> concordance_correlation_coefficient(
    ...     [[1, 5], [2, 4], [3, 3]], [[1, 3], [2, 3], [3, 3]],
    ...     multioutput="raw_values")
    array([1., 0.])
    """
    _check_not_empty(y_true, y_pred)
    yt = _as_2d_targets(y_true, "y_true")
    yp = _as_2d_targets(y_pred, "y_pred")
    if yt.shape != yp.shape:
        raise ValueError(
            f"y_true has shape {np.shape(y_true)} but y_pred has shape "
            f"{np.shape(y_pred)}; they must match."
        )
    if sample_weight is None:
        w = np.full(yt.shape[0], 1.0 / yt.shape[0])
    else:
        w = np.asarray(sample_weight, dtype=np.float64)
        check_consistent_length(yt, w)
        if w.ndim != 1 or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
            raise ValueError(
                "sample_weight must be 1-D, finite, non-negative and not all 0."
            )
        w = w / w.sum()
    mean_t, mean_p = w @ yt, w @ yp
    dt, dp = yt - mean_t, yp - mean_p
    var_t, var_p = w @ dt**2, w @ dp**2
    cov = w @ (dt * dp)
    denom = var_t + var_p + (mean_t - mean_p) ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        ccc = np.where(denom > 0, 2 * cov / np.where(denom > 0, denom, 1.0), 1.0)
    if isinstance(multioutput, str):
        if multioutput == "raw_values":
            return ccc
        if multioutput == "uniform_average":
            return float(ccc.mean())
        raise ValueError(
            "multioutput must be 'raw_values', 'uniform_average' or an array of "
            f"weights, got {multioutput!r}."
        )
    weights = np.asarray(multioutput, dtype=np.float64)
    if weights.shape != ccc.shape:
        raise ValueError(
            f"multioutput has {weights.size} weight(s) but there are {ccc.size} "
            "targets; give one weight per target."
        )
    return float(np.average(ccc, weights=weights))


def _ccc_of_target(y_true, y_pred, *, target):
    """CCC of column ``target`` (the per-dimension scorers)."""
    yt, yp = np.asarray(y_true), np.asarray(y_pred)
    if yt.ndim != 2 or yp.ndim != 2 or yt.shape[1] <= target:
        raise ValueError(
            f"the scorer of target {target} needs 2-D targets with more than "
            f"{target} columns, got shapes {yt.shape} and {yp.shape}."
        )
    return concordance_correlation_coefficient(yt[:, target], yp[:, target])


ccc_scorer = make_scorer(concordance_correlation_coefficient)
"""Scorer for :func:`concordance_correlation_coefficient`, averaged over the
targets (greater is better)."""


def make_ccc_scoring(target_names=DIMENSIONS):
    """Scoring dict of the CCC: the mean over targets and one per target.

    Parameters
    ----------
    target_names : sequence of str, default=("valence", "arousal", "dominance")
        Names of the columns of ``y``, in order.

    Returns
    -------
    scoring : dict
        ``{"CCC": ccc_scorer, "CCC_<name>": scorer of that column, ...}``,
        for ``cross_validate(..., scoring=scoring)`` and
        ``GridSearchCV(..., scoring=scoring, refit="CCC")``.

    Examples
    --------
    >>> from sklearn_ser.metrics import make_ccc_scoring
    >>> sorted(make_ccc_scoring())
    ['CCC', 'CCC_arousal', 'CCC_dominance', 'CCC_valence']
    """
    names = [target_names] if isinstance(target_names, str) else list(target_names)
    if not names or not all(isinstance(n, str) and n for n in names):
        raise ValueError(
            f"target_names must be a non-empty sequence of names, got {target_names!r}."
        )
    if len(set(names)) != len(names):
        raise ValueError(f"target_names has duplicates: {names}.")
    scoring = {"CCC": ccc_scorer}
    for j, name in enumerate(names):
        scoring[f"CCC_{name}"] = make_scorer(_ccc_of_target, target=j)
    return scoring


CCC_SCORING = make_ccc_scoring()
"""Scoring dict of the IEMOCAP dimensions: ``"CCC"`` (mean of the three),
``"CCC_valence"``, ``"CCC_arousal"`` and ``"CCC_dominance"`` (columns 0, 1
and 2 of ``y``)."""
