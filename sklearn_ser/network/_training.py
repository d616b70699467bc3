"""What SERClassifier.fit decides before skorch trains.

The labels and their encoding, the validation split, the class weights, the
device and the seeding of torch; each a function of the data and the
classifier's parameters.
"""

import numbers
from contextlib import contextmanager

import numpy as np
import torch
from sklearn.model_selection import StratifiedGroupKFold, StratifiedShuffleSplit
from sklearn.utils.validation import column_or_1d

from .._compat import validate_parameter_constraints
from .._device import check_device, device_type, resolve_device
from .._validation import check_one_type


class AutoDeviceMixin:
    """``device="auto"`` for a skorch net: CUDA when available, else the CPU.

    skorch reads ``self.device`` wherever it moves tensors; the property
    gives it the resolved device, while ``get_params`` returns the raw value
    (so that a clone or a pickle moved to another machine resolves it
    there).
    """

    @property
    def device(self):
        return resolve_device(self.__dict__.get("device", "auto"))

    @device.setter
    def device(self, value):
        self.__dict__["device"] = value

    def get_params(self, deep=True, **kwargs):
        params = super().get_params(deep=deep, **kwargs)
        params["device"] = self.__dict__.get("device", "auto")
        return params

    def __setstate__(self, state):
        raw = state.get("device")
        state["device"] = resolve_device(raw)
        super().__setstate__(state)
        if isinstance(raw, str) and raw == "auto":
            self.__dict__["device"] = raw


def check_params(net, module_params):
    """Validate the parameters of the network estimator ``net``.

    Parameters
    ----------
    net : SERClassifier or SERRegressor
        The estimator.
    module_params : tuple of str
        The network parameters it exposes under their own names: setting them
        as ``module__<name>`` is refused, as is ``optimizer__weight_decay``
        (the ``l2`` parameter).
    """
    constraints = net._parameter_constraints
    params = {name: getattr(net, name) for name in constraints}
    params["device"] = net.__dict__.get("device", "auto")
    validate_parameter_constraints(constraints, params,
                                   caller_name=type(net).__name__)
    check_device(params["device"])
    for name in module_params + ("n_features", "n_classes"):
        if hasattr(net, f"module__{name}"):
            raise ValueError(
                f"Set {name!r} through the {type(net).__name__} parameter of that "
                f"name, not module__{name}."
            )
    if hasattr(net, "optimizer__weight_decay"):
        raise ValueError(
            "Set the L2 factor through the 'l2' parameter, not "
            "optimizer__weight_decay."
        )


@contextmanager
def seeded_torch(seed, device):
    """Seed torch's global generators inside, restore their state afterwards."""
    devices = []
    if device_type(device) == "cuda":
        index = torch.device(device).index
        devices = [torch.cuda.current_device() if index is None else index]
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


def encode_target(y, n_samples, classes=None, fitted_classes=None):
    """Check the labels ``y`` and encode them as indices into the classes.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Class labels.
    n_samples : int
        Number of samples of ``X``.
    classes : array-like of shape (n_classes,), default=None
        The classes of a new fit (at least two); None takes the sorted
        distinct values of ``y``.
    fitted_classes : ndarray of shape (n_classes,), default=None
        The classes of a fit that continues an earlier one; ``classes`` is
        then ignored.

    Returns
    -------
    labels : ndarray of shape (n_classes,)
        The classes.
    encoded : ndarray of shape (n_samples,), dtype int64
        Index of each label in ``labels``.
    """
    if y is None:
        raise ValueError("SERClassifier requires y (the class labels) in fit.")
    check_one_type(y, "y")  # before a list of mixed numbers becomes floats
    y = column_or_1d(y, warn=True)
    if y.shape[0] != n_samples:
        raise ValueError(
            f"X has {n_samples} samples but y has {y.shape[0]}; one label per "
            "sample is required."
        )
    missing = np.array([v is None for v in y]) if y.dtype == object else (
        np.isnan(y) if y.dtype.kind == "f" else np.zeros(y.shape[0], dtype=bool)
    )
    if missing.any():
        raise ValueError(
            f"y has a missing label (None or NaN) at sample "
            f"{int(np.flatnonzero(missing)[0])} ({int(missing.sum())} in all); "
            "every sample needs a class label."
        )
    if fitted_classes is None:
        labels = np.asarray(classes) if classes is not None else np.unique(y)
        if labels.size < 2:
            raise ValueError(
                "SERClassifier needs at least 2 classes in y; got only "
                f"{labels.tolist()}."
            )
    else:
        labels = fitted_classes
    sorter = np.argsort(labels, kind="stable")
    pos = np.clip(np.searchsorted(labels, y, sorter=sorter), 0, labels.size - 1)
    encoded = sorter[pos]
    unknown = labels[encoded] != y
    if unknown.any():
        raise ValueError(
            f"y contains label(s) {np.unique(y[unknown]).tolist()[:10]} that are "
            f"not among the classes {labels.tolist()}."
        )
    return labels, encoded.astype(np.int64)


