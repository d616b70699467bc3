"""Emotion over recordings of any length: offline, streamed and drawn.

The names are also importable from :mod:`sklearn_ser` itself.
"""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, {
    "predict_timeline": "._segments",
    "StreamingRecognizer": "._streaming",
    "TimelineDisplay": "._display",
})
