"""What SERClassifier and SERRegressor share: the network side of a skorch net.

:class:`SERNetMixin` holds everything that does not depend on the kind of
target: the network's parameters, the L2 factor, the input checks and
length handling, the validation split, the seeding, the best-epoch
selection, prediction in order of length and the attention weights. The
estimators add how ``y`` is checked and encoded, which loss trains the
network and what the outputs become (probabilities and labels, or values).
"""

import numbers

import numpy as np
import torch
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted
from skorch.utils import to_numpy, to_tensor

from .. import _compat, _paper
from .._compat import Interval, StrOptions
from .._device import device_type
from ..persistence._registry import TORCH_CLASSES
from . import _loaders, _precision, _training
from ._callbacks import BestEpoch, default_callbacks, kept_epoch
from ._modules import ATTENTION_NORMALIZATIONS, RNN_IMPLEMENTATIONS, SERNet

#: Parameters of the network that the estimators expose under their own name.
MODULE_PARAMS = ("attention", "hidden_units", "lstm_units", "attention_units",
                 "attention_normalization", "dropout", "noise_variance")

#: The parameter constraints that SERClassifier and SERRegressor share.
NETWORK_CONSTRAINTS = {
    "attention": [StrOptions(set(_paper.ATTENTIONS))],
    "hidden_units": [Interval(numbers.Integral, 1, None, closed="left")],
    "lstm_units": [Interval(numbers.Integral, 1, None, closed="left")],
    "attention_units": [Interval(numbers.Integral, 1, None, closed="left")],
    "attention_normalization": [StrOptions(set(ATTENTION_NORMALIZATIONS))],
    "dropout": [Interval(numbers.Real, 0, 1, closed="left")],
    "noise_variance": [Interval(numbers.Real, 0, None, closed="left")],
    "l2": [Interval(numbers.Real, 0, None, closed="left")],
    "lr": [Interval(numbers.Real, 0, None, closed="neither")],
    "lr_schedule": [StrOptions({"constant", "cosine"})],
    "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
    "max_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
    "validation_fraction": [Interval(numbers.Real, 0, 1, closed="left"), None],
    "patience": [Interval(numbers.Integral, 1, None, closed="left"), None],
    "random_state": ["random_state"],
    "device": [str, torch.device, None],
    "precision": [StrOptions(set(_precision.PRECISIONS))],
    "verbose": ["verbose"],
}


