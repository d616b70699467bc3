"""EncoderExtractor: frames of a pretrained speech encoder (local checkpoints).

The same contract as :class:`~sklearn_ser.LLDExtractor` -- a list of
``(T_i, d)`` float32 arrays, one per input, with the same audio checks, the
same content-keyed cache and the same report of every bad input -- with
the hidden states of a Hugging Face ``transformers`` encoder instead of
openSMILE descriptors (:mod:`._checkpoint` loads the checkpoint).
"""

import hashlib
import numbers
import os

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from .._compat import HasMethods, Interval, _fit_context, validate_params
from .._validation import FEATURE_RATES, frame_with_features, is_dataframe
from ..persistence._registry import register
from ._audio import BadInput, check_input, describe
from ._audiofile import open_audio
from ._bounds import MAX_DURATION, DurationBound
from ._cache import FeatureCache, cache_key, check_memory
from ._checkpoint import check_folder, load_checkpoint
from ._dispatch import audio_column_of, collect
from ._notes import warn_notes

__all__ = ["EncoderExtractor"]

_FORMAT = "sklearn_ser.EncoderExtractor/1"


class EncoderExtractor(TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    """Frames of a pretrained speech encoder, from a local checkpoint folder.

    Runs a Hugging Face ``transformers`` speech encoder -- wav2vec2, HuBERT,
    WavLM, data2vec-audio, UniSpeech, wav2vec2-conformer or Whisper's
    encoder -- and returns, for each input, the hidden states of one layer
    (or the fixed average of several) as a ``(T_i, d)`` float32 array: the
    output contract of :class:`~sklearn_ser.LLDExtractor`, so the same
    :class:`~sklearn_ser.PadCrop`, scalers, :class:`~sklearn_ser.Functionals`
    and networks follow it. The checkpoint is read from a local folder
    only; nothing is ever downloaded.

    Requires the ``transformers`` package (``pip install
    "sklearn-ser[encoders]"``). The transformer is stateless: :meth:`fit`
    only validates the parameters and the folder.

    Parameters
    ----------
    model : str or os.PathLike
        Folder of the checkpoint, as ``save_pretrained`` writes it or as
        ``huggingface-cli download NAME --local-dir FOLDER`` fetches it:
        ``config.json``, the weights (``model.safetensors`` or
        ``pytorch_model.bin``) and ``preprocessor_config.json`` (the feature
        extractor: sampling rate, normalisation, Whisper's mel filters). A
        name of the Hugging Face Hub is refused with the command that
        fetches it.
    layer : int or tuple of int, default=-1
        Which hidden states: index ``0`` is the input of the first
        transformer layer, ``k`` the output of layer ``k``, negative indices
        count from the last (``-1``, the default, is the last layer). A
        tuple gives the mean of those layers (a fixed average, e.g. ``(6,
        7, 8, 9)``; middle layers often carry more about emotion than the
        last).
    sampling_rate : int, default=16000
        Sampling rate of the waveforms given as arrays; it must be the
        checkpoint's (16 kHz for every supported type). Files at another
        rate are resampled to it.
    device : {"cpu", "cuda", "auto"} or str, default="cpu"
        Where the encoder runs (``"cuda:1"`` and other torch devices work
        too); ``"auto"`` takes CUDA when available.
    batch_size : int, default=8
        Utterances per forward pass. Inputs are sorted by length so that a
        batch holds utterances of similar length; the frames are the same
        as one at a time (see the Notes).
    clip : bool, default=False
        Clip float waveforms slightly beyond [-1, 1] (as
        :class:`~sklearn_ser.LLDExtractor`).
    memory : str, os.PathLike or joblib.Memory, default=None
        Feature cache, keyed by the audio content, the sampling rate, the
        layers and the checkpoint's identity (a hash of its config, feature
        extractor and weight files), in
        ``<location>/joblib/sklearn_ser/EncoderExtractor``; as
        :class:`~sklearn_ser.LLDExtractor`'s ``memory``.
    verbose : bool or int, default=False
        Show a progress bar (tqdm) over the batches.
    audio_column : str or None, default=None
        Column of a DataFrame ``X`` that holds the audio (as
        :class:`~sklearn_ser.LLDExtractor`).
    max_duration : float or None, default=3600.0
        The longest input in seconds (None: no bound), checked as
        :class:`~sklearn_ser.LLDExtractor`'s: from a file's header before
        anything is decoded, and while it is decoded. A batch holds its
        utterances' samples in memory, so keep it well below the default
        for long recordings. Not stored in model files.

    See Also
    --------
    sklearn_ser.LLDExtractor : openSMILE low-level descriptors.

    Notes
    -----
    **Frames.** Every supported type gives one frame per 20 ms at 16 kHz
    (50 per second, half the rate of the openSMILE sets): set ``PadCrop``'s
    ``n_frames`` accordingly (250 frames are 5 s) and ``Functionals``'
    ``frame_step=0.02``. The wav2vec2 family's convolutional encoder gives
    ``1 + (N - 400) // 320`` frames for ``N`` samples with the standard
    layer sizes (frame ``t`` reads samples ``[320 t, 320 t + 400)``); audio
    shorter than 400 samples (25 ms) is refused. Whisper's encoder reads
    log-mel frames of 30 s windows: shorter audio is padded to 30 s and
    longer audio cut into windows of 30 s; each window gives
    ``n_samples // 320`` frames (the frames of the padding are dropped),
    and audio shorter than 20 ms is refused. Whisper thus costs a 30 s
    forward pass per window whatever the utterance's length.

    **Batches.** Utterances of different lengths are zero-padded and masked
    where that gives the same frames as one utterance at a time: wav2vec2,
    HuBERT and WavLM with a layer-normalised feature encoder
    (``feat_extract_norm="layer"``, e.g. the large checkpoints). A
    group-normalised feature encoder (the base checkpoints) normalises over
    the padding too, and the stacked positional convolutions of
    data2vec-audio and the conformer carry it into the last frames: for
    these only utterances of the same length share a batch. Whisper's
    windows are all 30 s long and always share batches.

    **Timeline.** :func:`~sklearn_ser.predict_timeline` and
    :class:`~sklearn_ser.StreamingRecognizer` compute openSMILE frames in
    blocks and refuse a pipeline that starts with this extractor.

    Examples
    --------
    A tiny randomly initialised wav2vec2 saved to a folder (in practice,
    the folder of a downloaded checkpoint):

    >>> import tempfile, numpy as np, torch
    >>> from transformers import Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2Model
    >>> from sklearn_ser import EncoderExtractor
    >>> tmp = tempfile.TemporaryDirectory()
    >>> folder = tmp.name
    >>> _ = torch.manual_seed(0)
    >>> config = Wav2Vec2Config(hidden_size=16, num_hidden_layers=2,
    ...                         num_attention_heads=2, intermediate_size=32,
    ...                         conv_dim=(8,) * 7, num_conv_pos_embeddings=16,
    ...                         num_conv_pos_embedding_groups=2)
    >>> Wav2Vec2Model(config).save_pretrained(folder)
    >>> _ = Wav2Vec2FeatureExtractor().save_pretrained(folder)
    >>> encoder = EncoderExtractor(folder, layer=(1, 2))
    >>> x = np.random.default_rng(0).uniform(-0.5, 0.5, 16000)  # 1 s
    >>> [frames] = encoder.fit_transform([x])
    >>> frames.shape, frames.dtype  # 1 + (16000 - 400) // 320 frames
    ((49, 16), dtype('float32'))
    >>> EncoderExtractor("facebook/wav2vec2-base").fit([x])
    Traceback (most recent call last):
    ...
    ValueError: model='facebook/wav2vec2-base' is not a local folder: ...
    >>> tmp.cleanup()
    """

    _parameter_constraints = {
        "model": [str, os.PathLike, None],
        "layer": [numbers.Integral, tuple, list],
        "sampling_rate": [Interval(numbers.Integral, *FEATURE_RATES, closed="both")],
        "device": [str],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "clip": ["boolean"],
        "memory": [None, str, os.PathLike, HasMethods(["cache"])],
        "verbose": ["verbose"],
        "audio_column": [str, None],
        "max_duration": [None, Interval(numbers.Real, 0, None, closed="neither")],
    }

    def __init__(self, model=None, *, layer=-1, sampling_rate=16000, device="cpu",
                 batch_size=8, clip=False, memory=None, verbose=False,
                 audio_column=None, max_duration=MAX_DURATION):
        self.model = model
        self.layer = layer
        self.sampling_rate = sampling_rate
        self.device = device
        self.batch_size = batch_size
        self.clip = clip
        self.memory = memory
        self.verbose = verbose
        self.audio_column = audio_column
        self.max_duration = max_duration

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Validate the parameters and the checkpoint; nothing is learnt.

        Parameters
        ----------
        X : sequence of str or os.PathLike, or sequence of array-like
            Ignored.
        y : None
            Ignored.

        Returns
        -------
        self : EncoderExtractor
        """
        self._checkpoint()
        return self

    # -- the checkpoint ------------------------------------------------------

    def _device(self):
        """The device, checked and with ``"auto"`` resolved (as the networks')."""
        from .._device import check_device, resolve_device

        return resolve_device(check_device(self.device))

    def _checkpoint(self):
        """The loaded checkpoint and the checked layer indices."""
        validate_params(self)
        check_folder(self.model)
        checkpoint = load_checkpoint(self.model, self._device())
        if int(self.sampling_rate) != checkpoint.sampling_rate:
            raise ValueError(
                f"sampling_rate={self.sampling_rate} Hz, but the checkpoint "
                f"{self.model!r} reads audio at {checkpoint.sampling_rate} Hz; set "
                f"sampling_rate={checkpoint.sampling_rate} (files at other rates "
                "are resampled; resample waveforms given as arrays)."
            )
        return checkpoint, self._layers(checkpoint.n_hidden_states)

    def _frame_step(self):
        """Seconds between two frames: the checkpoint's hop at its rate."""
        checkpoint, _ = self._checkpoint()
        return checkpoint.hop / checkpoint.sampling_rate

    def _layers(self, n):
        layers = (self.layer,) if isinstance(self.layer, numbers.Integral) \
            else tuple(self.layer)
        if not layers or not all(isinstance(k, numbers.Integral)
                                 and not isinstance(k, bool) for k in layers):
            raise ValueError(f"layer must be an int or a non-empty tuple of ints, "
                             f"got {self.layer!r}.")
        bad = [k for k in layers if not -n <= k < n]
        if bad:
            raise ValueError(
                f"layer {bad[0]} does not exist: the checkpoint {self.model!r} has "
                f"{n} hidden states (0 = the input of the first transformer layer, "
                f"{n - 1} = the last; negative indices count from the end)."
            )
        return tuple(sorted({int(k) % n for k in layers}))

    def _digest(self, checkpoint, layers):
        import transformers

        minor = ".".join(transformers.__version__.split(".")[:2])
        text = f"{_FORMAT}|{checkpoint.identity}|{layers}|transformers {minor}"
        return hashlib.sha256(text.encode()).hexdigest()

    # -- transform ------------------------------------------------------------

    def transform(self, X):
        """The encoder's frames of every input.

        Parameters
        ----------
        X : sequence of str or os.PathLike, sequence of array-like, or DataFrame
            Audio file paths, or waveforms sampled at ``sampling_rate``, or a
            DataFrame with them in its ``audio_column``.

        Returns
        -------
        features : list of ndarray of shape (n_frames_i, hidden_size), \
                dtype float32, or DataFrame
            One array per input, in input order (for a DataFrame ``X``, a
            DataFrame with them in an ``"lld"`` column and the other columns).

        Raises
        ------
        TypeError
            If ``X`` or ``model`` has the wrong type.
        ValueError
            If the checkpoint folder is missing or unusable, the sampling
            rate is not the checkpoint's, ``layer`` does not exist, or an
            input is not usable (every bad input named in one message).
        """
        if is_dataframe(X):
            column = audio_column_of(X, self.audio_column)
            features = self.transform(list(X[column]))
            return frame_with_features(X.drop(columns=[column]), features)
        features, labelled = self._extract(X)
        warn_notes(labelled, int(self.sampling_rate), stacklevel=2)
        return features

    def _extract(self, X):
        """Features and the labelled notes of each input (as LLDExtractor's)."""
        checkpoint, layers = self._checkpoint()
        rate = int(self.sampling_rate)
        window = checkpoint.receptive_field / rate
        bound = DurationBound(self.max_duration, "EncoderExtractor")
        items = check_input(X, rate, clip=self.clip, window=window, bound=bound)
        memory = check_memory(self.memory)
        cache = (FeatureCache(memory, checkpoint.hidden_size, "EncoderExtractor")
                 if memory is not None else None)
        digest = self._digest(checkpoint, layers) if cache is not None else None
        results = [None] * len(items)
        pending = []
        for pos, item in enumerate(items):
            status, value = _prepare(item, rate, window, cache, digest, bound)
            if status == "pending":
                pending.append((pos, *value))
            else:
                results[pos] = (status, value)
        self._run(checkpoint, layers, pending, results, cache)
        entries = collect(items, results, memory)
        labelled = [(describe(index, payload if kind == "path" else None), notes,
                     payload)
                    for (index, kind, payload, _), (_, notes) in zip(
                        items, entries, strict=True)]
        return [feats for feats, _ in entries], labelled

    def _run(self, checkpoint, layers, pending, results, cache):
        """Encode the inputs not in the cache, in batches of similar length."""
        from tqdm import tqdm

        pending.sort(key=lambda p: p[2])
        batches = _batches([n for _, _, n, _, _ in pending], int(self.batch_size),
                           checkpoint.padded)
        for a, b in tqdm(batches, desc="EncoderExtractor", unit="batch",
                         disable=not self.verbose):
            waveforms, ok = [], []
            for pos, source, _, key, notes in pending[a:b]:
                try:
                    waveforms.append(_samples(source))
                    ok.append((pos, key, notes))
                except BadInput as exc:  # the file changed while it was read
                    results[pos] = ("bad", str(exc))
            if not waveforms:
                continue
            for (pos, key, notes), feats in zip(
                    ok, checkpoint.encode(waveforms, layers), strict=True):
                feats = np.ascontiguousarray(feats, dtype=np.float32)
                if cache is not None:
                    cache.store(key, feats, notes)
                results[pos] = ("ok", (feats, notes))

    def get_feature_names_out(self, input_features=None):
        """Names of the columns: ``<model type>_<layers>[k]``.

        Parameters
        ----------
        input_features : None
            Ignored.

        Returns
        -------
        feature_names_out : ndarray of str of shape (hidden_size,)
            E.g. ``wavlm_L12[0]`` ... for the last layer of a 12-layer WavLM,
            ``wav2vec2_L6-L9[0]`` for the mean of layers 6 to 9.
        """
        checkpoint, layers = self._checkpoint()
        tag = "-".join(f"L{k}" for k in layers)
        return np.asarray([f"{checkpoint.model_type}_{tag}[{k}]"
                           for k in range(checkpoint.hidden_size)], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.one_d_array = True
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.target_tags.required = False
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags


def _prepare(item, rate, window, cache, digest, bound=None):
    """A cache hit ("ok"), a bad input ("bad") or what to encode ("pending")."""
    index, kind, payload, notes = item
    key = None
    if kind == "array":
        if cache is not None:
            key = cache_key("array", memoryview(payload).cast("B"), payload.shape,
                            rate, digest)
            entry = cache.load(key)
            if entry is not None:
                return "ok", (entry[0], notes)
        return "pending", (payload, payload.shape[0], key, notes)
    label = describe(index, payload)
    try:
        audio, key, entry = open_audio(payload, label, rate, window, bound, cache,
                                       digest)
    except BadInput as exc:
        return "bad", str(exc)
    if entry is not None:
        return "ok", entry
    return "pending", (audio, audio.n, key, audio.notes)


def _samples(source):
    """The mono float32 samples of an array or an :class:`AudioFile`."""
    if isinstance(source, np.ndarray):
        return source
    out = np.empty(source.n, dtype=np.float32)  # filled block by block
    pos = 0
    for block in source.blocks():
        out[pos:pos + block.shape[0]] = block
        pos += block.shape[0]
    return out


def _batches(lengths, batch_size, padded):
    """``[(a, b), ...]`` of the sorted ``lengths``: at most ``batch_size`` each,
    of equal lengths only unless ``padded``."""
    out, start = [], 0
    for i in range(1, len(lengths) + 1):
        full = i - start == batch_size
        cut = i == len(lengths) or (not padded and lengths[i] != lengths[start])
        if full or cut:
            out.append((start, i))
            start = i
    return out


# The cache names a folder of this machine: not saved. The checkpoint is
# saved as its folder's path: a loaded model reads the weights from there.
register(EncoderExtractor, dropped_params=("memory", "max_duration"))
