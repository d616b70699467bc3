"""Frame features of audio: the openSMILE low-level descriptors, the frames of
pretrained speech encoders, their functionals, and the audio input they are
computed from.

The names are also importable from :mod:`sklearn_ser` itself.
"""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, {
    "LLDExtractor": "._lld",
    "EncoderExtractor": "._encoder",
    "Functionals": "._functionals",
    "AudioWarning": "._notes",
})