class SERNetMixin(_training.AutoDeviceMixin):
    """The network side of :class:`SERClassifier` and :class:`SERRegressor`.

    A subclass sets ``_selection`` (the history key of the validation score
    and the function that computes it, see
    :func:`~sklearn_ser.network._callbacks.default_callbacks`) and implements
    ``_encode_target(y, n_samples, fresh)`` (checks ``y``, sets the fitted
    attributes of the target and returns what the loss is computed on) and
    ``_n_outputs()``.
    """

    #: (history key, scoring function) of the best-epoch selection.
    _selection = None

    def _init_network(self, kwargs, *, criterion, lr, batch_size, max_epochs,
                      device, verbose, **params):
        """The ``__init__`` of a subclass: skorch's defaults, then ``params``.

        Every parameter is stored unchanged; validation happens in ``fit``.
        """
        kwargs.setdefault("module", SERNet)
        kwargs.setdefault("criterion", criterion)
        kwargs.setdefault("optimizer", torch.optim.Adam)
        kwargs.setdefault("train_split", None)
        kwargs.setdefault("iterator_train", _loaders.LengthBucketLoader)
        kwargs.setdefault("iterator_valid", _loaders.TrimLoader)
        super().__init__(lr=lr, batch_size=batch_size, max_epochs=max_epochs,
                         device=device, verbose=verbose, **kwargs)
        for name, value in params.items():
            setattr(self, name, value)

    @property
    def _default_callbacks(self):
        return default_callbacks(getattr(self, "lr_schedule", "constant"),
                                 *self._selection)

    def get_params_for(self, prefix):
        params = super().get_params_for(prefix)
        if prefix == "module":
            params.update(
                n_features=self.n_features_in_,
                n_classes=self._n_outputs(),
                **{name: getattr(self, name) for name in MODULE_PARAMS},
            )
        elif prefix in ("iterator_train", "iterator_valid") and self._on_cuda():
            params.setdefault("pin_memory", True)
        return params

    # -- device and precision -------------------------------------------------

    def _on_cuda(self):
        return self.device is not None and device_type(self.device) == "cuda"

    def infer(self, x, **fit_params):
        if self._on_cuda() and isinstance(x, dict):
            x = {k: v.to(self.device, non_blocking=True) if torch.is_tensor(v) else v
                 for k, v in x.items()}
        precision = getattr(self, "precision", "float32")
        if precision == "float32":
            return super().infer(x, **fit_params)
        with _precision.autocast(precision, self.device):
            return super().infer(x, **fit_params).float()

    def get_loss(self, y_pred, y_true, X=None, training=False):
        loss = super().get_loss(y_pred, y_true, X=X, training=training)
        scaler = getattr(self, "_grad_scaler_", None)
        if training and scaler is not None:
            # fp16 on CUDA: skorch's training step back-propagates the loss
            # scaled (the gradients that callbacks see are scaled), while the
            # value it records is the loss itself.
            loss = _precision.scale_gradients(loss, scaler)
        return loss

    def _step_optimizer(self, step_fn):
        scaler = getattr(self, "_grad_scaler_", None)
        if scaler is None:
            return super()._step_optimizer(step_fn)
        step_fn()
        for name in _compat.optimizer_names(self):
            scaler.step(getattr(self, name + "_"))
        scaler.update()
        return None

    def get_params_for_optimizer(self, prefix, named_parameters):
        args, kwargs = super().get_params_for_optimizer(prefix, named_parameters)
        if prefix == "optimizer":
            kwargs["weight_decay"] = self.l2
        return args, kwargs

    def check_data(self, X, y):
        # Input is validated by fit; y reaches skorch already encoded.
        pass

    def get_split_datasets(self, X, y=None, **fit_params):
        if self.train_split is not None:
            return super().get_split_datasets(X, y, **fit_params)
        return _loaders.split_datasets(self.get_dataset(X, y), self.validation_indices_)

    def _check_params(self):
        _training.check_params(self, MODULE_PARAMS)
        _precision.check_precision(self.precision, self.device)

    def _fit(self, X, y, groups, fit_params, routing_method):
        self._check_params()
        fresh = (
            routing_method == "fit" and not self.warm_start
        ) or not self.initialized_
        Xz, lengths = _loaders.prepare_input(
            X, n_features=None if fresh else self.n_features_in_
        )
        y_fit, strata = self._encode_target(y, Xz.shape[0], fresh)
        if fresh:
            self.n_features_in_ = Xz.shape[2]
        rng = check_random_state(self.random_state)
        self.validation_indices_ = _training.validation_split(
            strata, groups, self.validation_fraction, rng
        )
        train = np.ones(Xz.shape[0], dtype=bool)
        train[self.validation_indices_] = False
        y_fit = self._fit_target(y_fit, train, fresh)
        seed = rng.randint(np.iinfo(np.int32).max)
        self._grad_scaler_ = _precision.grad_scaler(self.precision, self.device)
        with _training.seeded_torch(seed, self.device):
            if fresh:
                self.initialize()
            else:
                _compat.initialize_criterion(self)
            best = dict(self.callbacks_).get("best_epoch")
            if isinstance(best, BestEpoch):
                best.patience = self.patience  # the value of this call
            _compat.partial_fit(self, {"x": Xz, "lengths": lengths}, y_fit,
                                routing_method, **fit_params)
        return self

    def on_train_end(self, net, X=None, y=None, **kwargs):
        # The net's own hook runs before its callbacks': ``best_epoch_`` is
        # known when theirs (e.g. a progress report) run.
        super().on_train_end(net, X=X, y=y, **kwargs)
        self.best_epoch_ = kept_epoch(self)

    def _fit_target(self, y_fit, train, fresh):
        """What the loss sees of ``y`` once the training part is known."""
        return y_fit

    # -- prediction -----------------------------------------------------------

    def _sorted_dataset(self, X):
        check_is_fitted(self)
        Xz, lengths = _loaders.prepare_input(X, n_features=self.n_features_in_)
        return (*_loaders.sorted_dataset(Xz, lengths), lengths)

    def _network_outputs(self, X, transform):
        """``transform`` of the network's float64 outputs, in the order of ``X``."""
        dataset, order, _ = self._sorted_dataset(X)
        chunks = []
        for out in self.forward_iter(dataset, training=False):
            out = out[0] if isinstance(out, tuple) else out
            chunks.append(to_numpy(transform(out.double())))
        outputs = np.concatenate(chunks)
        result = np.empty((order.size,) + outputs.shape[1:], dtype=np.float64)
        result[order] = outputs
        return check_finite_outputs(result)

    def attention_weights(self, X):
        """Weight of each valid frame in the pooling.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_frames, n_features)
            Frame features with NaN padding.

        Returns
        -------
        weights : list of ndarray of shape (length_i,)
            For each sample, one weight per valid frame: the attention weights
            ``alpha_t`` for ``"zhou"``, ``"yang"`` and ``"lstm"``, ``1 /
            length`` for ``"mean"``.
        """
        dataset, order, lengths = self._sorted_dataset(X)
        _compat.set_training(self, False)
        chunks = []
        with torch.no_grad(), _precision.autocast(self.precision, self.device):
            for Xi, _ in self.get_iterator(dataset, training=False):
                Xi = to_tensor(Xi, device=self.device)
                alpha = self.module_.attention_weights(**Xi)
                chunks.extend(to_numpy(alpha.double()))
        weights = [None] * order.size
        for i, alpha in zip(order, chunks, strict=True):
            weights[i] = alpha[: lengths[i]]
        return weights

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.input_tags.allow_nan = True
        tags.target_tags.required = True
        tags.non_deterministic = self.random_state is None
        return tags


