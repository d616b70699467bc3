"""The paper's (optimistic) epoch selection on the test fold, for comparison.

The paper keeps, for each fold, the epoch with the best WA + UA *on the test
session it then reports*. The choice is made with the test labels, so the
reported numbers are optimistic. The library never does this by default;
this module reproduces it, clearly labelled, so that both numbers can be
reported side by side (``sklearn-ser evaluate --paper-selection``).
"""

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import GroupKFold

from .._compat import _safe_indexing
from ..metrics import wa_ua_score
from ..network._callbacks import BestEpoch
from ._evaluation import SessionEvaluation, kept_epoch, with_speakers


class TestFoldSelection(BestEpoch):
    """Keep the epoch with the best WA + UA on a given (test) set.

    Records the score as ``test_wa_ua`` in the history at the end of each
    epoch and keeps the weights of the best epoch in memory, as the
    classifier's own selection does on its validation split; the
    classifier's ``best_epoch_`` is then the epoch this callback kept.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_frames, n_features)
        Transformed features of the test fold.
    y : array-like of shape (n_samples,)
        Labels of the test fold.
    """

    def __init__(self, X, y):
        super().__init__(monitor="test_wa_ua")
        self.X = X
        self.y = y

    def on_epoch_end(self, net, **kwargs):
        score = wa_ua_score(np.asarray(self.y), net.predict(self.X))
        net.history.record("test_wa_ua", score)
        super().on_epoch_end(net, **kwargs)


def paper_selection_evaluation(pipeline, X, y, groups, *, speakers=None, n_splits=5):
    """Leave-one-session-out evaluation with the paper's test-fold epoch selection.

    For each fold, the feature steps of ``pipeline`` are fitted on the
    training sessions, the classifier is trained without a validation split,
    and the weights of the epoch with the best WA + UA **on the test
    session** are kept. The resulting scores are optimistic by construction;
    use them only to compare with the paper, beside the honest scores of
    :func:`~sklearn_ser.evaluate_sessions`.

    Parameters
    ----------
    pipeline : sklearn.pipeline.Pipeline
        Unfitted pipeline whose last step is an
        :class:`~sklearn_ser.SERClassifier`.
    X : list of length n_samples
        Audio paths or waveforms.
    y : array-like of shape (n_samples,)
        Labels.
    groups : array-like of shape (n_samples,)
        Sessions.
    speakers : array-like of shape (n_samples,), default=None
        Speakers, for pipelines with speaker normalisation (as in
        :func:`~sklearn_ser.evaluate_sessions`).
    n_splits : int, default=5
        Number of folds.

    Returns
    -------
    result : SessionEvaluation
        Per-fold scores with the test-fold selection.
    """
    y = np.asarray(y)
    groups = np.asarray(groups)
    X = with_speakers(X, speakers) if speakers is not None else list(X)
    splits = list(GroupKFold(n_splits=n_splits).split(np.zeros(len(y)), y, groups))
    y_pred = np.empty(len(y), dtype=y.dtype)
    fold = np.empty(len(y), dtype=int)
    test_groups, best_epochs = [], []
    for k, (train, test) in enumerate(splits):
        pipe = clone(pipeline)
        features = pipe[:-1]
        X_train = features.fit_transform(_safe_indexing(X, train), y[train])
        X_test = features.transform(_safe_indexing(X, test))
        clf = pipe.steps[-1][1]
        callbacks = list(clf.callbacks or [])
        callbacks.append(("test_fold_selection", TestFoldSelection(X_test, y[test])))
        clf.set_params(validation_fraction=None, callbacks=callbacks)
        clf.fit(X_train, y[train])
        best_epochs.append(kept_epoch(clf))  # the epoch of the test-fold selection
        y_pred[test] = clf.predict(X_test)
        fold[test] = k
        test_groups.append(np.unique(groups[test]))
    return SessionEvaluation(y_true=y, y_pred=y_pred, fold=fold,
                             test_groups=test_groups, labels=np.unique(y),
                             best_epochs=best_epochs)
