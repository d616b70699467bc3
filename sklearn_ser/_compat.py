"""The private names of scikit-learn and skorch that the library uses.

Every private import from scikit-learn and every private method, attribute
or argument of skorch's nets goes through this module, so that a release
that renames or removes one breaks one place, loudly
(``tests/test_compat.py`` checks each of them). Beside each name: the
versions it is known to work with. The low end is the floor that
``pyproject.toml`` declares and ``make test-min`` tests; the high end is
the newest release the test suite passed with, and the upper bound of the
dependency in ``pyproject.toml`` stays below the next release until the
suite has passed with it.

Names with a public path are imported from it, not from here (e.g.
:func:`sklearn.utils.metaestimators.available_if`).
"""

import sklearn
import skorch

# scikit-learn: each known to work from 1.6 (the floor) to 1.9 (tested), see
# SKLEARN_PRIVATE; the release that brought it in is beside it.
from sklearn.base import _fit_context  # 1.3
from sklearn.calibration import _CalibratedClassifier, _SigmoidCalibration  # 0.24
from sklearn.utils import _safe_indexing  # 0.22
from sklearn.utils._optional_dependencies import check_matplotlib_support  # 1.3
from sklearn.utils._param_validation import (  # 1.2
    HasMethods,
    Interval,
    InvalidParameterError,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.validation import (
    _check_feature_names_in,  # 1.0
    _check_method_params,  # 1.4 (``_check_fit_params`` before)
)
from skorch import NeuralNet

__all__ = [
    "SKLEARN_PRIVATE",
    "SKORCH_PRIVATE",
    "HasMethods",
    "Interval",
    "InvalidParameterError",
    "StrOptions",
    "_CalibratedClassifier",
    "_SigmoidCalibration",
    "_check_feature_names_in",
    "_check_method_params",
    "_fit_context",
    "_safe_indexing",
    "check_matplotlib_support",
    "initialize_criterion",
    "optimizer_names",
    "partial_fit",
    "predict_nonlinearity",
    "set_training",
    "validate_params",
    "validate_parameter_constraints",
]

#: The scikit-learn versions the names above are known to work with.
SKLEARN_PRIVATE = {
    "sklearn.base._fit_context": ("1.6", "1.9"),
    "sklearn.utils._safe_indexing": ("1.6", "1.9"),
    "sklearn.utils._optional_dependencies.check_matplotlib_support": ("1.6", "1.9"),
    "sklearn.utils._param_validation.HasMethods": ("1.6", "1.9"),
    "sklearn.utils._param_validation.Interval": ("1.6", "1.9"),
    "sklearn.utils._param_validation.InvalidParameterError": ("1.6", "1.9"),
    "sklearn.utils._param_validation.StrOptions": ("1.6", "1.9"),
    "sklearn.utils._param_validation.validate_parameter_constraints": ("1.6", "1.9"),
    "sklearn.utils.validation._check_feature_names_in": ("1.6", "1.9"),
    "sklearn.utils.validation._check_method_params": ("1.6", "1.9"),
    "sklearn.base.BaseEstimator._validate_params": ("1.6", "1.9"),
    # the fitted parts of a CalibratedClassifierCV, which model files hold
    "sklearn.calibration._CalibratedClassifier": ("1.6", "1.9"),
    "sklearn.calibration._SigmoidCalibration": ("1.6", "1.9"),
}


def validate_params(estimator):
    """Validate ``estimator``'s parameters against its ``_parameter_constraints``.

    ``BaseEstimator._validate_params`` (scikit-learn 1.6 to 1.9).
    """
    estimator._validate_params()


# -- skorch: 1.4 (the floor) to 1.4 (tested) ------------------------------

#: The private parts of :class:`skorch.NeuralNet` that the networks use or
#: override, and the skorch versions they are known to work with.
SKORCH_PRIVATE = {
    # the argument that makes the routing of fit parameters follow the
    # public entry point (fit or partial_fit)
    "NeuralNet.partial_fit(_routing_method=)": ("1.4", "1.4"),
    "NeuralNet._initialize_criterion": ("1.4", "1.4"),
    "NeuralNet._set_training": ("1.4", "1.4"),
    "NeuralNet._get_predict_nonlinearity": ("1.4", "1.4"),
    "NeuralNet._optimizers": ("1.4", "1.4"),
    # overridden by the networks: their default callbacks, and the step of
    # the optimizers through a GradScaler in fp16 training
    "NeuralNet._default_callbacks": ("1.4", "1.4"),
    "NeuralNet._step_optimizer": ("1.4", "1.4"),
}

SKLEARN_VERSION = sklearn.__version__
SKORCH_VERSION = skorch.__version__


def partial_fit(net, X, y, routing_method, **fit_params):
    """``NeuralNet.partial_fit`` of ``net``, routing ``fit_params`` as ``routing_method``.

    Parameters
    ----------
    net : skorch.NeuralNet
        The net (the skorch base method is called, not an override).
    X, y
        The training data as skorch takes it.
    routing_method : {"fit", "partial_fit"}
        The public method whose metadata routing applies.
    **fit_params : dict
        Passed to skorch.

    Returns
    -------
    net : skorch.NeuralNet
    """
    return NeuralNet.partial_fit(net, X, y, _routing_method=routing_method,
                                 **fit_params)


def initialize_criterion(net):
    """Rebuild the loss of ``net`` from its current parameters."""
    return net._initialize_criterion()


def set_training(net, training):
    """Put ``net``'s modules in training (True) or evaluation (False) mode."""
    net._set_training(training)


def predict_nonlinearity(net):
    """The function that turns ``net``'s outputs into predictions (e.g. softmax)."""
    return net._get_predict_nonlinearity()


def optimizer_names(net):
    """Names of ``net``'s optimizers (each fitted as ``<name>_``)."""
    return net._optimizers
