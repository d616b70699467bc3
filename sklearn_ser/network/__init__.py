"""The BiLSTM attention networks as skorch estimators.

The names are also importable from :mod:`sklearn_ser` itself.
"""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, {
    "SERClassifier": "._classifier",
    "SERRegressor": "._regressor",
})
