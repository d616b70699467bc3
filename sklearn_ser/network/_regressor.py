"""The BiLSTM attention network of the paper as a skorch regressor.

Dimensional emotion recognition: the same network and poolings as
:class:`~sklearn_ser.SERClassifier` with a linear output per target
(valence, arousal, dominance), trained on the CCC or the squared error.
"""

from functools import partial

import numpy as np
import torch
from sklearn.utils.metaestimators import available_if
from skorch import NeuralNetRegressor

from .. import _paper
from .._compat import StrOptions
from .._validation import unit_scale_for_constants
from ..persistence._registry import SKORCH_ATTRIBUTES, register
from ._base import (
    NETWORK_CONSTRAINTS,
    NETWORK_PARAMETER_CLASSES,
    SERNetMixin,
    check_finite_outputs,
    check_loaded_params,
    check_network_state,
    network_is_fitted,
)
from ._callbacks import CCC_SELECTION

__all__ = ["RegressionLoss", "SERRegressor"]

LOSSES = ("ccc", "mse")

#: The largest magnitude of a target value (float32's largest number): the
#: network computes in float32, and so does its ONNX export, which holds
#: the targets' mean and scale as float32.
FLOAT32_MAX = float(np.finfo(np.float32).max)


def batch_ccc(y_pred, y_true, eps=1e-8):
    """CCC of each target over a batch, as a differentiable tensor.

    Population moments over the batch dimension; ``eps`` keeps the
    denominator positive for a batch whose values are all equal.
    """
    mean_p, mean_t = y_pred.mean(dim=0), y_true.mean(dim=0)
    dp, dt = y_pred - mean_p, y_true - mean_t
    cov = (dp * dt).mean(dim=0)
    denom = (dp**2).mean(dim=0) + (dt**2).mean(dim=0) + (mean_p - mean_t) ** 2
    return 2 * cov / denom.clamp_min(eps)


class RegressionLoss(torch.nn.Module):
    """Loss of :class:`SERRegressor`: ``1 - CCC`` or the mean squared error.

    Parameters
    ----------
    loss : {"ccc", "mse"}, default="ccc"
        ``"ccc"``: one minus the concordance correlation coefficient of each
        target over the batch, averaged over the targets; ``"mse"``: the
        mean squared error over the batch and the targets.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ser.network._regressor import RegressionLoss
    >>> y = torch.tensor([[1.0], [2.0], [3.0]])
    >>> float(RegressionLoss("ccc")(y, y)), float(RegressionLoss("mse")(y + 1, y))
    (0.0, 1.0)
    """

    def __init__(self, loss="ccc"):
        super().__init__()
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}.")
        self.loss = loss

    def forward(self, y_pred, y_true):
        y_pred = y_pred.reshape(y_true.shape[0], -1)
        y_true = y_true.reshape(y_pred.shape).to(y_pred.dtype)
        if self.loss == "mse":
            return torch.mean((y_pred - y_true) ** 2)
        return 1.0 - batch_ccc(y_pred, y_true).mean()


