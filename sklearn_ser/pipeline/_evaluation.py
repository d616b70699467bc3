"""Leave-one-session-out evaluation: WA/UA and confusion matrices, or CCC."""

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone, is_regressor
from sklearn.metrics import confusion_matrix
from sklearn.model_selection import GroupKFold
from sklearn.utils import check_consistent_length

from .._compat import _check_method_params, _safe_indexing, check_matplotlib_support
from .._json import plain
from .._validation import AUDIO_COLUMNS, SPEAKER_COLUMN, check_one_type, is_dataframe
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


def with_speakers(X, speakers):
    """``X`` and ``speakers`` as the DataFrame that speaker normalisation takes.

    Parameters
    ----------
    X : sequence of length n_samples
        Audio paths or waveforms.
    speakers : array-like of shape (n_samples,)
        Speaker of each sample.

    Returns
    -------
    frame : pandas.DataFrame
        Columns ``"audio"`` (the items of ``X``) and ``"speaker"``.
    """
    import pandas as pd

    if is_dataframe(X):
        raise ValueError(
            "X is already a DataFrame; put the speakers in its 'speaker' column "
            "instead of passing speakers=..."
        )
    if isinstance(speakers, (str, bytes)) or not hasattr(speakers, "__len__"):
        raise TypeError(
            f"speakers must be a sequence with one speaker per sample, got "
            f"{type(speakers).__name__}."
        )
    items = list(X)
    check_one_type(speakers, "speakers")
    speakers = list(speakers)
    if len(speakers) != len(items):
        raise ValueError(
            f"speakers has {len(speakers)} entries but X has {len(items)} samples; "
            "give one speaker per sample."
        )
    audio = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        audio[i] = item
    speaker = np.empty(len(items), dtype=object)
    speaker[:] = speakers
    return pd.DataFrame({AUDIO_COLUMNS[0]: audio, SPEAKER_COLUMN: speaker})


