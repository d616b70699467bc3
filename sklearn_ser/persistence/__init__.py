"""Saving, loading and deploying fitted pipelines.

The names are also importable from :mod:`sklearn_ser` itself.
"""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, {
    "save": "._save",
    "load": "._load",
    "export_onnx": "._onnx",
})
