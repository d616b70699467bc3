"""Pretrained speech encoders of Hugging Face ``transformers``, from local folders.

A :class:`Checkpoint` is a folder written by ``save_pretrained`` (or
downloaded once with ``huggingface-cli download``): ``config.json``, the
weights and ``preprocessor_config.json``. Nothing here ever downloads: a
name that is not a local folder is refused with the way to obtain it.

Two families fit the frame contract of the extractors (a ``(T, d)`` array
per utterance at a fixed frame rate):

- the wav2vec2 family (wav2vec2, HuBERT, WavLM, data2vec-audio, UniSpeech,
  wav2vec2-conformer): a convolutional feature encoder over the waveform
  (320 samples per frame at 16 kHz, a receptive field of 400), then
  transformer layers. Utterances of one batch are zero-padded with an
  attention mask where that gives the same frames as one utterance at a
  time (wav2vec2, HuBERT and WavLM with a layer-normalised feature
  encoder); otherwise only utterances of equal length share a batch (a
  group-normalised feature encoder normalises over the padding too, and
  data2vec-audio's and the conformer's stacked convolutions carry it into
  the last frames).
- Whisper's encoder: log-mel frames of 30 s windows (shorter audio is
  padded to 30 s, longer audio is cut into 30 s windows), 1500 frames per
  window, i.e. also one frame per 20 ms; the frames of the padding are
  dropped.
"""

import functools
import hashlib
import os
import re
import threading
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Checkpoint", "check_folder", "load_checkpoint"]

WAV2VEC2_FAMILY = ("wav2vec2", "hubert", "wavlm", "data2vec-audio", "unispeech",
                   "unispeech-sat", "wav2vec2-conformer")
"""``model_type`` of the supported checkpoints with a convolutional encoder."""
PADDED_BATCHES = ("wav2vec2", "hubert", "wavlm")
"""Types whose frames are the same zero-padded with an attention mask (when
their feature encoder is layer-normalised)."""
SUPPORTED = (*WAV2VEC2_FAMILY, "whisper")

_WEIGHTS = (".safetensors", ".bin", ".json")
_HASHES = {}
_HASH_LOCK = threading.Lock()


_HUB_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$")
"""``name`` or ``owner/name``: what the Hugging Face Hub would resolve."""


def check_folder(model):
    """The real path of the checkpoint folder ``model``; never downloads.

    Parameters
    ----------
    model : str or os.PathLike
        The folder.

    Returns
    -------
    folder : str

    Raises
    ------
    TypeError
        If ``model`` is not a path.
    ValueError
        If it is not a folder holding ``config.json`` and
        ``preprocessor_config.json``; for a name that the Hugging Face Hub
        would resolve, the message says how to obtain the weights.
    """
    if not isinstance(model, (str, os.PathLike)) or isinstance(model, bytes):
        raise TypeError(
            "model must be the path of a local folder holding a Hugging Face "
            f"checkpoint (config.json, weights, preprocessor_config.json), got "
            f"{type(model).__name__} {model!r}."
        )
    text = os.fspath(model)
    if not os.path.exists(text):
        how = (
            f"download it once on a machine with network access, e.g. "
            f"`huggingface-cli download {text} --local-dir ./{text.split('/')[-1]}` "
            "(or huggingface_hub.snapshot_download), and pass that folder"
            if _HUB_NAME.match(text) else
            "pass the folder that save_pretrained or huggingface-cli download "
            "wrote"
        )
        raise ValueError(
            f"model={text!r} is not a local folder: EncoderExtractor never "
            f"downloads weights; {how}."
        )
    if not os.path.isdir(text):
        raise ValueError(f"model={text!r} is a file; expected the folder of a "
                         "Hugging Face checkpoint.")
    for name in ("config.json", "preprocessor_config.json"):
        if not os.path.isfile(os.path.join(text, name)):
            raise ValueError(
                f"model={text!r} holds no {name}; expected a Hugging Face "
                "checkpoint folder (save both the model and its feature extractor "
                "with save_pretrained, or download the whole repository)."
            )
    return os.path.realpath(text)


