"""LLDExtractor: frame-level openSMILE low-level descriptors.

The estimator: inputs are checked (:mod:`._audio`), extracted serially or
in chunks on joblib workers (:mod:`._extraction`: the feature cache, the
openSMILE engine of the feature set), and the problems of every bad file
are raised together (:mod:`._dispatch`).
"""

import numbers
import os

import joblib
import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from .._compat import HasMethods, Interval, StrOptions, _fit_context, validate_params
from .._validation import FEATURE_RATES, frame_with_features, is_dataframe
from ..persistence._registry import register
from ._audio import check_input, describe
from ._bounds import MAX_DURATION, DurationBound
from ._cache import check_memory
from ._dispatch import audio_column_of, collect, in_dask_task
from ._extraction import extract_items
from ._feature_sets import FEATURE_SET_NAMES, get_feature_set
from ._notes import warn_notes

__all__ = ["LLDExtractor"]


# ---------------------------------------------------------------------------
# Estimator
# ---------------------------------------------------------------------------

class LLDExtractor(TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    """Frame-level openSMILE low-level descriptors (by default the paper's 32).

    With the default ``feature_set="is09"``, computes for every 25 ms Hamming
    window shifted by 10 ms (100 frames per second) the 16 low-level
    descriptors of openSMILE's INTERSPEECH 2009 emotion set (``IS09``) [1]_ -- F0,
    RMS energy, zero-crossing rate, voicing probability and MFCC 1-12, each
    smoothed with a 3-frame moving average -- followed by the first delta of
    each of these 16. All 32 come from ONE openSMILE pass with a config file
    shipped in the package (``sklearn_ser/data/is09_lld_delta.conf``: the
    IS09 LLD components, ``cContourSmoother``, ``cDeltaRegression`` and
    ``cVectorConcat``), so LLDs and deltas share the same frames. On the
    same samples, the 16 LLD columns equal the stock ``IS09`` LLD output
    frame by frame and the delta columns its delta output (the ``opensmile``
    package itself first quantises float signals to 16 bits, which openSMILE
    reads back with a scale of 1/32767).

    ``feature_set="egemaps"`` gives the 25 low-level descriptors of eGeMAPS
    v02 [2]_ and ``feature_set="compare"`` the 65 of ComParE [3]_ [4]_
    followed by their 65 deltas, each also in one pass with a shipped config
    (see the Notes). Their columns equal the stock sets' low-level descriptors (and
    ComParE's deltas) frame by frame.

    The transformer is stateless: :meth:`fit` only validates the parameters.

    Parameters
    ----------
    feature_set : {"is09", "egemaps", "compare"}, default="is09"
        The openSMILE feature set: ``"is09"``, the paper's 32 (16 IS09
        emotion LLDs and their deltas); ``"egemaps"``, the 25 LLDs of the
        extended Geneva Minimalistic Acoustic Parameter Set v02 (pitch by
        subharmonic summation, jitter, shimmer, formants, loudness, spectral
        balance, MFCC 1-4; openSMILE defines no deltas for it);
        ``"compare"``, the 65 LLDs of the ComParE 2016 set (pitch, voice
        quality, 26 RASTA auditory bands, energy, spectral descriptors, MFCC
        1-14) and their 65 deltas.
    sampling_rate : int, default=16000
        Sampling rate in Hz at which features are computed, 8000 to 768000 Hz
        (openSMILE's native code corrupts its memory far above that range).
        Waveforms passed as
        arrays must be sampled at this rate; audio files at another rate are
        resampled to it (``scipy.signal.resample_poly``). IS09 was designed for
        16 kHz. Audio sampled below this rate (e.g. 8 kHz telephone audio)
        is resampled with an :class:`~sklearn_ser.AudioWarning`: it lacks the
        band between half its own rate and half of this one.
    clip : bool, default=False
        Whether float waveforms given as arrays may overshoot [-1, 1] the way
        decoded lossy files do: samples up to ±2 are clipped to [-1, 1]
        (beyond ±2 they are refused as not scaled to [-1, 1]). Without it an
        array with a sample outside [-1, 1] is refused, so a wrongly scaled
        array is caught. Decoded *files* are always treated this way (see the
        Notes).
    n_jobs : int, default=None
        Number of joblib workers. Inputs are sent to the workers in contiguous
        chunks of similar total length (several items per task), and results
        come back in input order. ``None`` means 1 unless in a
        :func:`joblib.parallel_config` context; ``-1`` means all processors.
        Any joblib backend works, including Dask's. Inside a task that already
        runs on a Dask worker (e.g. one fit of a ``GridSearchCV`` under the
        Dask backend), ``None`` means 1: the search already keeps every
        worker busy, and extraction nested in it would only add scheduling
        and transfers. Set an explicit value to distribute it anyway.
    memory : str, os.PathLike or joblib.Memory, default=None
        Where to cache the features of each input. The key of an entry is a
        hash of the audio content (the bytes of a file, the samples of an
        array), the sampling rate and the feature set's openSMILE config
        (so the sets never share an entry), never the path
        alone: a file that changes is extracted again, and the same audio is
        never extracted twice, e.g. across the fits of ``GridSearchCV`` or
        ``cross_validate``. Entries are written as soon as each input is
        extracted (so an interrupted or failed call keeps what it extracted),
        one file per input under ``<location>/joblib/sklearn_ser/LLDExtractor``
        (raw float32 with a header holding the entry's key and a SHA-256 of
        the features, read without pickle; an entry that is damaged, cut
        short or belongs to another input is extracted again). A file is
        hashed in blocks and decoded from its path; one that changes between
        the hash and the decoding is refused and nothing is cached for it. A
        cache that cannot be written (read-only, full, a file in place of
        the folder) gives one warning and the features are still returned.
        Only regular files are read from the cache, without blocking, and
        entries are never written through a symbolic link that leads out of
        its folder. The folder may be shared by parallel
        workers, and
        ``joblib.Memory(location).clear()`` empties it. ``None``
        (or a ``joblib.Memory`` without location) disables caching; an
        empty string is refused (it would mean the working directory).

        The checksum of an entry protects against corruption (a damaged
        disk, a copy cut short, a file of another input in its place), not
        against someone who can write the cache folder: such a person can
        write an entry of their choice with a valid checksum, and it is
        used. Keep the cache in a folder that only you (or your jobs) can
        write, as you would a folder of model files. The entries are not
        signed with a secret, because the cache is meant to be shared
        between processes, workers and machines (a Dask cluster reads it
        from a shared file system), and whoever can write it can usually
        read such a secret too.
    verbose : bool or int, default=False
        Show a progress bar (tqdm) while extracting.
    audio_column : str or None, default=None
        Column of a pandas DataFrame ``X`` that holds the audio (paths or
        waveforms). None takes the column ``"audio"`` or, if there is none,
        ``"file"``. Ignored when ``X`` is not a DataFrame.
    max_duration : float or None, default=3600.0
        The longest input, in seconds of audio at its own rate (1 hour by
        default); None: no bound. A compressed file of a few megabytes can
        hold days of audio (10 hours of silence at 48 kHz fit in a 6 MB
        FLAC file), and extracting costs time and memory in proportion to
        the duration, so a longer file is refused with a ``ValueError``
        naming it, its duration and this parameter: from its header before
        anything is decoded, or, for a header that gives no length or a
        false one, as soon as decoding passes the bound. A waveform given
        as an array is checked against it too. Within the bound, a file
        costs memory in proportion to the frames it gives (about 1.3 times
        their size, plus a few MB of buffers), whatever its own sampling
        rate. Not stored in model files (a loaded model has the default).
        For recordings of many hours, :func:`~sklearn_ser.predict_timeline`
        keeps only frames and has its own bound.

    Attributes
    ----------
    None: the transformer learns nothing.

    See Also
    --------
    sklearn_ser.PadCrop : Pads/crops the frame sequences to a fixed length.
    sklearn_ser.EncoderExtractor : Frames of a pretrained speech encoder.

    Notes
    -----
    **Input.** ``X`` is a sequence of audio file paths (``str`` or
    ``os.PathLike``) or a sequence of waveforms, not a mix of both. Files are
    read with soundfile (WAV, FLAC, OGG Vorbis, Opus, MP3, AIFF and the other
    formats of libsndfile; MP4/M4A, AAC, WMA and WebM are refused with a
    message naming the format), integer PCM is scaled to
    [-1, 1], several channels are averaged to mono, and other sampling rates
    are resampled to ``sampling_rate``. A waveform is a 1-D array sampled at
    ``sampling_rate``: floats in [-1, 1], or integer PCM scaled by the full
    scale of its dtype (``int16`` by 32768, ``int32`` by 2**31, ``uint8``
    as offset binary around 128); other integer types (``int64``, a list of
    ints, ...) are refused with a :class:`TypeError`, since their full scale
    is ambiguous: convert them, e.g. ``x.astype(np.float32) / 32768`` for
    16-bit samples. Files must be regular files (not a FIFO, a device or a
    directory) declaring 1000 to 768000 Hz, and hold at most
    ``max_duration`` seconds. A 2-D waveform is taken as
    ``(n_samples, n_channels)``, the layout of ``soundfile.read``, and mixed
    down to mono by averaging the channels; a 2-D numeric array ``X`` is a
    batch whose rows are 1-D waveforms.

    **DataFrames.** ``X`` may also be a pandas DataFrame whose
    ``audio_column`` holds the paths or waveforms and whose other columns
    are metadata, e.g. the ``"speaker"`` of each utterance that
    :class:`~sklearn_ser.SpeakerStandardScaler` needs. The result is then a
    DataFrame with the same index: an ``"lld"`` column holding the
    ``(n_frames_i, n_features)`` arrays, followed by the other columns of ``X``
    unchanged. This is how metadata reaches the later steps of a pipeline
    inside :func:`~sklearn.model_selection.cross_validate` or
    :class:`~sklearn.model_selection.GridSearchCV`;
    :class:`~sklearn_ser.PadCrop` and :class:`~sklearn_ser.Functionals` read
    the ``"lld"`` column of such a DataFrame and leave the rest.

    **Frames.** With ``N`` samples at ``sampling_rate`` (after mix-down and
    resampling: a file with ``N0`` samples at rate ``r`` gives
    ``N = ceil(N0 * sampling_rate / r)``), the number of frames is::

        T = 1 + floor((N - W) / S)
        W = round(0.025 * sampling_rate)   # 400 at 16 kHz ("is09")
        W = round(0.060 * sampling_rate)   # 960 at 16 kHz ("egemaps", "compare")
        S = round(0.010 * sampling_rate)   # 160 at 16 kHz

    (``round`` rounds halves up, as openSMILE does). ``W`` is the longest
    analysis window of the set: eGeMAPS and ComParE compute pitch, jitter,
    shimmer and harmonics over 60 ms (Gaussian window) and their spectral
    descriptors over 20 ms (Hamming), both windows starting at the frame's
    start. Frame ``t`` covers samples ``[t * S, t * S + W)`` and starts at
    ``t * S / sampling_rate`` seconds (``t * 10`` ms) in every set, so the
    sets share the 10 ms grid and differ only in the frames near the end:
    every frame lies completely inside the audio, and a signal of ``d``
    seconds at 16 kHz gives ``floor(100 * d - 1.5)`` IS09 frames, i.e. 100
    per second (a 1 s signal gives 98 frames, 3 s give 298), and
    ``floor(100 * d - 5)`` eGeMAPS or ComParE frames (95 and 295). At rates
    where 10 ms is not a whole number of samples the step is rounded
    (22.05 kHz: 221 samples, 10.02 ms). The stock openSMILE output has one
    frame more: after the end of the input its smoothers emit a trailing
    frame (in IS09 a repetition of the last real frame), which is dropped
    here. Deltas at the first and last two frames use openSMILE's edge
    padding, as in the stock sets.

    **Beyond full scale.** Lossy decoders (MP3, Vorbis, Opus) overshoot
    [-1, 1] by a few per cent on valid recordings, so the samples of a
    file up to ±2 are clipped to [-1, 1]; a file without such samples gives
    exactly the features it would without the rule. A recording with more
    than 0.1 % of its samples at full scale (``|x| >= 0.999``) is a clipped
    recording: it is used, with an :class:`~sklearn_ser.AudioWarning`. The
    warnings of one call are gathered, one per kind, naming the inputs.

    **Bad input** never reaches openSMILE (which would turn it into silent
    zeros or a NaN row): wrong types, strings that are not paths, a mix of
    paths and arrays, and waveforms with NaN/inf samples, float samples
    outside [-1, 1] (or outside ±2 with ``clip=True``), a shape that is not
    1-D after mix-down, or fewer samples than one analysis window ``W``
    (25 ms; 60 ms for ``"egemaps"`` and ``"compare"``) raise an
    error naming the item (``X[i]``) and the sample index at once. Problems
    that show only when a file is read (missing, unreadable, corrupt, in a
    format soundfile cannot decode, too short, NaN/inf samples or samples
    beyond ±2 in a float file) are collected while the other files are
    extracted -- and cached when ``memory`` is set -- and then raised
    together in one :class:`ValueError` naming every bad file; fixing them
    and calling again extracts only the missing ones.

    Conventions of openSMILE's IS09 descriptors worth knowing: RMS energy is
    computed on the pre-emphasised, Hamming-windowed frame; F0 is 0 in
    unvoiced frames (voicing probability below 0.55), and the 25 ms window
    is too short for a reliable F0 below about 130 Hz; a frame of digital
    silence (exact zeros) has a zero-crossing rate close to 1, because
    openSMILE counts zero samples as crossings. The eGeMAPS and ComParE
    sets track F0 by subharmonic summation over 60 ms with Viterbi
    smoothing (down to 55 and 52 Hz); their voice-quality descriptors
    (jitter, shimmer, HNR, harmonics, formant amplitudes) are 0 in unvoiced
    frames.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser import LLDExtractor
    >>> t = np.arange(16000) / 16000
    >>> tone = 0.3 * np.sin(2 * np.pi * 220 * t) + 0.1 * np.sin(2 * np.pi * 440 * t)
    >>> lld = LLDExtractor()
    >>> [feats] = lld.fit_transform([tone])
    >>> feats.shape, feats.dtype
    ((98, 32), dtype('float32'))
    >>> lld.get_feature_names_out()[[0, 3, 16]].tolist()
    ['F0_sma', 'voiceProb_sma', 'F0_sma_de']
    >>> f0 = float(np.median(feats[:, 0]))  # F0 of the tone, 220 Hz
    >>> abs(f0 - 220) < 0.05 * 220
    True
    >>> [egemaps] = LLDExtractor(feature_set="egemaps").fit_transform([tone])
    >>> egemaps.shape  # 60 ms windows: 3 frames fewer at the end
    (95, 25)
    >>> f0 = 27.5 * 2 ** (float(np.median(egemaps[:, 10])) / 12)  # semitones
    >>> abs(f0 - 220) < 0.05 * 220
    True

    References
    ----------
    .. [1] B. Schuller, S. Steidl and A. Batliner, "The INTERSPEECH 2009
       Emotion Challenge," in Proc. INTERSPEECH 2009, Brighton, UK, 2009,
       pp. 312–315.
    .. [2] F. Eyben, K. R. Scherer, B. W. Schuller, J. Sundberg, E. André,
       C. Busso, L. Y. Devillers, J. Epps, P. Laukka, S. S. Narayanan and
       K. P. Truong, "The Geneva Minimalistic Acoustic Parameter Set
       (GeMAPS) for Voice Research and Affective Computing," IEEE
       Transactions on Affective Computing, vol. 7, no. 2, pp. 190–202, 2016.
    .. [3] B. Schuller, S. Steidl, A. Batliner, A. Vinciarelli, K. Scherer,
       F. Ringeval, M. Chetouani, F. Weninger, F. Eyben, E. Marchi,
       M. Mortillaro, H. Salamin, A. Polychroniou, F. Valente and S. Kim,
       "The INTERSPEECH 2013 Computational Paralinguistics Challenge: Social
       Signals, Conflict, Emotion, Autism," in Proc. INTERSPEECH 2013, Lyon,
       France, 2013, pp. 148–152.
    .. [4] B. Schuller, S. Steidl, A. Batliner, J. Hirschberg, J. K. Burgoon,
       A. Baird, A. Elkins, Y. Zhang, E. Coutinho and K. Evanini, "The
       INTERSPEECH 2016 Computational Paralinguistics Challenge: Deception,
       Sincerity & Native Language," in Proc. INTERSPEECH 2016, San
       Francisco, USA, 2016, pp. 2001–2005.
    """

    _parameter_constraints = {
        "feature_set": [StrOptions(set(FEATURE_SET_NAMES))],
        "sampling_rate": [Interval(numbers.Integral, *FEATURE_RATES, closed="both")],
        "clip": ["boolean"],
        "n_jobs": [None, numbers.Integral],
        "memory": [None, str, os.PathLike, HasMethods(["cache"])],
        "verbose": ["verbose"],
        "audio_column": [str, None],
        "max_duration": [None, Interval(numbers.Real, 0, None, closed="neither")],
    }

    def __init__(self, *, feature_set="is09", sampling_rate=16000, clip=False,
                 n_jobs=None, memory=None, verbose=False, audio_column=None,
                 max_duration=MAX_DURATION):
        self.feature_set = feature_set
        self.sampling_rate = sampling_rate
        self.clip = clip
        self.n_jobs = n_jobs
        self.memory = memory
        self.verbose = verbose
        self.audio_column = audio_column
        self.max_duration = max_duration

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Validate the parameters; the transformer learns nothing.

        Parameters
        ----------
        X : sequence of str or os.PathLike, or sequence of array-like
            Ignored (accepted for API consistency).
        y : None
            Ignored.

        Returns
        -------
        self : LLDExtractor
            The transformer.
        """
        return self

    def transform(self, X):
        """Extract the frame features of every input.

        Parameters
        ----------
        X : sequence of str or os.PathLike, sequence of array-like, or DataFrame
            Audio file paths, or waveforms sampled at ``sampling_rate``, or a
            DataFrame with them in its ``audio_column`` (see the Notes of the
            class).

        Returns
        -------
        features : list of ndarray of shape (n_frames_i, n_features), \
                dtype float32, or DataFrame
            One array per input, in input order; columns as given by
            :meth:`get_feature_names_out`. For a DataFrame ``X``, a DataFrame
            with these arrays in an ``"lld"`` column and the other columns
            of ``X``.

        Raises
        ------
        TypeError
            If ``X`` is not a sequence of paths or of numeric waveforms, or
            mixes both.
        ValueError
            If an input is not usable (see the Notes of the class); the
            message names every bad input and what was expected.
        RuntimeError
            If openSMILE itself fails on an input (the message names it).
        """
        validate_params(self)
        if is_dataframe(X):
            column = audio_column_of(X, self.audio_column)
            features = self.transform(list(X[column]))
            return frame_with_features(X.drop(columns=[column]), features)
        features, labelled_notes = self._extract(X)
        warn_notes(labelled_notes, int(self.sampling_rate), stacklevel=2)
        return features

    def _extract(self, X):
        """Features of a sequence of inputs, and the labelled notes of each.

        Returns ``(features, [(label, Notes, source), ...])``;
        :meth:`transform` turns the notes into warnings, the command line
        into a warning per file.
        """
        validate_params(self)
        sampling_rate = int(self.sampling_rate)
        feature_set = self.feature_set
        window = get_feature_set(feature_set).window
        bound = DurationBound(self.max_duration, "LLDExtractor")
        items = check_input(X, sampling_rate, clip=self.clip, window=window,
                            bound=bound)
        memory = check_memory(self.memory)

        results = extract_items(items, sampling_rate, memory, feature_set,
                                bound, self.n_jobs,
                                self._effective_n_jobs(), self.verbose)
        entries = collect(items, results, memory)
        labelled = [(describe(index, payload if kind == "path" else None), notes,
                     payload)
                    for (index, kind, payload, _), (_, notes) in zip(
                        items, entries, strict=True)]
        return [feats for feats, _ in entries], labelled

    def _effective_n_jobs(self):
        """Number of workers of a call: 1 for ``n_jobs=None`` in a Dask task."""
        if self.n_jobs is None and in_dask_task():
            return 1
        return joblib.effective_n_jobs(self.n_jobs)

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns: openSMILE's names of the feature set.

        For ``"is09"``, the 16 LLDs (F0, RMS energy, zero-crossing rate,
        voicing probability, MFCC 1-12, with the ``_sma`` suffix of the
        smoothing) followed by their deltas (``_de``); for ``"egemaps"``, the
        25 names of the stock eGeMAPSv02 LLDs (``_sma3``, and ``_sma3nz`` for
        those smoothed over voiced frames only); for ``"compare"``, the 65
        names of the stock ComParE 2016 LLDs followed by the 65 of their
        deltas.

        Parameters
        ----------
        input_features : None
            Ignored.

        Returns
        -------
        feature_names_out : ndarray of str of shape (n_features,)
            32, 25 or 130 names.
        """
        validate_params(self)
        return np.asarray(get_feature_set(self.feature_set).feature_names,
                          dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.one_d_array = True
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.target_tags.required = False
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags


# The feature cache names a folder of the machine that extracted, and what one
# file may cost is the user's choice, not a model file's: neither is saved.
register(LLDExtractor, dropped_params=("memory", "max_duration"))
