"""The pipelines of the library, what a pipeline is, and their evaluation.

The names are also importable from :mod:`sklearn_ser` itself.
"""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, {
    "make_ser_pipeline": "._factories",
    "make_baseline_pipeline": "._factories",
    "evaluate_sessions": "._evaluation",
    "SessionEvaluation": "._results",
    "RegressionEvaluation": "._results",
    "AttentionDisplay": "._attention_plot",
})
