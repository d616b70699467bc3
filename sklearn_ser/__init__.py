"""sklearn-ser: speech emotion recognition with scikit-learn estimators.

The pipeline of the library, each step a scikit-learn estimator:

1. :class:`LLDExtractor` -- openSMILE low-level descriptors per frame,
2. :class:`PadCrop` -- pad/crop to a fixed number of frames (NaN padding),
3. :class:`NeutralStandardScaler` -- normalise with the neutral utterances,
4. :class:`SERClassifier` -- BiLSTM network with attention pooling.
"""

from ._classifier import SERClassifier
from ._lld import LLDExtractor
from ._padcrop import PadCrop
from ._scaler import NeutralStandardScaler
from ._version import __version__
from .metrics import (
    SCORING,
    ua_scorer,
    unweighted_accuracy,
    wa_scorer,
    wa_ua_score,
    wa_ua_scorer,
    weighted_accuracy,
)

__all__ = [
    "LLDExtractor",
    "NeutralStandardScaler",
    "PadCrop",
    "SERClassifier",
    "SCORING",
    "__version__",
    "ua_scorer",
    "unweighted_accuracy",
    "wa_scorer",
    "wa_ua_score",
    "wa_ua_scorer",
    "weighted_accuracy",
]