def validation_split(y, groups, fraction, rng):
    """Indices of the samples held out to pick the best epoch.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Encoded labels.
    groups : array-like of shape (n_samples,) or None
        Groups (e.g. speakers): no group on both sides of the split.
    fraction : float or None
        Fraction of the samples held out; None or 0 holds out none.
    rng : numpy.random.RandomState
        Draws the seed of the split.

    Returns
    -------
    valid : ndarray of int64
        Sorted indices of the validation samples; empty without validation.
    """
    n = y.shape[0]
    if not fraction:
        return np.array([], dtype=np.int64)
    n_classes = np.unique(y).size
    if groups is not None:
        check_one_type(groups, "groups")
        groups = column_or_1d(groups)
        if groups.shape[0] != n:
            raise ValueError(
                f"groups has {groups.shape[0]} entries but X has {n} samples."
            )
        n_groups = np.unique(groups).size
        if n_groups < 2:
            raise ValueError(
                "groups holds a single group; a group-aware validation split "
                "needs at least 2 groups. Pass more groups or set "
                "validation_fraction=None."
            )
        # StratifiedGroupKFold needs a class with at least n_splits samples:
        # with few samples per group (one utterance each) a smaller number of
        # folds holds out a larger share, rather than failing.
        largest_class = int(np.bincount(y).max())
        n_splits = int(min(max(2, round(1 / fraction)), n_groups, largest_class))
        if n_splits < 2:
            raise ValueError(
                f"validation_fraction={fraction} with groups: no class has 2 "
                "samples, so no group-aware validation split can be held out; "
                "set validation_fraction=None."
            )
        cv = StratifiedGroupKFold(
            n_splits=n_splits, shuffle=True,
            random_state=rng.randint(np.iinfo(np.int32).max),
        )
        _, valid = next(cv.split(np.zeros(n), y, groups))
    else:
        counts = np.bincount(y)
        if counts[counts > 0].min() < 2:
            raise ValueError(
                "A class of y has a single sample, so no stratified validation "
                "split can be held out; set validation_fraction=None."
            )
        n_valid = max(int(np.ceil(fraction * n)), n_classes)
        if n - n_valid < n_classes:
            raise ValueError(
                f"validation_fraction={fraction} leaves too few of the {n} "
                "samples for training; lower it or set validation_fraction=None."
            )
        cv = StratifiedShuffleSplit(
            n_splits=1, test_size=n_valid,
            random_state=rng.randint(np.iinfo(np.int32).max),
        )
        _, valid = next(cv.split(np.zeros(n), y))
    return np.sort(valid).astype(np.int64)


def class_weights(class_weight, classes, y_train):
    """Weight of each class in the loss, or None.

    Parameters
    ----------
    class_weight : "balanced", dict or None
        The ``class_weight`` parameter of SERClassifier.
    classes : ndarray of shape (n_classes,)
        The classes.
    y_train : ndarray of shape (n_train,)
        Encoded labels of the training part (validation split excluded).

    Returns
    -------
    weights : ndarray of shape (n_classes,) or None
    """
    n_classes = len(classes)
    if class_weight is None:
        return None
    if isinstance(class_weight, dict):
        unknown = set(class_weight) - set(classes.tolist())
        if unknown:
            raise ValueError(
                f"class_weight has label(s) {sorted(map(str, unknown))} that are "
                f"not among the classes {classes.tolist()}."
            )
        weights = []
        for c in classes.tolist():
            w = class_weight.get(c, 1.0)
            ok = (isinstance(w, numbers.Real) and not isinstance(w, (bool, np.bool_))
                  and np.isfinite(w) and w >= 0)
            if not ok:
                raise ValueError(
                    f"class_weight[{c!r}] is {w!r}; expected a finite, "
                    "non-negative number."
                )
            weights.append(float(w))
        if not any(weights):
            raise ValueError("class_weight gives every class a weight of 0; at "
                             "least one class needs a positive weight.")
        return np.array(weights)
    counts = np.bincount(y_train, minlength=n_classes)
    if (counts == 0).any():
        missing = classes[counts == 0].tolist()
        raise ValueError(
            f"Class(es) {missing} have no training sample once the validation "
            "split is held out, so balanced class weights are undefined. Use "
            "more data per class or group, or set validation_fraction=None."
        )
    return y_train.size / (n_classes * counts)
