"""Leave-one-session-out evaluation with WA/UA and confusion matrices."""

import numpy as np
from sklearn.metrics import confusion_matrix
from sklearn.model_selection import GroupKFold, cross_val_predict
from sklearn.utils import check_consistent_length

from .metrics import unweighted_accuracy, weighted_accuracy


class SessionEvaluation:
    """Result of :func:`evaluate_sessions`.

    Attributes
    ----------
    wa : ndarray of shape (n_splits,)
        Weighted accuracy (overall accuracy) of each fold.
    ua : ndarray of shape (n_splits,)
        Unweighted accuracy (mean per-class recall) of each fold.
    wa_mean, ua_mean, wa_std, ua_std : float
        Mean and standard deviation over the folds.
    confusion_matrices : ndarray of shape (n_splits, n_labels, n_labels)
        Confusion matrix of each fold (rows: true labels, columns: predicted).
    confusion_matrix : ndarray of shape (n_labels, n_labels)
        Sum of the per-fold confusion matrices.
    labels : ndarray of shape (n_labels,)
        Row/column order of the confusion matrices.
    test_groups : list of ndarray
        Groups (sessions) held out in each fold.
    n_test : ndarray of shape (n_splits,)
        Number of test samples of each fold.
    y_true, y_pred : ndarray of shape (n_samples,)
        Labels and out-of-fold predictions of every sample.
    fold : ndarray of shape (n_samples,)
        Index of the fold in which each sample was tested.
    """

    def __init__(self, *, y_true, y_pred, fold, test_groups, labels):
        self.y_true = np.asarray(y_true)
        self.y_pred = np.asarray(y_pred)
        self.fold = np.asarray(fold)
        self.test_groups = list(test_groups)
        self.labels = np.asarray(labels)
        n_splits = len(self.test_groups)
        wa, ua, cms, n_test = [], [], [], []
        for k in range(n_splits):
            mask = self.fold == k
            yt, yp = self.y_true[mask], self.y_pred[mask]
            wa.append(weighted_accuracy(yt, yp))
            ua.append(unweighted_accuracy(yt, yp))
            cms.append(confusion_matrix(yt, yp, labels=self.labels))
            n_test.append(int(mask.sum()))
        self.wa = np.asarray(wa)
        self.ua = np.asarray(ua)
        self.confusion_matrices = np.asarray(cms)
        self.confusion_matrix = self.confusion_matrices.sum(axis=0)
        self.n_test = np.asarray(n_test)

    @property
    def wa_mean(self):
        return float(self.wa.mean())

    @property
    def ua_mean(self):
        return float(self.ua.mean())

    @property
    def wa_std(self):
        return float(self.wa.std())

    @property
    def ua_std(self):
        return float(self.ua.std())

    @property
    def n_splits(self):
        return len(self.wa)

    def to_dict(self):
        """Per-fold results and summaries as plain Python types (JSON-ready).

        Returns
        -------
        result : dict
            Keys ``folds`` (list of per-fold dicts), ``wa_mean``, ``wa_std``,
            ``ua_mean``, ``ua_std``, ``labels`` and ``confusion_matrix``.
        """
        folds = [
            {
                "fold": k,
                "test_groups": [_plain(g) for g in self.test_groups[k]],
                "n_test": int(self.n_test[k]),
                "wa": float(self.wa[k]),
                "ua": float(self.ua[k]),
                "confusion_matrix": self.confusion_matrices[k].tolist(),
            }
            for k in range(self.n_splits)
        ]
        return {
            "folds": folds,
            "wa_mean": self.wa_mean,
            "wa_std": self.wa_std,
            "ua_mean": self.ua_mean,
            "ua_std": self.ua_std,
            "labels": [_plain(v) for v in self.labels],
            "confusion_matrix": self.confusion_matrix.tolist(),
        }

    def __str__(self):
        lines = [f"{'fold':>4}  {'test groups':<14}{'n':>6}{'WA':>8}{'UA':>8}"]
        for k in range(self.n_splits):
            groups = ",".join(str(_plain(g)) for g in self.test_groups[k])
            lines.append(
                f"{k:>4}  {groups:<14}{self.n_test[k]:>6}"
                f"{self.wa[k]:>8.3f}{self.ua[k]:>8.3f}"
            )
        lines.append(
            f"{'mean':>4}  {'':<14}{int(self.n_test.sum()):>6}"
            f"{self.wa_mean:>8.3f}{self.ua_mean:>8.3f}"
        )
        lines.append(f"{'std':>4}  {'':<14}{'':>6}{self.wa_std:>8.3f}{self.ua_std:>8.3f}")
        return "\n".join(lines)

    def __repr__(self):
        return (
            f"SessionEvaluation(n_splits={self.n_splits}, wa_mean={self.wa_mean:.3f}, "
            f"ua_mean={self.ua_mean:.3f})"
        )

    def plot_confusion_matrix(self, *, normalize="true", ax=None, cmap="Blues",
                              values_format=None, colorbar=True):
        """Plot the summed confusion matrix.

        Parameters
        ----------
        normalize : {"true", "pred", "all"} or None, default="true"
            Normalisation of the counts; ``"true"`` divides each row by the
            number of samples of its true class, as in the paper's figures.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is created if None.
        cmap : str or matplotlib Colormap, default="Blues"
            Colormap.
        values_format : str, default=None
            Format of the cell values (``".2f"`` when normalised, ``"d"``
            otherwise).
        colorbar : bool, default=True
            Whether to add a colorbar.

        Returns
        -------
        display : sklearn.metrics.ConfusionMatrixDisplay
            The display, with ``ax_`` and ``figure_``.
        """
        from sklearn.metrics import ConfusionMatrixDisplay

        cm = self.confusion_matrix.astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            if normalize == "true":
                cm = cm / cm.sum(axis=1, keepdims=True)
            elif normalize == "pred":
                cm = cm / cm.sum(axis=0, keepdims=True)
            elif normalize == "all":
                cm = cm / cm.sum()
            elif normalize is not None:
                raise ValueError(
                    "normalize must be 'true', 'pred', 'all' or None, got "
                    f"{normalize!r}."
                )
        cm = np.nan_to_num(cm) if normalize is not None else self.confusion_matrix
        if values_format is None:
            values_format = ".2f" if normalize is not None else "d"
        display = ConfusionMatrixDisplay(cm, display_labels=self.labels)
        return display.plot(ax=ax, cmap=cmap, values_format=values_format,
                            colorbar=colorbar)


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v


