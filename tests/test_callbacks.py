"""Tests of sklearn_ser._callbacks: best-epoch selection and the cosine schedule."""

import os

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback

from sklearn_ser import SERClassifier

from ._common import SMALL_NET, toy_3d


class _RecordWeights(Callback):
    def on_train_begin(self, net, **kwargs):
        self.states = []

    def on_epoch_end(self, net, **kwargs):
        self.states.append({k: v.clone() for k, v in net.module_.state_dict().items()})


def test_best_epoch_weights_are_restored_in_memory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    X, y = toy_3d(n=60, seed=3)
    recorder = _RecordWeights()
    clf = SERClassifier(**{**SMALL_NET, "lr": 0.05, "max_epochs": 8,
                           "validation_fraction": 0.3, "callbacks": [recorder]})
    clf.fit(X, y)
    scores = clf.history_[:, "valid_wa_ua"]
    best = int(np.argmax(scores)) + 1
    assert clf.best_epoch_ == best
    assert best < 8, "this configuration must have its best epoch before the last"
    state = clf.module_.state_dict()
    for key, value in recorder.states[best - 1].items():
        assert torch.equal(state[key], value), key
    assert not torch.equal(state["output.weight"], recorder.states[-1]["output.weight"])
    assert os.listdir(tmp_path) == []  # no checkpoint files


def test_patience_stops_training():
    X, y = toy_3d(n=60, seed=3)
    clf = SERClassifier(**{**SMALL_NET, "lr": 0.05, "max_epochs": 30,
                           "validation_fraction": 0.3, "patience": 2}).fit(X, y)
    scores = clf.history_[:, "valid_wa_ua"]
    assert len(scores) < 30
    assert max(scores[-2:]) <= max(scores[:-2])
    assert clf.best_epoch_ == int(np.argmax(scores)) + 1


def test_no_validation_keeps_last_epoch():
    X, y = toy_3d()
    for fraction in (None, 0, 0.0):
        clf = SERClassifier(**{**SMALL_NET, "validation_fraction": fraction}).fit(X, y)
        assert clf.validation_indices_.size == 0
        assert clf.best_epoch_ == SMALL_NET["max_epochs"] == len(clf.history_)
        assert "valid_wa_ua" not in clf.history_[-1]
        counts = np.bincount((y == "sad").astype(int))
        np.testing.assert_allclose(clf.class_weight_, len(y) / (2 * counts))


class _RecordLR(Callback):
    def on_epoch_begin(self, net, **kwargs):
        net.history.record("lr", net.optimizer_.param_groups[0]["lr"])


def test_cosine_schedule_is_torch_cosine_annealing_per_fit_call():
    X, y = toy_3d()
    params = dict(SMALL_NET, max_epochs=6, lr=0.02, callbacks=[("rec", _RecordLR())])
    clf = SERClassifier(lr_schedule="cosine", **params).fit(X, y)
    optimizer = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=0.02)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=6)
    expected = []
    for _ in range(6):
        expected.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    np.testing.assert_allclose(clf.history[:, "lr"], expected, rtol=1e-12)
    clf.partial_fit(X, y)  # a new call starts again from lr
    np.testing.assert_allclose(clf.history[-6:, "lr"], expected, rtol=1e-12)
    constant = SERClassifier(**params).fit(X, y)
    np.testing.assert_array_equal(constant.history[:, "lr"], 0.02)
    with pytest.raises(ValueError, match="lr_schedule"):
        SERClassifier(lr_schedule="linear", **SMALL_NET).fit(X, y)


def test_patience_set_after_fit_applies_to_partial_fit():
    X, y = toy_3d(n=60, seed=3)
    clf = SERClassifier(**{**SMALL_NET, "lr": 0.05, "max_epochs": 30,
                           "validation_fraction": 0.3}).fit(X, y)
    assert len(clf.history_) == 30
    clf.set_params(patience=1).partial_fit(X, y)
    assert len(clf.history_) < 60
    assert dict(clf.callbacks_)["best_epoch"].patience == 1