class NonFiniteOutputError(ValueError):
    """The network gave NaN or infinite outputs; ``indices`` says for which inputs.

    A :class:`ValueError`; callers that know more about the inputs (the
    timeline knows the times of its windows) name them with ``indices``.
    """

    def __init__(self, message, indices):
        super().__init__(message)
        self.indices = indices


def check_finite_outputs(outputs, name="X"):
    """``outputs``, if every value is finite; else a ValueError naming the inputs.

    A network whose weights are finite but huge (or an input far outside
    the training data) overflows float32 and gives NaN or inf outputs:
    probabilities of NaN, whose ``argmax`` would name the first class. No
    label or value is made of them.

    Parameters
    ----------
    outputs : ndarray of shape (n_samples, ...)
        The outputs, in the order of the inputs.
    name : str, default="X"
        How the message names the inputs.

    Returns
    -------
    outputs : ndarray
        ``outputs`` itself.

    Raises
    ------
    NonFiniteOutputError
        A ``ValueError``, if an output is NaN or infinite; the message names
        the first inputs concerned and their number, ``indices`` all of
        them.
    """
    bad = ~np.isfinite(outputs.reshape(outputs.shape[0], -1)).all(axis=1)
    if bad.any():
        index = np.flatnonzero(bad)
        shown = ", ".join(f"{name}[{i}]" for i in index[:5])
        more = f" and {index.size - 5} more" if index.size > 5 else ""
        raise NonFiniteOutputError(
            f"The network gives non-finite outputs (NaN or inf) for {shown}{more} "
            f"({index.size} of {outputs.shape[0]} samples): its weights, or these "
            "inputs, are too large for its float32 arithmetic; no prediction is "
            "made of them. Check the inputs (scaled as in training?) and the model.",
            index.tolist())
    return outputs


#: The classes a loaded network's class parameters may name, per parameter
#: (``criterion`` depends on the estimator); a data loader that would
#: shuffle the predictions (``LengthBucketLoader``) is not a valid
#: ``iterator_valid``.
LOADED_CLASSES = {
    "module": (SERNet,),
    "optimizer": (torch.optim.Adam, torch.optim.AdamW, torch.optim.SGD,
                  torch.optim.RMSprop),
    "iterator_train": (_loaders.LengthBucketLoader, _loaders.TrimLoader,
                       torch.utils.data.DataLoader),
    "iterator_valid": (_loaders.TrimLoader, torch.utils.data.DataLoader),
    "dataset": (TORCH_CLASSES["skorch.dataset.Dataset"],),
}


def _positive_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) \
        and value >= 1


def _is_bool(value):
    return isinstance(value, (bool, np.bool_))


def _non_negative(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool) \
        and np.isfinite(value) and value >= 0


#: The values skorch's own parameters may have in a model file: what
#: ``save`` writes for a network that predicts with them (the checks
#: against the fitted state, e.g. of ``classes``, are those of the
#: registry's ``check_state``).
LOADED_VALUES = {
    "train_split": (lambda v: v is None, "None"),
    "predict_nonlinearity": (lambda v: isinstance(v, str) and v == "auto",
                             "'auto' (probabilities; other values would change "
                             "what predict_proba returns)"),
    "warm_start": (_is_bool, "a bool"),
    "use_caching": (lambda v: _is_bool(v) or (isinstance(v, str) and v == "auto"),
                    "'auto' or a bool"),
    "torch_load_kwargs": (lambda v: v is None, "None"),
    "classes": (lambda v: v is None or (isinstance(v, (list, tuple, np.ndarray))
                                        and np.ndim(v) == 1),
                "None or a 1-D list of the classes"),
}

