"""Metrics of speech emotion recognition: weighted and unweighted accuracy.

The literature reports two numbers:

* **WA** (weighted accuracy): the overall accuracy, every utterance counts
  once, so frequent classes weigh more.
* **UA** (unweighted accuracy): the mean of the per-class recalls, every class
  counts once (scikit-learn's balanced accuracy).

Both are plain functions and scorers, so they plug into
:func:`sklearn.model_selection.cross_validate` and
:class:`sklearn.model_selection.GridSearchCV` through :data:`SCORING`.
"""

import numpy as np
from sklearn.metrics import accuracy_score, balanced_accuracy_score, make_scorer

__all__ = [
    "SCORING",
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
