"""The library's pipelines: the paper's network and the functionals baseline."""

import numpy as np
from sklearn.feature_selection import VarianceThreshold
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from .._paper import N_FRAMES
from ..features._functionals import Functionals
from ..features._lld import LLDExtractor
from ..network._classifier import SERClassifier
from ..network._regressor import SERRegressor
from ..preprocessing._padcrop import PadCrop
from ..preprocessing._scaler import NeutralStandardScaler
from ..preprocessing._speaker import SpeakerStandardScaler

NORMALIZATIONS = ("neutral", "speaker")
"""Values of the ``normalization`` parameter of the pipeline factories."""

TASKS = ("classification", "regression")
"""Values of the ``task`` parameter: emotion categories or dimensions."""

#: The step name and the network estimator of each task.
_NETWORK_STEP = {"classification": ("classifier", SERClassifier),
                 "regression": ("regressor", SERRegressor)}

#: Training recipes of :func:`make_ser_pipeline`: ``n_frames`` and the
#: :class:`~sklearn_ser.SERClassifier` parameters that differ from its
#: defaults (which are the paper's).
RECIPES = {
    "paper": {"n_frames": N_FRAMES},
    "fast": {
        "n_frames": 300,
        "hidden_units": 64,
        "lstm_units": 32,
        "attention_units": 32,
        "noise_variance": 0.1,
        "lr": 3e-3,
        "lr_schedule": "cosine",
        "l2": 0.0,
        "batch_size": 16,
        "max_epochs": 20,
        "validation_fraction": None,
    },
}


def _check_choice(value, name, choices):
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}.")


def _neutral_scaler(task):
    """The neutral scaler of a task: emotion dimensions name no neutral class,
    so their scaler standardises with every training sample."""
    return NeutralStandardScaler(neutral_label="neu" if task == "classification"
                                 else None)


def recipe_params(recipe):
    """The parameters of a training recipe of :func:`make_ser_pipeline`.

    Parameters
    ----------
    recipe : {"paper", "fast"}
        Name of the recipe.

    Returns
    -------
    params : dict
        ``n_frames`` and the :class:`~sklearn_ser.SERClassifier` parameters
        the recipe sets (a copy; the ``"paper"`` recipe keeps the
        classifier's defaults, which are the paper's values).

    Examples
    --------
    >>> from sklearn_ser.pipeline._factories import recipe_params
    >>> recipe_params("paper")
    {'n_frames': 500}
    """
    _check_choice(recipe, "recipe", RECIPES)
    return dict(RECIPES[recipe])