def _file_digest(path):
    stat = os.stat(path)
    key = (path, stat.st_size, stat.st_mtime_ns)
    with _HASH_LOCK:
        if key in _HASHES:
            return _HASHES[key]
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(functools.partial(f.read, 1 << 22), b""):
            h.update(block)
    with _HASH_LOCK:
        _HASHES[key] = h.hexdigest()
    return _HASHES[key]


def checkpoint_identity(folder):
    """SHA-256 of the files the checkpoint is loaded from (config, weights).

    Each file's hash is kept per (path, size, modification time), so a large
    checkpoint is read once per process.
    """
    h = hashlib.sha256()
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if name.endswith(_WEIGHTS) and os.path.isfile(path):
            h.update(f"{name}\0{_file_digest(path)}\0".encode())
    return h.hexdigest()


@dataclass
class Checkpoint:
    """A loaded encoder: what the frames of a waveform need."""

    folder: str
    identity: str
    model_type: str
    sampling_rate: int
    hidden_size: int
    n_hidden_states: int
    hop: int
    """Samples per frame."""
    receptive_field: int
    """Samples of the shortest input that gives one frame."""
    padded: bool
    """Whether utterances of different lengths may share a batch."""
    model: object = field(repr=False)
    feature_extractor: object = field(repr=False)
    device: str = "cpu"

    def n_frames(self, n_samples):
        """Frames of ``n_samples`` samples (0 when shorter than one frame)."""
        if self.model_type == "whisper":
            return int(n_samples) // self.hop
        n = int(n_samples)
        for kernel, stride in zip(self.model.config.conv_kernel,
                                  self.model.config.conv_stride, strict=True):
            if n < kernel:
                return 0
            n = (n - kernel) // stride + 1
        return n

    def encode(self, waveforms, layers):
        """The mean of the hidden states ``layers`` of each waveform.

        Parameters
        ----------
        waveforms : list of ndarray of shape (n_i,), dtype float32
            Mono waveforms at :attr:`sampling_rate`, one batch.
        layers : tuple of int
            Indices into the model's hidden states (checked already).

        Returns
        -------
        frames : list of ndarray of shape (n_frames(n_i), hidden_size)
        """
        import warnings

        import torch

        with torch.inference_mode(), warnings.catch_warnings():
            # WavLM's masked attention, on torch's deprecation path
            warnings.filterwarnings(
                "ignore", message="Support for mismatched key_padding_mask",
                category=UserWarning)
            if self.model_type == "whisper":
                return self._whisper(waveforms, layers)
            return self._conv(waveforms, layers)

    def _select(self, hidden_states, layers):
        chosen = [hidden_states[k].float() for k in layers]
        out = chosen[0] if len(chosen) == 1 else sum(chosen) / len(chosen)
        return out.cpu().numpy()

    def _conv(self, waveforms, layers):
        import torch

        values = [self.feature_extractor(
            x, sampling_rate=self.sampling_rate, return_tensors="np"
        )["input_values"][0].astype(np.float32) for x in waveforms]
        longest = max(v.shape[0] for v in values)
        batch = np.zeros((len(values), longest), dtype=np.float32)
        mask = np.zeros((len(values), longest), dtype=np.int64)
        for i, v in enumerate(values):
            batch[i, :v.shape[0]] = v
            mask[i, :v.shape[0]] = 1
        kwargs = {}
        if any(v.shape[0] != longest for v in values):
            kwargs["attention_mask"] = torch.from_numpy(mask).to(self.device)
        out = self.model(torch.from_numpy(batch).to(self.device),
                         output_hidden_states=True, **kwargs)
        frames = self._select(out.hidden_states, layers)
        return [np.ascontiguousarray(frames[i, :self.n_frames(len(x))])
                for i, x in enumerate(waveforms)]

    def _whisper(self, waveforms, layers):
        import torch

        size = int(self.feature_extractor.n_samples)  # 30 s
        chunks, owners = [], []
        for i, x in enumerate(waveforms):
            for start in range(0, max(len(x), 1), size):
                chunks.append(x[start:start + size])
                owners.append(i)
        features = self.feature_extractor(
            chunks, sampling_rate=self.sampling_rate, return_tensors="np",
            padding="max_length")["input_features"]
        encoder = self.model.get_encoder()
        out = encoder(torch.from_numpy(np.asarray(features, dtype=np.float32))
                      .to(self.device), output_hidden_states=True)
        frames = self._select(out.hidden_states, layers)
        pieces = [[] for _ in waveforms]
        for k, (chunk, owner) in enumerate(zip(chunks, owners, strict=True)):
            pieces[owner].append(frames[k, :self.n_frames(len(chunk))])
        return [np.ascontiguousarray(np.concatenate(p)) for p in pieces]


