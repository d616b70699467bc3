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

from ._lazy import attach
from ._version import __version__

#: Public name -> the module that defines it, imported on first use: ``import
#: sklearn_ser`` (and the command line's ``--help``) loads no heavy library.
_NAMES = {
    "EncoderExtractor": ".features._encoder",
    "Functionals": ".features._functionals",
    "LLDExtractor": ".features._lld",
    "AudioWarning": ".features._notes",
    **dict.fromkeys(
        ["CCC_SCORING", "SCORING", "ccc_scorer", "concordance_correlation_coefficient",
         "ua_scorer", "unweighted_accuracy", "wa_scorer", "wa_ua_score",
         "wa_ua_scorer", "weighted_accuracy"], ".metrics"),
    "SERClassifier": ".network._classifier",
    "SERRegressor": ".network._regressor",
    "export_onnx": ".persistence._onnx",
    "load": ".persistence._load",
    "save": ".persistence._save",
    "AttentionDisplay": ".pipeline._attention_plot",
    "RegressionEvaluation": ".pipeline._results",
    "SessionEvaluation": ".pipeline._results",
    "evaluate_sessions": ".pipeline._evaluation",
    "make_baseline_pipeline": ".pipeline._factories",
    "make_ser_pipeline": ".pipeline._factories",
    "PadCrop": ".preprocessing._padcrop",
    "NeutralStandardScaler": ".preprocessing._scaler",
    "SpeakerStandardScaler": ".preprocessing._speaker",
    "TimelineDisplay": ".timeline._display",
    "predict_timeline": ".timeline._segments",
    "StreamingRecognizer": ".timeline._streaming",
}
#: The submodules reachable as attributes (``sklearn_ser.metrics.SCORING``).
_SUBMODULES = ("dask", "datasets", "features", "metrics", "network", "persistence",
               "pipeline", "preprocessing", "timeline")

_getattr, _dir, _ = attach(__name__, _NAMES)


def __getattr__(name):
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    return _getattr(name)


def __dir__():
    return sorted({*globals(), *_dir(), *_SUBMODULES})


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
