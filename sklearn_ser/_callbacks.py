"""Training callbacks of the networks: epoch selection and the learning rate."""

import copy
import warnings

import numpy as np
from skorch.callbacks import (
    Callback,
    EpochScoring,
    EpochTimer,
    PassthroughScoring,
    PrintLog,
)
from skorch.utils import to_numpy

from .metrics import concordance_correlation_coefficient, wa_ua_score


def valid_wa_ua(net, X, y):
    """WA + UA of the module's predictions on the validation split."""
    logits = to_numpy(net.forward(X))
    with warnings.catch_warnings():
        # A group-aware split may lack a class that the network predicts.
        warnings.filterwarnings("ignore", "y_pred contains classes not in y_true")
        return wa_ua_score(np.asarray(y), logits.argmax(axis=1))


def valid_ccc(net, X, y):
    """Mean CCC over the targets of the module's outputs on the validation split.

    The network predicts standardised targets; the CCC does not change when
    the same affine map is applied to the truth and the prediction, so it is
    the CCC of the predictions in the targets' own units.
    """
    outputs = to_numpy(net.forward(X)).astype(np.float64)
    return concordance_correlation_coefficient(np.asarray(y, dtype=np.float64),
                                               outputs.reshape(len(outputs), -1))


#: Best-epoch selection of SERClassifier: (history key, score, label).
WA_UA_SELECTION = ("valid_wa_ua", valid_wa_ua, "validation WA + UA")
#: Best-epoch selection of SERRegressor.
CCC_SELECTION = ("valid_ccc", valid_ccc, "validation CCC")


class BestEpoch(Callback):
    """Keep the weights of the epoch with the best score in memory.

    At the end of each epoch that recorded ``monitor`` in the history, the
    weights are copied if the score is the best so far (higher is better);
    when training ends, the best weights are restored. Epochs without the
    score (e.g. no validation data) are ignored. No checkpoint file is
    written, so parallel fits cannot clash.

    Parameters
    ----------
    monitor : str
        Name of the score in the history.
    patience : int or None, default=None
        Stop training after this many epochs without improvement; None
        trains for all epochs.
    label : str, default=None
        How the message printed when training stops (with ``verbose``) names
        the score; None uses ``monitor``.

    Attributes
    ----------
    best_score_ : float
        The best score so far (``-inf`` before the first).
    best_epoch_ : int or None
        Epoch (1-based) of the best score; None before the first.
    """

    def __init__(self, monitor, patience=None, label=None):
        self.monitor = monitor
        self.patience = patience
        self.label = label

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
            if net.verbose:
                print(
                    f"Stopping: {self.label or self.monitor} has not improved for "
                    f"{self.misses_} epochs."
                )
            raise KeyboardInterrupt

    def on_train_end(self, net, **kwargs):
        if self._best_state is not None:
            net.module_.load_state_dict(self._best_state)
        self._best_state = None


class CosineSchedule(Callback):
    """Cosine decay of the learning rate over the epochs of each ``fit`` call.

    Epoch ``k`` (0-based) of a call that trains ``T = max_epochs`` epochs uses
    ``lr_k = lr * (1 + cos(pi * k / T)) / 2`` for every parameter group
    (``lr`` being the group's own learning rate), as
    :class:`torch.optim.lr_scheduler.CosineAnnealingLR` with ``T_max=T`` and
    ``eta_min=0`` stepped once per epoch.
    """

    def on_train_begin(self, net, **kwargs):
        self._epoch = 0
        for group in net.optimizer_.param_groups:
            group.setdefault("initial_lr", group["lr"])

    def on_epoch_begin(self, net, **kwargs):
        factor = 0.5 * (1.0 + np.cos(np.pi * self._epoch / net.max_epochs))
        for group in net.optimizer_.param_groups:
            group["lr"] = group["initial_lr"] * factor
        self._epoch += 1


def default_callbacks(lr_schedule, monitor="valid_wa_ua", scoring=valid_wa_ua,
                      label="validation WA + UA"):
    """The callbacks of a network estimator, as ``[(name, callback), ...]``.

    Parameters
    ----------
    lr_schedule : {"constant", "cosine"}
        The ``lr_schedule`` parameter.
    monitor : str, default="valid_wa_ua"
        History key of the validation score that picks the best epoch.
    scoring : callable, default=valid_wa_ua
        ``scoring(net, X_valid, y_valid)``, higher is better.
    label : str, default="validation WA + UA"
        How messages name the score.

    The estimator sets the ``patience`` of ``"best_epoch"`` at each fit.
    """
    schedule = [("lr_schedule", CosineSchedule())] if lr_schedule == "cosine" else []
    return schedule + [
        ("epoch_timer", EpochTimer()),
        ("train_loss", PassthroughScoring(name="train_loss", on_train=True)),
        ("valid_loss", PassthroughScoring(name="valid_loss")),
        (monitor, EpochScoring(scoring, name=monitor, lower_is_better=False)),
        ("best_epoch", BestEpoch(monitor=monitor, label=label)),
        ("print_log", PrintLog()),
    ]
