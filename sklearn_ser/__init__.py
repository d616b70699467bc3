"""sklearn-ser: speech emotion recognition with scikit-learn estimators.

The pipeline of the library, each step a scikit-learn estimator:

1. :class:`LLDExtractor` -- openSMILE low-level descriptors per frame (or
   :class:`EncoderExtractor` -- the frames of a pretrained speech encoder),
2. :class:`PadCrop` -- pad/crop to a fixed number of frames (NaN padding),
3. :class:`NeutralStandardScaler` -- normalise with the neutral utterances
   (or :class:`SpeakerStandardScaler` -- each speaker with its own data),
4. :class:`SERClassifier` -- BiLSTM network with attention pooling (or
   :class:`SERRegressor`, the same network for emotion dimensions such as
   valence, arousal and dominance).

:func:`make_ser_pipeline` chains them; :func:`make_baseline_pipeline` builds
the reference beside it (:class:`Functionals` of the same LLDs and a
scikit-learn classifier); :func:`evaluate_sessions` runs the
leave-one-session-out protocol with the WA/UA metrics (or the CCC of
each dimension) of :mod:`sklearn_ser.metrics`; :func:`save` and :func:`load` store fitted
pipelines without pickle; :func:`predict_timeline` and
:class:`StreamingRecognizer` turn a fitted pipeline into an emotion timeline
of a recording of any length, which :class:`TimelineDisplay` draws;
:mod:`sklearn_ser.datasets` loads IEMOCAP, EmoDB and RAVDESS and synthesises
an emotional speech corpus.
"""

from ._version import __version__
from .features._encoder import EncoderExtractor
from .features._functionals import Functionals
from .features._lld import LLDExtractor
from .features._notes import AudioWarning
from .metrics import (
    CCC_SCORING,
    SCORING,
    ccc_scorer,
    concordance_correlation_coefficient,
    ua_scorer,
    unweighted_accuracy,
    wa_scorer,
    wa_ua_score,
    wa_ua_scorer,
    weighted_accuracy,
)
from .network._classifier import SERClassifier
from .network._regressor import SERRegressor
from .persistence._onnx import export_onnx
from .persistence._save_load import load, save
from .pipeline._attention_plot import AttentionDisplay
from .pipeline._evaluation import evaluate_sessions
from .pipeline._factories import make_baseline_pipeline, make_ser_pipeline
from .pipeline._results import RegressionEvaluation, SessionEvaluation
from .preprocessing._padcrop import PadCrop
from .preprocessing._scaler import NeutralStandardScaler
from .preprocessing._speaker import SpeakerStandardScaler
from .timeline._display import TimelineDisplay
from .timeline._segments import predict_timeline
from .timeline._streaming import StreamingRecognizer

__all__ = [
    "CCC_SCORING",
    "SCORING",
    "AttentionDisplay",
    "AudioWarning",
    "EncoderExtractor",
    "Functionals",
    "LLDExtractor",
    "NeutralStandardScaler",
    "PadCrop",
    "RegressionEvaluation",
    "SERClassifier",
    "SERRegressor",
    "SessionEvaluation",
    "SpeakerStandardScaler",
    "StreamingRecognizer",
    "TimelineDisplay",
    "__version__",
    "ccc_scorer",
    "concordance_correlation_coefficient",
    "evaluate_sessions",
    "export_onnx",
    "load",
    "make_baseline_pipeline",
    "make_ser_pipeline",
    "predict_timeline",
    "save",
    "ua_scorer",
    "unweighted_accuracy",
    "wa_scorer",
    "wa_ua_score",
    "wa_ua_scorer",
    "weighted_accuracy",
]