#: The ``<prefix>__<name>`` parameters a loaded network may set, with the
#: values they may have; ``optimizer__*`` and ``criterion__*`` act only in
#: training and are checked by building the optimizer and the loss. The
#: worker parameters of the data loaders are never loaded (see the
#: registry); ``iterator_valid__shuffle`` or ``__drop_last`` would reorder
#: or drop predictions.
LOADED_PREFIXED = {
    "module": {"rnn_implementation": (lambda v: isinstance(v, str)
                                      and v in RNN_IMPLEMENTATIONS,
                                      f"one of {RNN_IMPLEMENTATIONS}")},
    "iterator_train": {"batch_size": (_positive_int, "a positive int"),
                       "shuffle": (_is_bool, "a bool"),
                       "bucket": (_is_bool, "a bool"),
                       "drop_last": (_is_bool, "a bool"),
                       "pin_memory": (_is_bool, "a bool"),
                       "timeout": (_non_negative, "a non-negative number")},
    "iterator_valid": {"batch_size": (_positive_int, "a positive int"),
                       "pin_memory": (_is_bool, "a bool"),
                       "timeout": (_non_negative, "a non-negative number")},
    "optimizer": None,
    "criterion": None,
}


def check_loaded_params(step, losses):
    """Validate every parameter of a network step read from a model file.

    The estimator's own constraints (as in ``fit``), then skorch's own
    parameters and the ``<prefix>__<name>`` ones, which skorch accepts
    unchecked: each must be a value that ``save`` writes for a network
    that predicts (:data:`LOADED_CLASSES`, :data:`LOADED_VALUES`,
    :data:`LOADED_PREFIXED`). The model file's registry entry calls it.

    Parameters
    ----------
    step : SERClassifier or SERRegressor
        The step, built from the file's parameters.
    losses : tuple of type
        The classes its ``criterion`` may be.

    Raises
    ------
    ValueError
        Naming the first parameter that is not valid and what was expected.
    """
    step._check_params()
    classes = {**LOADED_CLASSES, "criterion": tuple(losses)}
    for name, allowed in classes.items():
        value = getattr(step, name)
        if not any(value is cls for cls in allowed):
            raise ValueError(
                f"{name}={_shown(value)} is not one of "
                f"{[cls.__name__ for cls in allowed]}, the classes a loaded "
                f"{type(step).__name__} may use there."
            )
    params = step.get_params(deep=False)
    for name, (ok, expected) in LOADED_VALUES.items():
        if name not in params:  # classes: classifiers only
            continue
        value = params[name]
        if not ok(value):
            raise ValueError(f"{name}={value!r} is not valid in a loaded "
                             f"{type(step).__name__}; expected {expected}.")
    for key, value in params.items():
        prefix, sep, rest = key.partition("__")
        if not sep:
            continue
        if prefix not in LOADED_PREFIXED:
            raise ValueError(
                f"{key} is not a parameter a loaded {type(step).__name__} may set "
                f"(those with a prefix are {sorted(LOADED_PREFIXED)}__*).")
        allowed = LOADED_PREFIXED[prefix]
        if allowed is None:
            continue
        if rest not in allowed:
            raise ValueError(
                f"{key} is not a parameter a loaded {type(step).__name__} may set; "
                f"{prefix}__* may be {sorted(allowed)}.")
        ok, expected = allowed[rest]
        if not ok(value):
            raise ValueError(f"{key}={value!r} is not valid; expected {expected}.")


def _shown(value):
    return value.__name__ if isinstance(value, type) else repr(value)


#: The most units per layer a model file may describe (the paper uses 256).
MAX_LOADED_UNITS = 16384


def check_network_state(step, check):
    """Checks of a network step's fitted attributes read back from a file."""
    check.count("n_features_in_")
    for name in ("hidden_units", "lstm_units", "attention_units"):
        value = getattr(step, name)
        check.need(value <= MAX_LOADED_UNITS,
                   f"{name}={value} is above the {MAX_LOADED_UNITS} units a model "
                   "file may describe")


def network_is_fitted(step):
    """Whether a network step has been fitted (the model-file registry's test)."""
    return bool(getattr(step, "initialized_", False)) and hasattr(step, "n_features_in_")


#: Classes the parameters of a network step may name in a model file.
NETWORK_PARAMETER_CLASSES = {
    **TORCH_CLASSES,
    "sklearn_ser.SERNet": SERNet,
    "sklearn_ser.LengthBucketLoader": _loaders.LengthBucketLoader,
    "sklearn_ser.TrimLoader": _loaders.TrimLoader,
}