def check_targets(y, n_samples, n_outputs=None):
    """Check regression targets; float64 ``(n_samples, n_targets)`` and ``ndim``.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Target values.
    n_samples : int
        Number of samples of ``X``.
    n_outputs : int, default=None
        The number of targets of an earlier fit that this one continues.

    Returns
    -------
    y : ndarray of shape (n_samples, n_targets), dtype float64
    ndim : int
        1 or 2, the dimensionality of the given ``y``.
    """
    if y is None:
        raise ValueError(
            "SERRegressor requires y (the target values) in fit; for emotion "
            "dimensions an (n_samples, 3) array of valence, arousal and "
            "dominance, e.g. load_iemocap(..., target='dimensions').target."
        )
    y = np.asarray(y)
    if y.dtype.kind not in "biuf":
        example = y.ravel()[0] if y.size else None
        raise TypeError(
            f"y must hold numbers (the target values), got dtype {y.dtype} "
            f"(e.g. {example!r}); for class labels use SERClassifier."
        )
    if y.ndim not in (1, 2):
        raise ValueError(
            f"y must be 1-D (one target) or 2-D (n_samples, n_targets), got shape "
            f"{y.shape}."
        )
    ndim = y.ndim
    y = y.reshape(y.shape[0], -1).astype(np.float64)
    if y.shape[0] != n_samples:
        raise ValueError(
            f"X has {n_samples} samples but y has {y.shape[0]}; one row of "
            "targets per sample is required."
        )
    if y.shape[1] == 0:
        raise ValueError("y has no target column; expected at least one.")
    bad = ~np.isfinite(y)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ValueError(
            f"y has a non-finite value ({y[i, j]}) at sample {i}, target {j} "
            f"({int(bad.any(axis=1).sum())} sample(s) in all); every target value "
            "must be finite: drop or fill the utterances without annotation."
        )
    huge = np.abs(y) > FLOAT32_MAX
    if huge.any():
        i, j = np.argwhere(huge)[0]
        raise ValueError(
            f"y has the value {y[i, j]:g} at sample {i}, target {j} "
            f"({int(huge.any(axis=1).sum())} sample(s) in all), beyond the float32 "
            f"range (+-{FLOAT32_MAX:.3g}) in which the network and its ONNX export "
            "compute; its standardisation would overflow. Rescale the targets "
            "(e.g. express them in other units)."
        )
    if n_outputs is not None and y.shape[1] != n_outputs:
        raise ValueError(
            f"y has {y.shape[1]} target column(s), but this SERRegressor was "
            f"fitted with {n_outputs}; give the same targets."
        )
    return y, ndim


