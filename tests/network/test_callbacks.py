"""Tests of sklearn_ser.network._callbacks: best-epoch selection and the cosine schedule."""

import copy
import os

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback, EarlyStopping, LRScheduler

from sklearn_ser import SERClassifier, SERRegressor
from sklearn_ser.network._callbacks import BestEpoch, CosineSchedule

from .._common import SMALL_NET, toy_3d


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


# ---------------------------------------------------------------------------
# skorch's callbacks give what the library's own copies of them gave
# ---------------------------------------------------------------------------


class _PreviousBestEpoch(Callback):
    """The in-memory best-epoch callback the library had before it used skorch's."""

    def __init__(self, monitor, patience=None):
        self.monitor = monitor
        self.patience = patience

    def on_train_begin(self, net, **kwargs):
        self.best_score_ = -np.inf
        self.best_epoch_ = None
        self.misses_ = 0
        self._best_state = None

    def on_epoch_end(self, net, **kwargs):
        if self.monitor not in net.history[-1]:
            return
        score = net.history[-1, self.monitor]
        if score > self.best_score_:
            self.best_score_ = score
            self.best_epoch_ = net.history[-1, "epoch"]
            self.misses_ = 0
            self._best_state = copy.deepcopy(net.module_.state_dict())
            return
        self.misses_ += 1
        if self.patience is not None and self.misses_ >= self.patience:
            raise KeyboardInterrupt

    def on_train_end(self, net, **kwargs):
        if self._best_state is not None:
            net.module_.load_state_dict(self._best_state)
        self._best_state = None


class _PreviousCosineSchedule(Callback):
    """The cosine schedule the library had before it used skorch's LRScheduler."""

    def on_train_begin(self, net, **kwargs):
        self._epoch = 0
        for group in net.optimizer_.param_groups:
            group.setdefault("initial_lr", group["lr"])

    def on_epoch_begin(self, net, **kwargs):
        factor = 0.5 * (1.0 + np.cos(np.pi * self._epoch / net.max_epochs))
        for group in net.optimizer_.param_groups:
            group["lr"] = group["initial_lr"] * factor
        self._epoch += 1


def _assert_same_weights(a, b):
    for (key, x), y in zip(a.module_.state_dict().items(),
                           b.module_.state_dict().values(), strict=True):
        assert torch.equal(x, y), key


@pytest.mark.parametrize("estimator, monitor, patience", [
    (SERClassifier, "valid_wa_ua", None),
    (SERClassifier, "valid_wa_ua", 3),
    (SERRegressor, "valid_ccc", None),
])
def test_best_epoch_and_weights_are_those_of_the_previous_callback(
        estimator, monitor, patience):
    # Seed 5: the classifier's best score comes back in later epochs (a tie
    # keeps the first), the regressor's best epoch is the 8th of 12.
    X, y = toy_3d(n=60, seed=5)
    if estimator is SERRegressor:
        y = np.nan_to_num(X[:, :3, 0]).mean(axis=1)
    params = {**SMALL_NET, "lr": 0.05, "max_epochs": 12, "validation_fraction": 0.3}
    new = estimator(**params, patience=patience).fit(X, y)
    previous = _PreviousBestEpoch(monitor, patience=patience)
    old = estimator(**params, callbacks__best_epoch=previous).fit(X, y)
    scores = new.history_[:, monitor]
    assert scores == old.history_[:, monitor]
    assert new.best_epoch_ == previous.best_epoch_
    assert 1 < new.best_epoch_ < len(scores), "the best epoch must be a middle one"
    if patience is not None:
        assert len(scores) < params["max_epochs"]  # stopped at the same epoch
    _assert_same_weights(new, old)
    np.testing.assert_array_equal(new.predict(X), old.predict(X))
    assert dict(new.callbacks_)["best_epoch"].best_model_weights_ is None  # released


def test_cosine_schedule_trains_as_the_previous_schedule():
    X, y = toy_3d(n=48)
    params = dict(SMALL_NET, max_epochs=7, lr=0.02, validation_fraction=None)
    new = SERClassifier(lr_schedule="cosine", **params).fit(X, y)
    old = SERClassifier(callbacks=[("cosine", _PreviousCosineSchedule())],
                        **params).fit(X, y)
    _assert_same_weights(new, old)
    assert new.history_[:, "train_loss"] == old.history_[:, "train_loss"]
    new.partial_fit(X, y)
    old.partial_fit(X, y)
    _assert_same_weights(new, old)
    expected = [0.02 * 0.5 * (1.0 + np.cos(np.pi * k / 7)) for k in range(7)]
    assert new.history_[-7:, "event_lr"] == expected  # the closed form, exactly


def test_the_callbacks_are_skorchs():
    clf = SERClassifier(**SMALL_NET, lr_schedule="cosine").initialize_callbacks()
    callbacks = dict(clf.callbacks_)
    assert isinstance(callbacks["best_epoch"], EarlyStopping)
    assert callbacks["best_epoch"].load_best
    assert isinstance(callbacks["lr_schedule"], LRScheduler)
    assert type(callbacks["best_epoch"]) is BestEpoch
    assert type(callbacks["lr_schedule"]) is CosineSchedule


def test_best_epoch_is_that_of_a_user_early_stopping_with_load_best():
    X, y = toy_3d(n=60, seed=3)
    stop = EarlyStopping(monitor="valid_loss", patience=50, load_best=True)
    clf = SERClassifier(**{**SMALL_NET, "lr": 0.05, "max_epochs": 8,
                           "validation_fraction": 0.3,
                           "callbacks": [("stop", stop)]}).fit(X, y)
    losses = clf.history_[:, "valid_loss"]
    assert clf.best_epoch_ == stop.best_epoch_ == int(np.argmin(losses)) + 1