def evaluate_sessions(estimator, X, y, groups, *, n_splits=5, labels=None,
                      params=None, n_jobs=None, verbose=0):
    """Leave-one-session-out evaluation with WA, UA and confusion matrices.

    Splits the data with :class:`~sklearn.model_selection.GroupKFold` on
    ``groups`` (the recording sessions; with 5 sessions and ``n_splits=5``,
    every fold tests one session that the model never saw), fits a clone of
    ``estimator`` on each training part with
    :func:`~sklearn.model_selection.cross_val_predict`, and scores the
    out-of-fold predictions fold by fold.

    Parameters
    ----------
    estimator : estimator object
        Unfitted estimator or pipeline (e.g. :func:`make_ser_pipeline`).
    X : array-like or list of length n_samples
        Audio paths, waveforms or features, whatever ``estimator`` takes.
    y : array-like of shape (n_samples,)
        Emotion labels.
    groups : array-like of shape (n_samples,)
        Session (or speaker) of each sample; no group is split between the
        training and test parts of a fold.
    n_splits : int, default=5
        Number of folds; at most the number of distinct groups.
    labels : array-like, default=None
        Order of the labels in the confusion matrices; sorted unique ``y``
        by default.
    params : dict, default=None
        Fit parameters passed to ``estimator.fit`` (array-like values of
        length ``n_samples`` are sliced to each training part), e.g.
        ``{"classifier__groups": speakers}`` to draw the classifier's
        validation split by speaker.
    n_jobs : int, default=None
        Folds fitted in parallel (joblib).
    verbose : int, default=0
        Verbosity of :func:`~sklearn.model_selection.cross_val_predict`.

    Returns
    -------
    result : SessionEvaluation
        Per-fold ``wa`` and ``ua``, ``wa_mean``, ``ua_mean``, ``wa_std``,
        ``ua_std``, ``confusion_matrices``, ``confusion_matrix`` and
        ``labels``; ``print(result)`` shows a table.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_ser import evaluate_sessions
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(100, 2))
    >>> y = np.where(X[:, 0] > 0, "ang", "neu")
    >>> sessions = np.repeat([1, 2, 3, 4, 5], 20)
    >>> result = evaluate_sessions(LogisticRegression(), X, y, sessions)
    >>> result.wa.shape, bool(result.wa_mean > 0.9)
    ((5,), True)
    >>> result.confusion_matrix.sum()
    np.int64(100)
    """
    y = np.asarray(y)
    groups = np.asarray(groups)
    check_consistent_length(X, y, groups)
    n_groups = len(np.unique(groups))
    if isinstance(n_splits, bool) or not isinstance(n_splits, (int, np.integer)):
        raise TypeError(f"n_splits must be an int, got {n_splits!r}.")
    if n_splits < 2 or n_splits > n_groups:
        raise ValueError(
            f"n_splits={n_splits} must be between 2 and the number of distinct "
            f"groups ({n_groups})."
        )
    if labels is None:
        labels = np.unique(y)
    cv = GroupKFold(n_splits=n_splits)
    splits = list(cv.split(np.zeros(len(y)), y, groups))
    y_pred = cross_val_predict(
        estimator, X, y, groups=groups, cv=splits, params=params, n_jobs=n_jobs,
        verbose=verbose,
    )
    fold = np.empty(len(y), dtype=int)
    test_groups = []
    for k, (_, test) in enumerate(splits):
        fold[test] = k
        test_groups.append(np.unique(groups[test]))
    return SessionEvaluation(
        y_true=y, y_pred=y_pred, fold=fold, test_groups=test_groups, labels=labels
    )
