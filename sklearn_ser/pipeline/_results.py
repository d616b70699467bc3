"""The results of :func:`~sklearn_ser.evaluate_sessions`: per fold and summed."""

import numpy as np
from sklearn.metrics import confusion_matrix

from .._compat import check_matplotlib_support
from .._json import plain
from ..metrics import (
    DIMENSIONS,
    concordance_correlation_coefficient,
    unweighted_accuracy,
    weighted_accuracy,
)


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
    best_epochs : list of int or None
        The epoch whose weights each fold's network kept (its
        ``best_epoch_``); None for a fold whose estimator has none (e.g. the
        functionals baseline).
    estimators : list of estimator
        The estimator fitted in each fold; only with
        ``evaluate_sessions(..., return_estimator=True)``.
    splits : list of (ndarray, ndarray)
        Train and test indices of each fold; only with
        ``evaluate_sessions(..., return_estimator=True)``.
    """

    def __init__(self, *, y_true, y_pred, fold, test_groups, labels,
                 best_epochs=None):
        self.y_true = np.asarray(y_true)
        self.y_pred = np.asarray(y_pred)
        self.fold = np.asarray(fold)
        self.test_groups = list(test_groups)
        self.labels = np.asarray(labels)
        n_splits = len(self.test_groups)
        self.best_epochs = _best_epochs(best_epochs, n_splits)
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
                "test_groups": [plain(g) for g in self.test_groups[k]],
                "n_test": int(self.n_test[k]),
                "best_epoch": self.best_epochs[k],
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
            "labels": [plain(v) for v in self.labels],
            "confusion_matrix": self.confusion_matrix.tolist(),
        }

    def __str__(self):
        lines = [f"{'fold':>4}  {'test groups':<14}{'n':>6}{'WA':>8}{'UA':>8}"]
        for k in range(self.n_splits):
            groups = ",".join(str(plain(g)) for g in self.test_groups[k])
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
                              values_format=None, colorbar=True, title="auto"):
        """Plot the summed confusion matrix.

        Parameters
        ----------
        normalize : {"true", "pred", "all"} or None, default="true"
            Normalisation of the counts; ``"true"`` divides each row by the
            number of samples of its true class, as in the paper's figures.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure (with constrained layout, so that
            the title and the labels stay inside a saved image) is created
            if None.
        cmap : str or matplotlib Colormap, default="Blues"
            Colormap.
        values_format : str, default=None
            Format of the cell values (``".2f"`` when normalised, ``"d"``
            otherwise).
        colorbar : bool, default=True
            Whether to add a colorbar.
        title : str or None, default="auto"
            Title of the axes. ``"auto"``: the mean WA and UA over the folds,
            the number of test samples and what the cells are, e.g.
            ``"WA 0.612  UA 0.587  n = 400 (5 folds)"`` over ``"rows
            normalised per true class"``. A string may carry the fields
            ``{wa}``, ``{ua}``, ``{wa_std}``, ``{ua_std}``, ``{n}``,
            ``{n_splits}`` and ``{cells}`` (that description of the cells),
            e.g. ``"lstm: UA {ua:.3f}, {cells}"``; ``None`` sets no title.

        Returns
        -------
        display : sklearn.metrics.ConfusionMatrixDisplay
            The display, with ``ax_`` and ``figure_``.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.linear_model import LogisticRegression
        >>> from sklearn_ser import evaluate_sessions
        >>> X = np.r_[np.zeros((10, 1)), np.ones((10, 1))]
        >>> y = np.repeat(["neu", "ang"], 10)
        >>> groups = np.tile([1, 2], 10)
        >>> result = evaluate_sessions(LogisticRegression(), X, y, groups,
        ...                            n_splits=2)
        >>> display = result.plot_confusion_matrix()
        >>> print(display.ax_.get_title())
        WA 1.000  UA 1.000  n = 20 (2 folds)
        rows normalised per true class
        """
        from sklearn.metrics import ConfusionMatrixDisplay
        if title is not None and not isinstance(title, str):
            raise TypeError(
                f"title must be a str or None, got {type(title).__name__}."
            )

        if normalize not in ("true", "pred", "all", None):
            raise ValueError(
                f"normalize must be 'true', 'pred', 'all' or None, got {normalize!r}."
            )
        if values_format is None:
            values_format = ".2f" if normalize is not None else "d"
        if title is not None:
            title = self._title(title, normalize)
        if ax is None:
            check_matplotlib_support("SessionEvaluation.plot_confusion_matrix")
            import matplotlib.pyplot as plt

            _, ax = plt.subplots(layout="constrained")
        with np.errstate(invalid="ignore", divide="ignore"):
            display = ConfusionMatrixDisplay.from_predictions(
                self.y_true, self.y_pred, labels=self.labels,
                display_labels=self.labels, normalize=normalize, ax=ax, cmap=cmap,
                values_format=values_format, colorbar=colorbar)
        if title is not None:
            display.ax_.set_title(title, fontsize=9)
        return display

    def _title(self, title, normalize):
        """The title of :meth:`plot_confusion_matrix`, its fields filled in."""
        cells = {
            "true": "rows normalised per true class",
            "pred": "columns normalised per predicted class",
            "all": "normalised over all the samples",
            None: "counts",
        }[normalize]
        fields = dict(wa=self.wa_mean, ua=self.ua_mean, wa_std=self.wa_std,
                      ua_std=self.ua_std, n=int(self.n_test.sum()),
                      n_splits=self.n_splits, cells=cells)
        if title == "auto":
            return ("WA {wa:.3f}  UA {ua:.3f}  n = {n} ({n_splits} folds)\n"
                    "{cells}").format(**fields)
        try:
            return title.format(**fields)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(
                f"title {title!r} cannot be filled in ({exc!r}); its fields can "
                f"be {sorted(fields)} (write {{{{ and }}}} for a literal brace)."
            ) from None


class RegressionEvaluation:
    """Result of :func:`evaluate_sessions` for a regressor (emotion dimensions).

    Attributes
    ----------
    ccc : ndarray of shape (n_splits, n_targets)
        Concordance correlation coefficient of each target in each fold.
    ccc_mean, ccc_std : ndarray of shape (n_targets,)
        Mean and standard deviation of each target's CCC over the folds.
    target_names : ndarray of shape (n_targets,)
        Names of the targets (the columns of ``y``).
    test_groups : list of ndarray
        Groups (sessions) held out in each fold.
    n_test : ndarray of shape (n_splits,)
        Number of test samples of each fold.
    y_true, y_pred : ndarray of shape (n_samples, n_targets)
        Targets and out-of-fold predictions of every sample.
    fold : ndarray of shape (n_samples,)
        Index of the fold in which each sample was tested.
    best_epochs : list of int or None
        As in :class:`SessionEvaluation`.
    estimators, splits : list
        As in :class:`SessionEvaluation`, with ``return_estimator=True``.
    """

    def __init__(self, *, y_true, y_pred, fold, test_groups, target_names,
                 best_epochs=None):
        self.y_true = np.asarray(y_true, dtype=np.float64).reshape(len(fold), -1)
        self.y_pred = np.asarray(y_pred, dtype=np.float64).reshape(self.y_true.shape)
        self.fold = np.asarray(fold)
        self.test_groups = list(test_groups)
        self.target_names = np.asarray(target_names)
        n_splits = len(self.test_groups)
        self.best_epochs = _best_epochs(best_epochs, n_splits)
        self.ccc = np.array([
            concordance_correlation_coefficient(
                self.y_true[self.fold == k], self.y_pred[self.fold == k],
                multioutput="raw_values")
            for k in range(n_splits)
        ])
        self.n_test = np.array([int((self.fold == k).sum()) for k in range(n_splits)])

    @property
    def ccc_mean(self):
        return self.ccc.mean(axis=0)

    @property
    def ccc_std(self):
        return self.ccc.std(axis=0)

    @property
    def n_splits(self):
        return len(self.ccc)

    def to_dict(self):
        """Per-fold CCC and summaries as plain Python types (JSON-ready).

        Returns
        -------
        result : dict
            Keys ``folds`` (list of per-fold dicts with ``ccc`` per target),
            ``target_names``, ``ccc_mean`` and ``ccc_std`` (per target).
        """
        names = [str(n) for n in self.target_names]
        folds = [
            {
                "fold": k,
                "test_groups": [plain(g) for g in self.test_groups[k]],
                "n_test": int(self.n_test[k]),
                "best_epoch": self.best_epochs[k],
                "ccc": dict(zip(names, map(float, self.ccc[k]), strict=True)),
            }
            for k in range(self.n_splits)
        ]
        return {
            "folds": folds,
            "target_names": names,
            "ccc_mean": dict(zip(names, map(float, self.ccc_mean), strict=True)),
            "ccc_std": dict(zip(names, map(float, self.ccc_std), strict=True)),
        }

    def __str__(self):
        names = [str(n)[:10] for n in self.target_names]
        head = "".join(f"{n:>11}" for n in names)
        lines = [f"{'fold':>4}  {'test groups':<14}{'n':>6}{head}   (CCC)"]
        for k in range(self.n_splits):
            groups = ",".join(str(plain(g)) for g in self.test_groups[k])
            values = "".join(f"{v:>11.3f}" for v in self.ccc[k])
            lines.append(f"{k:>4}  {groups:<14}{self.n_test[k]:>6}{values}")
        lines.append(f"{'mean':>4}  {'':<14}{int(self.n_test.sum()):>6}"
                     + "".join(f"{v:>11.3f}" for v in self.ccc_mean))
        lines.append(f"{'std':>4}  {'':<14}{'':>6}"
                     + "".join(f"{v:>11.3f}" for v in self.ccc_std))
        return "\n".join(lines)

    def __repr__(self):
        means = ", ".join(f"{n}={v:.3f}" for n, v in
                          zip(self.target_names, self.ccc_mean, strict=True))
        return f"RegressionEvaluation(n_splits={self.n_splits}, ccc_mean: {means})"


def dimension_names(target_names, n_targets):
    if target_names is None:
        if n_targets == len(DIMENSIONS):
            return np.array(DIMENSIONS)
        return np.array([f"target {j}" for j in range(n_targets)])
    names = np.asarray(target_names).astype(str)
    if names.ndim != 1 or names.size != n_targets:
        raise ValueError(
            f"target_names has {names.size} name(s) but y has {n_targets} target "
            "column(s); give one name per column."
        )
    return names


def _best_epochs(best_epochs, n_splits):
    if best_epochs is None:
        return [None] * n_splits
    best_epochs = list(best_epochs)
    if len(best_epochs) != n_splits:
        raise ValueError(f"best_epochs has {len(best_epochs)} entries for "
                         f"{n_splits} folds.")
    return best_epochs