def make_ser_pipeline(attention="lstm", *, n_frames=None, normalization="neutral",
                      recipe="paper", task="classification", memory=None, n_jobs=None,
                      **classifier_params):
    """Build the speech emotion recognition pipeline of the paper.

    The pipeline of Ramet et al. [1]_ takes audio (wav paths or 1-D waveforms) and labels, and
    chains four named steps. With ``normalization="neutral"`` (the paper's):

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

    With ``normalization="speaker"`` the ``scaler`` step is a
    :class:`~sklearn_ser.SpeakerStandardScaler` and comes right after
    ``lld`` (steps ``lld``, ``scaler``, ``padcrop``, ``classifier``): every
    speaker's frames are standardised with the mean and standard deviation
    of all the frames of that speaker, training and test speakers alike,
    without labels. The speaker of each sample must then travel with the
    audio: pass ``X`` as a pandas DataFrame with the audio in a ``"file"``
    (or ``"audio"``) column and the speaker in a ``"speaker"`` column, or
    use ``evaluate_sessions(..., speakers=...)``.

    With ``task="regression"`` the last step is ``regressor``, a
    :class:`~sklearn_ser.SERRegressor` (the same network with one linear
    output per target) for emotion dimensions such as valence, arousal and
    dominance; ``y`` is then an ``(n_samples, n_targets)`` float array. A
    :class:`~sklearn_ser.NeutralStandardScaler` has no neutral label to
    select among such targets and standardises with all the training
    utterances.

    Parameters
    ----------
    attention : {"lstm", "mean", "zhou", "yang"}, default="lstm"
        Pooling of the network; ``"lstm"`` is the paper's proposed model,
        ``"zhou"`` and ``"yang"`` the attention mechanisms of Zhou et al.
        [2]_ and Yang et al. [3]_ it compares with, ``"mean"`` the
        baseline.
    n_frames : int or None, default=None
        Frames per utterance after padding/cropping; None takes the recipe's
        (500 = 5 s for ``"paper"``).
    normalization : {"neutral", "speaker"}, default="neutral"
        ``"neutral"``: the paper's standardisation with the neutral training
        utterances; ``"speaker"``: per-speaker standardisation (see above).
    recipe : {"paper", "fast"}, default="paper"
        Training budget. ``"paper"`` keeps the paper's values (Adam lr 3e-5,
        L2 5e-2, 200 epochs, batch 32, the network at full size, 500
        frames), which need hours per fold on a CPU. ``"fast"`` is the
        library's short-budget configuration of the same architecture,
        chosen by measurement on development draws of the synthetic corpus
        (see the user guide): 300 frames, 64 hidden, 32 LSTM and 32
        attention units, noise variance 0.1, no L2, Adam lr 3e-3 with a
        cosine decay over 20 epochs, batch 16, and training on all the
        training speakers (``validation_fraction=None``, the last epoch is
        kept); it trains in about two minutes per fold of 800 utterances on
        one CPU core.
    task : {"classification", "regression"}, default="classification"
        Emotion categories (:class:`~sklearn_ser.SERClassifier`, step
        ``classifier``) or dimensions (:class:`~sklearn_ser.SERRegressor`,
        step ``regressor``); the recipes apply to both.
    memory : str, path or joblib.Memory, default=None
        Feature cache of the extractor. With a cache, every audio file is
        extracted once, whatever the number of folds or of candidates of a
        grid search, and the same cache serves
        :func:`make_baseline_pipeline`.
    n_jobs : int, default=None
        Parallel jobs of the feature extraction.
    **classifier_params
        Parameters of :class:`~sklearn_ser.SERClassifier` (or
        :class:`~sklearn_ser.SERRegressor`): ``max_epochs``, ``lr``,
        ``random_state``, ...; they override the recipe's.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Unfitted pipeline. Other step parameters are reached with
        ``set_params``, e.g. ``pipeline.set_params(lld__sampling_rate=8000)``.

    See Also
    --------
    make_baseline_pipeline : Functionals and a scikit-learn classifier, the
        reference to report beside the network.
    evaluate_sessions : Leave-one-session-out evaluation of the pipeline.

    References
    ----------
    .. [1] G. Ramet, P. N. Garner, M. Baeriswyl and A. Lazaridis,
       "Context-aware attention mechanism for speech emotion
       recognition," in *Proc. IEEE Spoken Language Technology Workshop
       (SLT)*, Athens, Greece, 2018.
    .. [2] P. Zhou, W. Shi, J. Tian, Z. Qi, B. Li, H. Hao and B. Xu,
       "Attention-Based Bidirectional Long Short-Term Memory Networks for
       Relation Classification," in *Proc. 54th Annual Meeting of the
       Association for Computational Linguistics (ACL 2016), Volume 2:
       Short Papers*, Berlin, Germany, 2016, pp. 207--212.
    .. [3] Z. Yang, D. Yang, C. Dyer, X. He, A. Smola and E. Hovy,
       "Hierarchical Attention Networks for Document Classification," in
       *Proc. 2016 Conference of the North American Chapter of the
       Association for Computational Linguistics: Human Language
       Technologies (NAACL-HLT 2016)*, San Diego, California, 2016,
       pp. 1480--1489.

    Examples
    --------
    >>> from sklearn_ser import make_ser_pipeline
    >>> pipe = make_ser_pipeline(attention="mean", n_frames=300, max_epochs=5)
    >>> [name for name, _ in pipe.steps]
    ['lld', 'padcrop', 'scaler', 'classifier']
    >>> pipe.get_params()["classifier__attention"]
    'mean'
    >>> fast = make_ser_pipeline(normalization="speaker", recipe="fast")
    >>> [name for name, _ in fast.steps]
    ['lld', 'scaler', 'padcrop', 'classifier']
    >>> name, step = make_ser_pipeline(task="regression", recipe="fast").steps[-1]
    >>> name, type(step).__name__, step.loss
    ('regressor', 'SERRegressor', 'ccc')
    """
    _check_choice(normalization, "normalization", NORMALIZATIONS)
    _check_choice(task, "task", TASKS)
    params = recipe_params(recipe)
    recipe_frames = params.pop("n_frames")
    params.update(classifier_params)
    padcrop = ("padcrop", PadCrop(n_frames=recipe_frames if n_frames is None
                                  else n_frames))
    lld = ("lld", LLDExtractor(memory=memory, n_jobs=n_jobs))
    name, network = _NETWORK_STEP[task]
    classifier = (name, network(attention=attention, **params))
    if normalization == "speaker":
        steps = [lld, ("scaler", SpeakerStandardScaler()), padcrop, classifier]
    else:
        steps = [lld, padcrop, ("scaler", _neutral_scaler(task)), classifier]
    return Pipeline(steps)


