"""The library's pipeline: LLDs -> pad/crop -> neutral scaling -> network."""

from sklearn.pipeline import Pipeline

from ._classifier import SERClassifier
from ._lld import LLDExtractor
from ._padcrop import PadCrop
from ._scaler import NeutralStandardScaler


def make_ser_pipeline(attention="lstm", *, n_frames=500, memory=None, n_jobs=None,
                      **classifier_params):
    """Build the speech emotion recognition pipeline of the paper.

    The pipeline takes audio (wav paths or 1-D waveforms) and labels, and
    chains four named steps:

    ``lld``
        :class:`~sklearn_ser.LLDExtractor`: 32 openSMILE low-level descriptors
        per 10 ms frame.
    ``padcrop``
        :class:`~sklearn_ser.PadCrop`: ``n_frames`` frames per utterance,
        padding marked with NaN.
    ``scaler``
        :class:`~sklearn_ser.NeutralStandardScaler`: standardisation with the
        statistics of the neutral training utterances.
    ``classifier``
        :class:`~sklearn_ser.SERClassifier`: BiLSTM network with the chosen
        ``attention`` pooling.

    Parameters
    ----------
    attention : {"lstm", "mean", "zhou", "yang"}, default="lstm"
        Pooling of the network; ``"lstm"`` is the paper's proposed model.
    n_frames : int, default=500
        Frames per utterance after padding/cropping (500 = 5 s).
    memory : str, path or joblib.Memory, default=None
        Feature cache of the extractor. With a cache, every audio file is
        extracted once, whatever the number of folds or of candidates of a
        grid search.
    n_jobs : int, default=None
        Parallel jobs of the feature extraction.
    **classifier_params
        Parameters of :class:`~sklearn_ser.SERClassifier` (``max_epochs``,
        ``lr``, ``random_state``, ...).

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Unfitted pipeline with steps ``lld``, ``padcrop``, ``scaler`` and
        ``classifier``. Other step parameters are reached with
        ``set_params``, e.g. ``pipeline.set_params(lld__sampling_rate=8000)``.

    See Also
    --------
    evaluate_sessions : Leave-one-session-out evaluation of the pipeline.

    Examples
    --------
    >>> from sklearn_ser import make_ser_pipeline
    >>> pipe = make_ser_pipeline(attention="mean", n_frames=300, max_epochs=5)
    >>> [name for name, _ in pipe.steps]
    ['lld', 'padcrop', 'scaler', 'classifier']
    >>> pipe.get_params()["classifier__attention"]
    'mean'
    """
    return Pipeline(
        [
            ("lld", LLDExtractor(memory=memory, n_jobs=n_jobs)),
            ("padcrop", PadCrop(n_frames=n_frames)),
            ("scaler", NeutralStandardScaler()),
            ("classifier", SERClassifier(attention=attention, **classifier_params)),
        ]
    )