def evaluate_sessions(estimator, X, y, groups, *, speakers=None, n_splits=5,
                      labels=None, target_names=None, params=None, n_jobs=None,
                      verbose=0, return_estimator=False):
    """Leave-one-session-out evaluation with WA, UA and confusion matrices.

    For a regressor (e.g. ``make_ser_pipeline(task="regression")`` on
    emotion dimensions), the result holds the concordance correlation
    coefficient (CCC) of each target per fold instead
    (:class:`RegressionEvaluation`).

    Splits the data with :class:`~sklearn.model_selection.GroupKFold` on
    ``groups`` (the recording sessions; with 5 sessions and ``n_splits=5``,
    every fold tests one session that the model never saw), fits a clone of
    ``estimator`` on each training part, and scores the out-of-fold
    predictions fold by fold (the predictions of
    :func:`~sklearn.model_selection.cross_val_predict` on the same folds).

    Parameters
    ----------
    estimator : estimator object
        Unfitted estimator or pipeline (e.g. :func:`make_ser_pipeline`).
    X : array-like or list of length n_samples
        Audio paths, waveforms or features, whatever ``estimator`` takes.
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Emotion labels, or emotion dimensions for a regressor.
    groups : array-like of shape (n_samples,)
        Session (or speaker) of each sample; no group is split between the
        training and test parts of a fold.
    speakers : array-like of shape (n_samples,), default=None
        Speaker of each sample, for pipelines with speaker normalisation
        (``normalization="speaker"``). The speakers travel with the audio:
        ``X`` becomes a pandas DataFrame with an ``"audio"`` and a
        ``"speaker"`` column, which is also how to call
        :func:`~sklearn.model_selection.cross_validate` or
        :class:`~sklearn.model_selection.GridSearchCV` with such a pipeline.
        No label is used to normalise: each test speaker is standardised
        with the statistics of its own test utterances.
    n_splits : int, default=5
        Number of folds; at most the number of distinct groups.
    labels : array-like, default=None
        Order of the labels in the confusion matrices; sorted unique ``y``
        by default. Classifiers only.
    target_names : sequence of str, default=None
        Names of the columns of ``y`` for a regressor; None names three
        columns valence, arousal and dominance (the order of IEMOCAP's
        annotations and of ``load_iemocap(..., target="dimensions")``),
        other counts ``"target 0"``, ``"target 1"``, ...
    params : dict, default=None
        Fit parameters passed to ``estimator.fit`` (array-like values of
        length ``n_samples`` are sliced to each training part), e.g.
        ``{"classifier__groups": speakers}`` to draw the classifier's
        validation split by speaker.
    n_jobs : int, default=None
        Folds fitted in parallel (joblib).
    verbose : int, default=0
        Verbosity of the joblib loop over the folds.
    return_estimator : bool, default=False
        Keep the estimator fitted in each fold, as ``result.estimators``
        (e.g. to look at the attention of the model that never saw a
        session).

    Returns
    -------
    result : SessionEvaluation or RegressionEvaluation
        Per-fold ``wa`` and ``ua``, ``wa_mean``, ``ua_mean``, ``wa_std``,
        ``ua_std``, ``confusion_matrices``, ``confusion_matrix`` and
        ``labels``; for a regressor per-fold ``ccc`` of each target,
        ``ccc_mean``, ``ccc_std`` and ``target_names``. ``print(result)``
        shows a table. With ``return_estimator=True``, also ``estimators``
        (one per fold) and ``splits`` (the train and test indices of each
        fold).

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
    check_one_type(y, "y")  # before a list of mixed numbers becomes floats
    y = np.asarray(y)
    if groups is None:
        raise ValueError(
            "groups is None: evaluate_sessions needs the session (or the "
            "speaker) of each utterance to hold out unseen ones; for an own "
            "corpus, give load_csv a session_column or a speaker_column."
        )
    check_one_type(groups, "groups")
    groups = np.asarray(groups)
    if speakers is not None:
        X = with_speakers(X, speakers)
    check_consistent_length(X, y, groups)
    n_groups = len(np.unique(groups))
    if isinstance(n_splits, bool) or not isinstance(n_splits, (int, np.integer)):
        raise TypeError(f"n_splits must be an int, got {n_splits!r}.")
    if n_splits < 2 or n_splits > n_groups:
        raise ValueError(
            f"n_splits={n_splits} must be between 2 and the number of distinct "
            f"groups ({n_groups})."
        )
    regression = is_regressor(estimator)
    if regression:
        names = dimension_names(target_names, 1 if y.ndim == 1 else y.shape[1])
    elif labels is None:
        labels = np.unique(y)
    cv = GroupKFold(n_splits=n_splits)
    splits = list(cv.split(np.zeros(len(y)), y, groups))
    fitted = Parallel(n_jobs=n_jobs, verbose=verbose)(
        delayed(_fit_and_predict)(clone(estimator), X, y, train, test, params,
                                  return_estimator)
        for train, test in splits
    )
    y_pred = None
    fold = np.empty(len(y), dtype=int)
    test_groups = []
    for k, ((_, test), (pred, _, _)) in enumerate(zip(splits, fitted,
                                                      strict=True)):
        if y_pred is None:
            pred = np.asarray(pred)
            y_pred = np.empty((len(y),) + pred.shape[1:], dtype=pred.dtype)
        y_pred[test] = pred
        fold[test] = k
        test_groups.append(np.unique(groups[test]))
    best_epochs = [epoch for _, _, epoch in fitted]
    if regression:
        result = RegressionEvaluation(y_true=y, y_pred=y_pred, fold=fold,
                                      test_groups=test_groups, target_names=names,
                                      best_epochs=best_epochs)
    else:
        result = SessionEvaluation(y_true=y, y_pred=y_pred, fold=fold,
                                   test_groups=test_groups, labels=labels,
                                   best_epochs=best_epochs)
    if return_estimator:
        result.estimators = [est for _, est, _ in fitted]
        result.splits = splits
    return result


def _fit_and_predict(estimator, X, y, train, test, params, return_estimator):
    """Fit on one fold's training part; predictions of its test part."""
    fit_params = _check_method_params(X, params=params or {}, indices=train)
    estimator.fit(_safe_indexing(X, train), y[train], **fit_params)
    pred = estimator.predict(_safe_indexing(X, test))
    return pred, (estimator if return_estimator else None), kept_epoch(estimator)


def kept_epoch(estimator):
    """The ``best_epoch_`` of a fitted network (the last step of a pipeline), or None."""
    last = estimator.steps[-1][1] if hasattr(estimator, "steps") else estimator
    epoch = getattr(last, "best_epoch_", None)
    return None if epoch is None else int(epoch)


def _best_epochs(best_epochs, n_splits):
    if best_epochs is None:
        return [None] * n_splits
    best_epochs = list(best_epochs)
    if len(best_epochs) != n_splits:
        raise ValueError(f"best_epochs has {len(best_epochs)} entries for "
                         f"{n_splits} folds.")
    return best_epochs
