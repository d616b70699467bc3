"""What a pipeline is: the one place that reads the kind of a pipeline.

The factories decide what a pipeline is (its task, normalisation, frame
grid); everything that later needs to know it -- the timeline, the plots,
the ONNX export, model files and the command line -- asks
:func:`describe_pipeline` instead of guessing from option strings or
``isinstance`` checks of its own.
"""

from dataclasses import dataclass

from sklearn.base import is_regressor
from sklearn.pipeline import Pipeline

from .._paper import N_FRAMES
from ..features._audio import frame_params
from ..features._encoder import EncoderExtractor
from ..features._lld import LLDExtractor
from ..network._base import SERNetMixin
from ..preprocessing._padcrop import PadCrop
from ..preprocessing._scaler import NeutralStandardScaler
from ..preprocessing._speaker import SpeakerStandardScaler

__all__ = ["PipelineDescription", "describe_pipeline"]


@dataclass(frozen=True)
class PipelineDescription:
    """The kind of a pipeline (fitted or not), read from its steps.

    Attributes
    ----------
    pipeline : Pipeline or None
        The pipeline; None when a single estimator was described.
    final : estimator
        The last step (the classifier or regressor).
    final_name : str or None
        Its step name.
    extractor : LLDExtractor or None
        The first step, when it is the library's extractor (the pipeline
        then takes audio).
    padcrop : PadCrop or None
        The first :class:`~sklearn_ser.PadCrop` step.
    scaler : NeutralStandardScaler, SpeakerStandardScaler or None
        The first of the library's scalers.
    encoder : EncoderExtractor or None
        The first step, when it is an :class:`~sklearn_ser.EncoderExtractor`
        (its frames are 20 ms apart, not 10 ms).
    """

    pipeline: object
    final: object
    final_name: object
    extractor: object
    padcrop: object
    scaler: object
    encoder: object = None

    @property
    def task(self):
        """``"regression"`` (emotion dimensions) or ``"classification"``."""
        return "regression" if is_regressor(self.final) else "classification"

    @property
    def network(self):
        """The last step when it is one of the library's networks, else None."""
        return self.final if isinstance(self.final, SERNetMixin) else None

    @property
    def normalization(self):
        """``"speaker"``, ``"neutral"`` or None (no scaler of the library)."""
        if isinstance(self.scaler, SpeakerStandardScaler):
            return "speaker"
        if isinstance(self.scaler, NeutralStandardScaler):
            return "neutral"
        return None

    @property
    def needs_speakers(self):
        """Whether ``X`` must carry the speaker of each utterance."""
        return self.normalization == "speaker"

    @property
    def speaker_column(self):
        """The DataFrame column the speakers travel in, or None."""
        return self.scaler.speaker_column if self.needs_speakers else None

    @property
    def takes_audio(self):
        """Whether the pipeline starts from audio (an ``LLDExtractor`` first)."""
        return self.extractor is not None

    @property
    def has_proba(self):
        """Whether the pipeline gives class probabilities."""
        return self.task == "classification" and hasattr(self.final, "predict_proba")

    @property
    def sampling_rate(self):
        """The sampling rate in Hz of the extractor (or encoder), or None."""
        first = self.extractor if self.extractor is not None else self.encoder
        return None if first is None else int(first.sampling_rate)

    @property
    def frame_step(self):
        """Seconds between two frames of the extractor (or encoder), or None.

        An encoder's step comes from its checkpoint (loaded once per
        process): 20 ms for every supported type.
        """
        if self.encoder is not None:
            return self.encoder._frame_step()
        rate = self.sampling_rate
        return None if rate is None else frame_params(rate)[1] / rate

    @property
    def n_frames(self):
        """Frames per utterance of the ``PadCrop`` step, or None."""
        return None if self.padcrop is None else int(self.padcrop.n_frames)

    @property
    def window(self):
        """Seconds the model was trained to see: ``n_frames`` (5 s without)."""
        frames = N_FRAMES if self.padcrop is None else int(self.padcrop.n_frames)
        step = self.frame_step if self.frame_step is not None else 0.010
        return frames * step

    @property
    def feature_names(self):
        """Names of the extractor's frame features, or None."""
        if self.extractor is None:
            return None
        return [str(n) for n in self.extractor.get_feature_names_out()]


def describe_pipeline(estimator):
    """Describe a pipeline of the library (or one estimator).

    Parameters
    ----------
    estimator : Pipeline or estimator
        A pipeline such as :func:`~sklearn_ser.make_ser_pipeline` or
        :func:`~sklearn_ser.make_baseline_pipeline` build, fitted or not,
        or a single estimator.

    Returns
    -------
    description : PipelineDescription

    Raises
    ------
    TypeError
        If ``estimator`` is a ``Pipeline`` without steps or not an
        estimator (no ``fit``).

    Examples
    --------
    >>> from sklearn_ser import make_ser_pipeline
    >>> from sklearn_ser.pipeline._describe import describe_pipeline
    >>> kind = describe_pipeline(make_ser_pipeline(normalization="speaker",
    ...                                            recipe="fast"))
    >>> kind.task, kind.normalization, kind.needs_speakers, kind.n_frames
    ('classification', 'speaker', True, 300)
    >>> round(kind.window, 2), kind.final_name
    (3.0, 'classifier')
    """
    if isinstance(estimator, Pipeline):
        steps = [(name, step) for name, step in estimator.steps
                 if step is not None and step != "passthrough"]
        if not steps:
            raise TypeError("the pipeline has no steps; expected a pipeline of the "
                            "library, e.g. make_ser_pipeline().")
        pipeline = estimator
    else:
        if not hasattr(estimator, "fit"):
            raise TypeError(f"expected a pipeline or an estimator, got "
                            f"{type(estimator).__name__}.")
        steps, pipeline = [(None, estimator)], None
    first = steps[0][1]

    def first_of(classes):
        return next((s for _, s in steps if isinstance(s, classes)), None)

    return PipelineDescription(
        pipeline=pipeline,
        final=steps[-1][1],
        final_name=steps[-1][0],
        extractor=first if isinstance(first, LLDExtractor) else None,
        encoder=first if isinstance(first, EncoderExtractor) else None,
        padcrop=first_of(PadCrop),
        scaler=first_of((NeutralStandardScaler, SpeakerStandardScaler)),
    )
