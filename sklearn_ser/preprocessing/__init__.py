"""Sequences of frames to fixed-size, normalised arrays.

The names are also importable from :mod:`sklearn_ser` itself.
"""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, {
    "PadCrop": "._padcrop",
    "NeutralStandardScaler": "._scaler",
    "SpeakerStandardScaler": "._speaker",
})
