"""Tests of sklearn_ser.pipeline._reproduction: the paper's epoch selection on the test fold."""

import numpy as np
import torch
from skorch.callbacks import Callback

from sklearn_ser import SERClassifier
from sklearn_ser.metrics import wa_ua_score
from sklearn_ser.pipeline import _reproduction

from .._common import SMALL_NET, toy_3d


class _RecordWeights(Callback):
    def on_train_begin(self, net, **kwargs):
        self.states = []

    def on_epoch_end(self, net, **kwargs):
        self.states.append({k: v.clone() for k, v in net.module_.state_dict().items()})


def test_test_fold_selection_keeps_the_best_epoch_on_the_test_set():
    X, y = toy_3d(n=60, seed=3)
    X_test, y_test = toy_3d(n=40, seed=4)
    recorder = _RecordWeights()
    selection = _reproduction.TestFoldSelection(X_test, y_test)
    clf = SERClassifier(**{**SMALL_NET, "lr": 0.05, "max_epochs": 8,
                           "validation_fraction": None,
                           "callbacks": [selection, recorder]}).fit(X, y)
    scores = clf.history_[:, "test_wa_ua"]
    assert len(scores) == 8  # no early stop
    best = int(np.argmax(scores)) + 1
    assert selection.best_epoch_ == best
    assert clf.best_epoch_ == best  # the classifier reports the epoch it holds
    state = clf.module_.state_dict()
    for key, value in recorder.states[best - 1].items():
        assert torch.equal(state[key], value), key
    assert wa_ua_score(y_test, clf.predict(X_test)) == max(scores)