_LOADED = {}
_LOAD_LOCK = threading.Lock()


def _quietly(load, *args, **kwargs):
    """``load(*args, **kwargs)`` without transformers' progress bars."""
    from transformers.utils import logging

    enabled = logging.is_progress_bar_enabled()
    logging.disable_progress_bar()
    try:
        return load(*args, **kwargs)
    finally:
        if enabled:
            logging.enable_progress_bar()


def _build(folder, identity, device):
    import torch
    import transformers

    config = _quietly(transformers.AutoConfig.from_pretrained, folder,
                      local_files_only=True)
    kind = getattr(config, "model_type", None)
    if kind not in SUPPORTED:
        raise ValueError(
            f"model={folder!r} is a {kind!r} checkpoint; EncoderExtractor runs "
            f"speech encoders of the types {list(SUPPORTED)}."
        )
    if getattr(config, "add_adapter", False):
        raise ValueError(f"model={folder!r} has an adapter after its feature "
                         "encoder (add_adapter=True), which changes the frame rate; "
                         "use the checkpoint without it.")
    extractor = _quietly(transformers.AutoFeatureExtractor.from_pretrained, folder,
                         local_files_only=True)
    try:
        model = _quietly(transformers.AutoModel.from_pretrained, folder,
                         local_files_only=True)
    except (OSError, ValueError) as exc:
        raise ValueError(
            f"model={folder!r}: transformers could not load the weights "
            f"({type(exc).__name__}: {str(exc).splitlines()[0]}); expected "
            "model.safetensors or pytorch_model.bin beside config.json."
        ) from None
    model = model.to(torch.device(device)).eval()
    rate = int(getattr(extractor, "sampling_rate", 16000))
    if kind == "whisper":
        hop = 2 * int(extractor.hop_length)  # 10 ms mel frames, 2x down-sampled
        field_ = hop
        padded = True
        layers = config.encoder_layers + 1
        hidden = config.d_model
    else:
        hop = int(np.prod(config.conv_stride))
        field_ = 1 + sum((k - 1) * int(np.prod(config.conv_stride[:i]))
                         for i, k in enumerate(config.conv_kernel))
        padded = kind in PADDED_BATCHES and config.feat_extract_norm == "layer"
        layers = config.num_hidden_layers + 1
        hidden = config.hidden_size
    return Checkpoint(folder=folder, identity=identity, model_type=kind,
                      sampling_rate=rate, hidden_size=int(hidden),
                      n_hidden_states=int(layers), hop=int(hop),
                      receptive_field=int(field_), padded=padded, model=model,
                      feature_extractor=extractor, device=str(device))


def load_checkpoint(model, device="cpu"):
    """The :class:`Checkpoint` of the folder ``model`` on ``device`` (kept loaded).

    The last two checkpoints loaded in the process stay in memory, keyed by
    their folder, their files' content and the device, so the clones that
    ``cross_validate`` or ``GridSearchCV`` make do not load the weights again.
    """
    folder = check_folder(model)
    identity = checkpoint_identity(folder)
    key = (folder, identity, str(device))
    with _LOAD_LOCK:
        if key in _LOADED:
            return _LOADED[key]
    checkpoint = _build(folder, identity, device)
    with _LOAD_LOCK:
        _LOADED[key] = checkpoint
        while len(_LOADED) > 2:
            _LOADED.pop(next(iter(_LOADED)))
    return checkpoint
