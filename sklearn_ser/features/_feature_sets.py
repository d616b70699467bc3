"""The openSMILE feature sets of LLDExtractor: configurations, names, frames.

Each set is one configuration file shipped in ``sklearn_ser/data`` that
computes all its frame features in one openSMILE pass, the names of its
columns (openSMILE's own, checked against the configuration when an
instance starts) and the longest analysis window of its frames, which sets
how many frames a signal gives. Every set has one frame every 10 ms, the
first starting at the first sample.
"""

from dataclasses import dataclass

from .._paper import FRAME_WINDOW

__all__ = ["FEATURE_SET_NAMES", "FeatureSet", "get_feature_set"]


@dataclass(frozen=True)
class FeatureSet:
    """One openSMILE feature set of :class:`~sklearn_ser.LLDExtractor`.

    Attributes
    ----------
    name : str
        The value of ``LLDExtractor(feature_set=...)``.
    config : str
        File name of its configuration in ``sklearn_ser/data``.
    feature_names : tuple of str
        openSMILE's names of the columns, in output order.
    window : float
        Seconds of the longest analysis window of a frame: a signal of ``N``
        samples gives ``1 + (N - W) // S`` frames (``W`` this window, ``S``
        10 ms, in samples).
    stock : str
        The member of ``opensmile.FeatureSet`` whose low-level descriptors
        (and deltas, where the set has them) the columns equal.
    title : str
        What the set is, in a few words.
    """

    name: str
    config: str
    feature_names: tuple
    window: float
    stock: str
    title: str

    @property
    def n_features(self):
        """Number of columns."""
        return len(self.feature_names)


def _deltas(names):
    """openSMILE's names of the deltas: ``_de`` before any ``[k]`` index."""
    out = []
    for name in names:
        base, bracket, index = name.partition("[")
        out.append(f"{base}_de{bracket}{index}")
    return tuple(out)


_IS09 = (
    "F0_sma",
    "pcm_RMSenergy_sma",
    "pcm_zcr_sma",
    "voiceProb_sma",
    *(f"pcm_fftMag_mfcc_sma[{k}]" for k in range(1, 13)),
)

_EGEMAPS = (
    "Loudness_sma3",
    "alphaRatio_sma3",
    "hammarbergIndex_sma3",
    "slope0-500_sma3",
    "slope500-1500_sma3",
    "spectralFlux_sma3",
    *(f"mfcc{k}_sma3" for k in range(1, 5)),
    "F0semitoneFrom27.5Hz_sma3nz",
    "jitterLocal_sma3nz",
    "shimmerLocaldB_sma3nz",
    "HNRdBACF_sma3nz",
    "logRelF0-H1-H2_sma3nz",
    "logRelF0-H1-A3_sma3nz",
    *(f"F{k}{what}_sma3nz" for k in (1, 2, 3)
      for what in ("frequency", "bandwidth", "amplitudeLogRelF0")),
)

_COMPARE = (
    "F0final_sma",
    "voicingFinalUnclipped_sma",
    "jitterLocal_sma",
    "jitterDDP_sma",
    "shimmerLocal_sma",
    "logHNR_sma",
    "audspec_lengthL1norm_sma",
    "audspecRasta_lengthL1norm_sma",
    "pcm_RMSenergy_sma",
    "pcm_zcr_sma",
    *(f"audSpec_Rfilt_sma[{k}]" for k in range(26)),
    "pcm_fftMag_fband250-650_sma",
    "pcm_fftMag_fband1000-4000_sma",
    *(f"pcm_fftMag_spectralRollOff{p}_sma" for p in ("25.0", "50.0", "75.0", "90.0")),
    *(f"pcm_fftMag_{what}_sma" for what in (
        "spectralFlux", "spectralCentroid", "spectralEntropy", "spectralVariance",
        "spectralSkewness", "spectralKurtosis", "spectralSlope", "psySharpness",
        "spectralHarmonicity")),
    *(f"mfcc_sma[{k}]" for k in range(1, 15)),
)

FEATURE_SETS = {
    "is09": FeatureSet(
        name="is09",
        config="is09_lld_delta.conf",
        feature_names=_IS09 + _deltas(_IS09),
        window=FRAME_WINDOW,
        stock="IS09",
        title="the paper's 16 IS09 emotion LLDs and their deltas",
    ),
    "egemaps": FeatureSet(
        name="egemaps",
        config="egemaps_lld.conf",
        feature_names=_EGEMAPS,
        window=0.060,
        stock="eGeMAPSv02",
        title="the 25 eGeMAPS v02 LLDs (openSMILE defines no deltas for them)",
    ),
    "compare": FeatureSet(
        name="compare",
        config="compare_lld_delta.conf",
        feature_names=_COMPARE + _deltas(_COMPARE),
        window=0.060,
        stock="ComParE_2016",
        title="the 65 ComParE 2016 LLDs and their deltas",
    ),
}

FEATURE_SET_NAMES = tuple(FEATURE_SETS)
"""The values of ``LLDExtractor(feature_set=...)``."""


def get_feature_set(name):
    """The :class:`FeatureSet` called ``name``.

    Parameters
    ----------
    name : str
        One of :data:`FEATURE_SET_NAMES`.

    Returns
    -------
    feature_set : FeatureSet

    Raises
    ------
    ValueError
        If ``name`` is not a feature set.

    Examples
    --------
    >>> from sklearn_ser.features._feature_sets import get_feature_set
    >>> spec = get_feature_set("compare")
    >>> spec.n_features, spec.window, spec.feature_names[65]
    (130, 0.06, 'F0final_sma_de')
    """
    try:
        return FEATURE_SETS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"feature_set must be one of {list(FEATURE_SET_NAMES)}, got {name!r}."
        ) from None