class SERRegressor(SERNetMixin, NeuralNetRegressor):
    """BiLSTM network with attention pooling for dimensional emotion.

    The network of :class:`~sklearn_ser.SERClassifier` (the paper's [1]_:
    three frame-wise fully connected ReLU layers, a BiLSTM, a pooling over
    time) with a linear output of one value per target, e.g. valence,
    arousal and dominance. The input, its NaN padding and masking, the
    training noise, the L2 factor, the learning-rate schedule, the
    validation split, ``random_state`` and ``device`` work exactly as in
    :class:`~sklearn_ser.SERClassifier`; the shared parameters have the
    same meaning and defaults.

    The targets are standardised with the mean and standard deviation of
    the training part of each fit, and the predictions brought back to the
    targets' units. The epoch kept is the one with the best mean CCC over
    the targets on the validation split (without one, the last epoch).

    Parameters
    ----------
    attention : {"lstm", "mean", "zhou", "yang"}, default="lstm"
        Pooling over time, as in :class:`~sklearn_ser.SERClassifier`.
    hidden_units : int, default=256
        Units of each of the three frame-wise fully connected layers.
    lstm_units : int, default=128
        Units per direction of the BiLSTM.
    attention_units : int, default=128
        Units of the attention (``"lstm"``, ``"yang"``).
    attention_normalization : {"sum", "length", "none"}, default="sum"
        Normalisation of the sigmoid weights of ``attention="lstm"``.
    dropout : float, default=0.1
        Dropout probability.
    noise_variance : float, default=0.4
        Variance of the white noise added to the training inputs.
    l2 : float, default=5e-2
        L2 factor, TensorFlow style (Adam's coupled ``weight_decay``).
    lr : float, default=3e-5
        Learning rate of Adam.
    lr_schedule : {"constant", "cosine"}, default="constant"
        Learning-rate schedule over the epochs of a fit.
    batch_size : int, default=32
        Utterances per batch.
    max_epochs : int, default=200
        Number of training epochs.
    loss : {"ccc", "mse"}, default="ccc"
        Training loss: ``"ccc"`` is one minus the concordance correlation
        coefficient of each target over the batch, averaged over the
        targets (the metric the field reports); ``"mse"`` the mean squared
        error of the standardised targets.
    validation_fraction : float or None, default=0.1
        Fraction of the training data held out to pick the best epoch by
        the mean CCC over the targets; group-aware when ``groups`` reach
        :meth:`fit`. None or 0: no split, the last epoch is kept.
    patience : int or None, default=None
        Stop when the validation CCC has not improved for ``patience``
        epochs.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, batches, dropout, noise and the split.
    device : str or torch.device, default="auto"
        ``"auto"``: CUDA when available, else the CPU.
    precision : {"float32", "bf16", "fp16"}, default="float32"
        Arithmetic of the forward passes, as in
        :class:`~sklearn_ser.SERClassifier` (float32 master weights;
        predictions come back as float64).
    verbose : int, default=0
        If positive, print a table of the training progress.
    **kwargs
        Passed to :class:`skorch.NeuralNetRegressor`.

    Attributes
    ----------
    n_features_in_ : int
        Number of features per frame seen in :meth:`fit`.
    n_outputs_ : int
        Number of targets.
    target_mean_, target_scale_ : ndarray of shape (n_outputs_,)
        Mean and standard deviation (1 for a constant target) of the
        training targets, which the network predicts standardised.
    validation_indices_ : ndarray of int
        Indices of the samples held out for validation.
    best_epoch_ : int
        Epoch (1-based) whose weights the model holds.
    module_ : torch.nn.Module
        The trained network.
    history_ : skorch.History
        Per-epoch log: ``train_loss``, ``valid_loss``, ``valid_ccc``, ``dur``.

    See Also
    --------
    sklearn_ser.SERClassifier : The same network for emotion categories.
    sklearn_ser.metrics.concordance_correlation_coefficient : The metric.

    References
    ----------
    .. [1] G. Ramet, P. N. Garner, M. Baeriswyl and A. Lazaridis,
       "Context-aware attention mechanism for speech emotion
       recognition," in *Proc. IEEE Spoken Language Technology Workshop
       (SLT)*, Athens, Greece, 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser import SERRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 12, 3)).astype(np.float32)
    >>> y = np.c_[X[:, :, 0].mean(axis=1), X[:, :, 1].mean(axis=1)]
    >>> X[::3, 8:] = np.nan  # padding
    >>> reg = SERRegressor(hidden_units=8, lstm_units=4, attention_units=4,
    ...                    lr=1e-2, l2=0.0, max_epochs=5, random_state=0,
    ...                    device="cpu").fit(X, y)
    >>> reg.n_outputs_, reg.predict(X[:3]).shape
    (2, (3, 2))
    """

    _parameter_constraints = {
        **NETWORK_CONSTRAINTS,
        "loss": [StrOptions(set(LOSSES))],
    }

    def __init__(
        self,
        *,
        attention="lstm",
        hidden_units=_paper.HIDDEN_UNITS,
        lstm_units=_paper.LSTM_UNITS,
        attention_units=_paper.ATTENTION_UNITS,
        attention_normalization="sum",
        dropout=_paper.DROPOUT,
        noise_variance=_paper.NOISE_VARIANCE,
        l2=_paper.L2,
        lr=_paper.LR,
        lr_schedule="constant",
        batch_size=_paper.BATCH_SIZE,
        max_epochs=_paper.MAX_EPOCHS,
        loss="ccc",
        validation_fraction=0.1,
        patience=None,
        random_state=None,
        device="auto",
        precision="float32",
        verbose=0,
        **kwargs,
    ):
        self._init_network(
            kwargs, criterion=RegressionLoss, lr=lr, batch_size=batch_size,
            max_epochs=max_epochs, device=device, verbose=verbose,
            attention=attention, hidden_units=hidden_units,
            lstm_units=lstm_units, attention_units=attention_units,
            attention_normalization=attention_normalization, dropout=dropout,
            noise_variance=noise_variance, l2=l2, lr_schedule=lr_schedule,
            loss=loss, validation_fraction=validation_fraction,
            patience=patience, random_state=random_state, precision=precision,
        )

    # -- skorch hooks ---------------------------------------------------------

    _selection = CCC_SELECTION

    def _n_outputs(self):
        return self.n_outputs_

    def get_params_for(self, prefix):
        params = super().get_params_for(prefix)
        if prefix == "criterion" and self.criterion is RegressionLoss:
            params.setdefault("loss", self.loss)
        return params

    # -- fitting --------------------------------------------------------------

    def fit(self, X, y, groups=None, **fit_params):
        """Train the network, keeping the epoch with the best validation CCC.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_frames, n_features)
            Frame features; padding frames are all NaN, after the valid frames.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Target values, e.g. valence, arousal and dominance; finite and
            within the float32 range (about +-3.4e38).
        groups : array-like of shape (n_samples,), default=None
            Group of each sample (e.g. speaker) for the validation split.
        **fit_params : dict
            Passed to skorch.

        Returns
        -------
        self : SERRegressor
            The fitted regressor.
        """
        return self._fit(X, y, groups, fit_params, routing_method="fit")

    def partial_fit(self, X, y, groups=None, **fit_params):
        """Train for ``max_epochs`` more epochs, starting from the current weights.

        The targets are standardised with the statistics of the first fit.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_frames, n_features)
            Frame features with NaN padding.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Target values, as many columns as in the first call.
        groups : array-like of shape (n_samples,), default=None
            Groups for the validation split.
        **fit_params : dict
            Passed to skorch.

        Returns
        -------
        self : SERRegressor
            The regressor.
        """
        return self._fit(X, y, groups, fit_params, routing_method="partial_fit")

    def _encode_target(self, y, n_samples, fresh):
        y, ndim = check_targets(y, n_samples,
                                n_outputs=None if fresh else self.n_outputs_)
        if fresh:
            self.n_outputs_ = y.shape[1]
            self.target_ndim_ = ndim
        return y, np.zeros(n_samples, dtype=np.int64)

    def _fit_target(self, y, train, fresh):
        if fresh:
            mean = y[train].mean(axis=0)
            self.target_mean_ = mean
            self.target_scale_ = unit_scale_for_constants(y[train].std(axis=0), mean)
        return ((y - self.target_mean_) / self.target_scale_).astype(np.float32)

    # -- prediction -----------------------------------------------------------

    def predict(self, X):
        """Predicted target values.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_frames, n_features)
            Frame features with NaN padding.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Predictions (float64) in the targets' units; 1-D if ``y`` was
            1-D in :meth:`fit`.
        """
        out = self._network_outputs(X, lambda t: t)
        with np.errstate(over="ignore"):  # an overflow is refused right below
            y = out.reshape(out.shape[0], -1) * self.target_scale_ + self.target_mean_
        y = check_finite_outputs(y)
        return y.ravel() if self.target_ndim_ == 1 else y

    @available_if(lambda self: False)
    def predict_proba(self, X):
        """Not available: a regressor predicts values, see :meth:`predict`."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        tags.regressor_tags.poor_score = True
        return tags


def _check_state(step, check):
    check_network_state(step, check)
    k = check.count("n_outputs_")
    check.need(getattr(step, "target_ndim_", None) in (1, 2)
               and (step.target_ndim_ == 2 or k == 1),
               "target_ndim_ must be 1 (with one target) or 2")
    mean = check.finite_vector("target_mean_", k)
    scale = check.finite_vector("target_scale_", k)
    check.need(bool((scale > 0).all()), "target_scale_ must be positive")
    check.need(bool((np.abs(mean) <= FLOAT32_MAX).all() and (scale <= FLOAT32_MAX).all()),
               f"target_mean_ and target_scale_ must lie within the float32 range "
               f"(+-{FLOAT32_MAX:.3g}) of the targets")


register(
    SERRegressor,
    dropped_params=("callbacks",),  # they act only during training
    parameter_classes={**NETWORK_PARAMETER_CLASSES,
                       "sklearn_ser.RegressionLoss": RegressionLoss,
                       "torch.nn.MSELoss": torch.nn.MSELoss,
                       "torch.nn.L1Loss": torch.nn.L1Loss},
    rebuilt_attributes=SKORCH_ATTRIBUTES,
    is_fitted=network_is_fitted,
    validate=partial(check_loaded_params, losses=(RegressionLoss, torch.nn.MSELoss,
                                                  torch.nn.L1Loss)),
    check_state=_check_state,
    network=True,
)