def make_baseline_pipeline(classifier=None, *, normalization="neutral",
                           task="classification", memory=None, n_jobs=None):
    """Build the functionals baseline: LLDs, their statistics and a classifier.

    The reference that every number of the network belongs beside: the same
    32 LLDs as :func:`make_ser_pipeline`, summarised per utterance by
    :class:`~sklearn_ser.Functionals` (mean, standard deviation,
    percentiles, range and slope of each LLD: 288 features) and classified
    by a scikit-learn classifier. With ``normalization="neutral"`` the steps
    are:

    ``lld``
        :class:`~sklearn_ser.LLDExtractor`.
    ``functionals``
        :class:`~sklearn_ser.Functionals`.
    ``scaler``
        :class:`~sklearn_ser.NeutralStandardScaler` on the functionals.
    ``classifier``
        ``classifier``.

    With ``normalization="speaker"``, the frames are standardised per
    speaker before the functionals, as in :func:`make_ser_pipeline`, and the
    functionals are then standardised over the training data: steps
    ``lld``, ``scaler`` (:class:`~sklearn_ser.SpeakerStandardScaler`),
    ``functionals``, ``drop_constant``
    (:class:`~sklearn.feature_selection.VarianceThreshold` with a threshold
    of ``1e-10``), ``standardize``
    (:class:`~sklearn.preprocessing.StandardScaler`) and ``classifier``.
    ``drop_constant`` removes the functionals that are constant over the
    training utterances up to rounding: a per-speaker standardised
    functional that is constant within each speaker (such as the median of
    the F0 delta, 0 on most frames) differs between speakers only by
    rounding errors, and standardising it with that tiny spread would turn
    a test speaker's value into a number of the order of 1e5. The speakers
    travel with ``X`` as for :func:`make_ser_pipeline`.

    With ``task="regression"`` the last step is named ``regressor`` and
    predicts emotion dimensions.

    Parameters
    ----------
    classifier : scikit-learn estimator or None, default=None
        Any classifier (or, with ``task="regression"``, regressor) taking
        ``(n_samples, n_features)`` input. None uses
        ``SVC(class_weight="balanced")``, a support vector machine with an
        RBF kernel and balanced class weights (the usual openSMILE baseline
        of the field); for regression ``RidgeCV(alphas=np.logspace(-2, 4,
        13))``, ridge regression whose penalty is chosen by efficient
        leave-one-out cross-validation on the training data only.
    normalization : {"neutral", "speaker"}, default="neutral"
        As in :func:`make_ser_pipeline`.
    task : {"classification", "regression"}, default="classification"
        Emotion categories or dimensions, as in :func:`make_ser_pipeline`.
    memory : str, path or joblib.Memory, default=None
        Feature cache of the extractor; give the same one as to
        :func:`make_ser_pipeline` and a comparison extracts each file once.
    n_jobs : int, default=None
        Parallel jobs of the feature extraction.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Unfitted pipeline.

    See Also
    --------
    make_ser_pipeline : The paper's network on the same LLDs.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_ser import make_baseline_pipeline
    >>> pipe = make_baseline_pipeline()
    >>> [name for name, _ in pipe.steps]
    ['lld', 'functionals', 'scaler', 'classifier']
    >>> pipe = make_baseline_pipeline(LogisticRegression(), normalization="speaker")
    >>> [name for name, _ in pipe.steps]
    ['lld', 'scaler', 'functionals', 'drop_constant', 'standardize', 'classifier']
    >>> make_baseline_pipeline(task="regression").steps[-1][0]
    'regressor'
    """
    _check_choice(normalization, "normalization", NORMALIZATIONS)
    _check_choice(task, "task", TASKS)
    if classifier is None:
        classifier = (SVC(class_weight="balanced") if task == "classification"
                      else RidgeCV(alphas=np.logspace(-2, 4, 13)))
    elif not (hasattr(classifier, "fit") and hasattr(classifier, "predict")):
        raise TypeError(
            "classifier must be a scikit-learn estimator (with fit and predict), "
            f"got {classifier!r}."
        )
    last = _NETWORK_STEP[task][0]
    lld = ("lld", LLDExtractor(memory=memory, n_jobs=n_jobs))
    if normalization == "speaker":
        steps = [lld, ("scaler", SpeakerStandardScaler()),
                 ("functionals", Functionals()),
                 ("drop_constant", VarianceThreshold(threshold=1e-10)),
                 ("standardize", StandardScaler()),
                 (last, classifier)]
    else:
        steps = [lld, ("functionals", Functionals()),
                 ("scaler", _neutral_scaler(task)), (last, classifier)]
    return Pipeline(steps)
