"""Training callbacks of the networks: epoch selection and the learning rate.

Both are skorch's own callbacks, subclassed where the networks need a
different behaviour: :class:`BestEpoch` is
:class:`skorch.callbacks.EarlyStopping` with ``load_best=True``,
:class:`CosineSchedule` is :class:`skorch.callbacks.LRScheduler` with
torch's :class:`~torch.optim.lr_scheduler.LambdaLR`.
"""

import warnings

import numpy as np
from skorch.callbacks import (
    EarlyStopping,
    EpochScoring,
    EpochTimer,
    LRScheduler,
    PassthroughScoring,
    PrintLog,
)
from skorch.utils import to_numpy
from torch.optim.lr_scheduler import LambdaLR

from ..metrics import concordance_correlation_coefficient, wa_ua_score


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


#: Best-epoch selection of SERClassifier: (history key, score).
WA_UA_SELECTION = ("valid_wa_ua", valid_wa_ua)
#: Best-epoch selection of SERRegressor.
CCC_SELECTION = ("valid_ccc", valid_ccc)


class BestEpoch(EarlyStopping):
    """skorch's ``EarlyStopping(load_best=True)`` that skips epochs without the score.

    Differs from :class:`skorch.callbacks.EarlyStopping` only in that an
    epoch without ``monitor`` in the history (no validation data) is
    ignored instead of raising ``KeyError``, and that the copy of the best
    weights is released once they are restored.

    At the end of each epoch that recorded ``monitor``, the module's weights
    are copied in memory if the score is higher than every score before it
    (``threshold=0``); when training ends they are restored. No checkpoint
    file is written, so parallel fits (``GridSearchCV(n_jobs=...)``) cannot
    clash.

    Parameters
    ----------
    monitor : str
        Name of the score in the history; higher is better.
    patience : int or None, default=None
        Stop training after this many scored epochs without improvement;
        None trains for all epochs.

    Attributes
    ----------
    best_epoch_ : int
        Epoch (1-based) of the best score; 0 while no epoch was scored.
    best_model_weights_ : dict or None
        The ``state_dict`` of the best epoch until it is restored.
    """

    def __init__(self, monitor, patience=None):
        super().__init__(monitor=monitor, patience=patience, threshold=0.0,
                         threshold_mode="abs", lower_is_better=False,
                         load_best=True)

    def on_epoch_end(self, net, **kwargs):
        if self.monitor in net.history[-1]:
            super().on_epoch_end(net, **kwargs)

    def on_train_end(self, net, **kwargs):
        if self.best_model_weights_ is not None:
            net.module_.load_state_dict(self.best_model_weights_)
        self.best_model_weights_ = None


class CosineFactor:
    """``(1 + cos(pi * k / n_epochs)) / 2``, the cosine decay of epoch ``k``.

    Parameters
    ----------
    n_epochs : int
        Epochs of the decay.
    """

    def __init__(self, n_epochs):
        self.n_epochs = n_epochs

    def __call__(self, k):
        return 0.5 * (1.0 + np.cos(np.pi * k / self.n_epochs))


class CosineSchedule(LRScheduler):
    """skorch's ``LRScheduler`` with a cosine decay over the epochs of each fit call.

    Differs from ``LRScheduler(policy=CosineAnnealingLR, T_max=T)`` in that
    ``T`` is the net's ``max_epochs`` at each ``fit`` or ``partial_fit`` call,
    every call starts again from ``lr``, and the rate of epoch ``k`` (0-based)
    is the closed form ``lr * (1 + cos(pi * k / T)) / 2`` (torch's
    :class:`~torch.optim.lr_scheduler.LambdaLR` policy; ``CosineAnnealingLR``
    reaches the same values by a recursive update, up to rounding).
    """

    def __init__(self):
        super().__init__(policy=LambdaLR)

    def on_train_begin(self, net, **kwargs):
        self.lr_lambda = CosineFactor(net.max_epochs)
        self.last_epoch = -1  # a new schedule for each fit call
        super().on_train_begin(net, **kwargs)


def default_callbacks(lr_schedule, monitor="valid_wa_ua", scoring=valid_wa_ua):
    """The callbacks of a network estimator, as ``[(name, callback), ...]``.

    Parameters
    ----------
    lr_schedule : {"constant", "cosine"}
        The ``lr_schedule`` parameter.
    monitor : str, default="valid_wa_ua"
        History key of the validation score that picks the best epoch.
    scoring : callable, default=valid_wa_ua
        ``scoring(net, X_valid, y_valid)``, higher is better.

    The estimator sets the ``patience`` of ``"best_epoch"`` at each fit.
    """
    schedule = [("lr_schedule", CosineSchedule())] if lr_schedule == "cosine" else []
    return schedule + [
        ("epoch_timer", EpochTimer()),
        ("train_loss", PassthroughScoring(name="train_loss", on_train=True)),
        ("valid_loss", PassthroughScoring(name="valid_loss")),
        (monitor, EpochScoring(scoring, name=monitor, lower_is_better=False)),
        ("best_epoch", BestEpoch(monitor=monitor)),
        ("print_log", PrintLog()),
    ]


def kept_epoch(net):
    """Epoch (1-based) whose weights ``net`` holds once training ends.

    That of the last :class:`~skorch.callbacks.EarlyStopping` with
    ``load_best=True`` (a :class:`BestEpoch` included) that scored an epoch,
    since the last one to restore weights wins; else the last epoch.
    """
    kept = None
    for _, callback in getattr(net, "callbacks_", []):
        if (isinstance(callback, EarlyStopping) and callback.load_best
                and getattr(callback, "best_epoch_", 0)):
            kept = int(callback.best_epoch_)
    return kept if kept is not None else int(net.history[-1, "epoch"])
