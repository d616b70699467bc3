"""Leave-one-session-out evaluation: WA/UA and confusion matrices, or CCC.

The results are the objects of :mod:`._results`.
"""

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone, is_regressor
from sklearn.model_selection import GroupKFold
from sklearn.utils import check_consistent_length

from .._compat import _check_method_params, _safe_indexing
from .._validation import AUDIO_COLUMNS, SPEAKER_COLUMN, check_one_type, is_dataframe
from ._results import RegressionEvaluation, SessionEvaluation, dimension_names


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
