"""Tests of sklearn_ser.EncoderExtractor and its checkpoints (_encoder.py,
_checkpoint.py), with tiny randomly initialised models saved to folders."""

import os
import re

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_ser import (
    AttentionDisplay,
    EncoderExtractor,
    NeutralStandardScaler,
    PadCrop,
    SERClassifier,
    StreamingRecognizer,
    load,
    predict_timeline,
    save,
)
from sklearn_ser.features import _checkpoint
from sklearn_ser.pipeline._describe import describe_pipeline

from .. import _checks
from .._common import TINY_NET
from .._signals import SR, speech_like, write

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")

_CONV = dict(hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
             intermediate_size=32, conv_dim=(8,) * 7)


def _save(folder, model, extractor):
    model.save_pretrained(folder)
    extractor.save_pretrained(folder)
    return os.fspath(folder)


def _build(kind, folder):
    torch.manual_seed(0)
    t = transformers
    pos = dict(num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2)
    fe = t.Wav2Vec2FeatureExtractor(do_normalize=True, return_attention_mask=True)
    if kind == "wav2vec2":
        model = t.Wav2Vec2Model(t.Wav2Vec2Config(**_CONV, **pos,
                                                 feat_extract_norm="layer"))
    elif kind == "wav2vec2-group":
        fe = t.Wav2Vec2FeatureExtractor(do_normalize=False)
        model = t.Wav2Vec2Model(t.Wav2Vec2Config(**_CONV, **pos,
                                                 feat_extract_norm="group"))
    elif kind == "hubert":
        model = t.HubertModel(t.HubertConfig(**_CONV, **pos, feat_extract_norm="layer"))
    elif kind == "wavlm":
        model = t.WavLMModel(t.WavLMConfig(**_CONV, **pos, feat_extract_norm="layer",
                                           num_buckets=16, max_bucket_distance=40))
    elif kind == "data2vec-audio":
        model = t.Data2VecAudioModel(t.Data2VecAudioConfig(
            **_CONV, num_conv_pos_embeddings=5, conv_pos_kernel_size=5,
            num_conv_pos_embedding_groups=2))
    else:  # whisper
        config = t.WhisperConfig(
            d_model=16, encoder_layers=2, decoder_layers=1, encoder_attention_heads=2,
            decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32,
            num_mel_bins=80, vocab_size=64, max_source_positions=1500,
            max_target_positions=32, pad_token_id=0, bos_token_id=1,
            eos_token_id=2, decoder_start_token_id=1)
        model, fe = t.WhisperModel(config), t.WhisperFeatureExtractor(feature_size=80)
    return _save(folder, model, fe)


KINDS = ("wav2vec2", "wav2vec2-group", "hubert", "wavlm", "data2vec-audio", "whisper")


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("encoders")
    return {kind: _build(kind, root / kind) for kind in KINDS}


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    """Nothing here may reach the network."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def _signals(lengths, seed=0):
    return [speech_like(n / SR, seed=seed + i)[:n].astype(np.float32)
            for i, n in enumerate(lengths)]


# -- output ---------------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_shapes_and_frame_rate(models, kind):
    lengths = [400, 8000, 16000, 24321]
    X = _signals(lengths)
    out = EncoderExtractor(models[kind]).fit_transform(X)
    for feats, n in zip(out, lengths, strict=True):
        expected = n // 320 if kind == "whisper" else 1 + (n - 400) // 320
        assert feats.shape == (expected, 16) and feats.dtype == np.float32
        assert np.isfinite(feats).all()
    names = EncoderExtractor(models[kind]).get_feature_names_out()
    assert names.shape == (16,) and names[0] == f"{kind.split('-group')[0]}_L2[0]"


def test_whisper_windows_of_30_s(models):
    x = speech_like(31.0, seed=2).astype(np.float32)
    [feats] = EncoderExtractor(models["whisper"]).transform([x])
    assert feats.shape == (31 * 50, 16)
    [head] = EncoderExtractor(models["whisper"]).transform([x[:30 * SR]])
    np.testing.assert_allclose(feats[:1500], head, atol=1e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_batches_equal_one_at_a_time(models, kind):
    lengths = [16000, 5000, 16000, 9999, 700, 20000, 16000]
    X = _signals(lengths, seed=5)
    one = EncoderExtractor(models[kind], batch_size=1).transform(X)
    batched = EncoderExtractor(models[kind], batch_size=4).transform(X)
    for a, b in zip(one, batched, strict=True):
        np.testing.assert_allclose(a, b, atol=2e-5, rtol=1e-5)


def test_padded_batches_only_where_padding_changes_nothing(models, monkeypatch):
    sizes = {}
    original = _checkpoint.Checkpoint.encode

    def spy(self, waveforms, layers):
        sizes.setdefault(self.model_type + str(self.padded), []).append(
            sorted(len(x) for x in waveforms))
        return original(self, waveforms, layers)

    monkeypatch.setattr(_checkpoint.Checkpoint, "encode", spy)
    X = _signals([16000, 5000, 16000, 9999])
    EncoderExtractor(models["wavlm"], batch_size=8).transform(X)
    EncoderExtractor(models["wav2vec2-group"], batch_size=8).transform(X)
    EncoderExtractor(models["data2vec-audio"], batch_size=8).transform(X)
    assert sizes["wavlmTrue"] == [[5000, 9999, 16000, 16000]]
    assert sizes["wav2vec2False"] == [[5000], [9999], [16000, 16000]]
    assert sizes["data2vec-audioFalse"] == [[5000], [9999], [16000, 16000]]


def test_layers_and_their_average(models):
    X = _signals([12000, 7000])
    first = EncoderExtractor(models["hubert"], layer=1).transform(X)
    last = EncoderExtractor(models["hubert"], layer=-1).transform(X)
    second = EncoderExtractor(models["hubert"], layer=2).transform(X)
    mean = EncoderExtractor(models["hubert"], layer=(1, -1)).transform(X)
    for a, b, c, m in zip(first, last, second, mean, strict=True):
        np.testing.assert_array_equal(b, c)
        assert not np.allclose(a, b)
        np.testing.assert_allclose(m, (a + b) / 2, atol=1e-6)
    names = EncoderExtractor(models["hubert"], layer=[2, 1]).get_feature_names_out()
    assert names[3] == "hubert_L1-L2[3]"
    with pytest.raises(ValueError, match=r"layer 3 does not exist: .* has 3 hidden"):
        EncoderExtractor(models["hubert"], layer=(0, 3)).fit(X)
    with pytest.raises(ValueError, match="layer must be an int or a non-empty"):
        EncoderExtractor(models["hubert"], layer=()).fit(X)


# -- cache ------------------------------------------------------------------------

def test_cache_hits_and_the_checkpoint_in_the_key(models, tmp_path, monkeypatch):
    calls = []
    original = _checkpoint.Checkpoint.encode

    def counting(self, waveforms, layers):
        calls.append(len(waveforms))
        return original(self, waveforms, layers)

    monkeypatch.setattr(_checkpoint.Checkpoint, "encode", counting)
    files = [write(tmp_path / f"{i}.wav", x) for i, x in
             enumerate(_signals([8000, 12000, 4000]))]
    cache = tmp_path / "cache"
    first = EncoderExtractor(models["wavlm"], memory=cache).transform(files)
    assert sum(calls) == 3
    again = EncoderExtractor(models["wavlm"], memory=cache).transform(files)
    assert sum(calls) == 3  # all from the cache
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    EncoderExtractor(models["wavlm"], memory=cache, layer=1).transform(files)
    assert sum(calls) == 6  # other layers: other entries
    EncoderExtractor(models["hubert"], memory=cache).transform(files)
    assert sum(calls) == 9  # another checkpoint
    # the same folder with other weights is another checkpoint
    folder = _build("wav2vec2", tmp_path / "w")
    EncoderExtractor(folder, memory=cache).transform(files)
    torch.manual_seed(1)
    transformers.Wav2Vec2Model(transformers.Wav2Vec2Config(
        **_CONV, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2,
        feat_extract_norm="layer")).save_pretrained(folder)
    EncoderExtractor(folder, memory=cache).transform(files)
    assert sum(calls) == 15
    entries = list((cache / "joblib" / "sklearn_ser" / "EncoderExtractor").rglob("*"))
    assert sum(p.suffix == ".lld" for p in entries) == 15


# -- bad inputs -------------------------------------------------------------------

def test_a_hub_name_is_never_downloaded(monkeypatch):
    import huggingface_hub

    def refuse(*args, **kwargs):
        raise AssertionError("a download was attempted")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", refuse)
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", refuse)
    with pytest.raises(ValueError, match=(
            r"model='microsoft/wavlm-base-plus' is not a local folder: "
            r"EncoderExtractor never downloads weights; .*huggingface-cli download "
            r"microsoft/wavlm-base-plus --local-dir ./wavlm-base-plus")):
        EncoderExtractor("microsoft/wavlm-base-plus").transform(_signals([8000]))


def test_missing_or_incomplete_folders(models, tmp_path):
    X = _signals([8000])
    with pytest.raises(ValueError, match="is not a local folder.*pass the folder"):
        EncoderExtractor(os.fspath(tmp_path / "nowhere" / "model")).transform(X)
    with pytest.raises(TypeError, match="model must be the path of a local folder"):
        EncoderExtractor().transform(X)
    with pytest.raises(InvalidParameterError):
        EncoderExtractor(3).fit(X)
    file = write(tmp_path / "a.wav", X[0])
    with pytest.raises(ValueError, match="is a file; expected the folder"):
        EncoderExtractor(file).fit(X)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="holds no config.json"):
        EncoderExtractor(empty).fit(X)
    no_weights = tmp_path / "no_weights"
    no_weights.mkdir()
    for name in ("config.json", "preprocessor_config.json"):
        with open(os.path.join(models["wavlm"], name), "rb") as f:
            (no_weights / name).write_bytes(f.read())
    with pytest.raises(ValueError, match="could not load the weights"):
        EncoderExtractor(no_weights).fit(X)


def test_an_unsupported_model_type(tmp_path):
    bert = transformers.BertConfig(hidden_size=16, num_hidden_layers=1,
                                   num_attention_heads=2, intermediate_size=32)
    folder = _save(tmp_path / "bert", transformers.BertModel(bert),
                   transformers.Wav2Vec2FeatureExtractor())
    with pytest.raises(ValueError, match="is a 'bert' checkpoint.*'wavlm'"):
        EncoderExtractor(folder).fit(_signals([8000]))


def test_wrong_sampling_rate(models):
    with pytest.raises(ValueError, match=r"sampling_rate=8000 Hz, but the checkpoint "
                                         r".* reads audio at 16000 Hz"):
        EncoderExtractor(models["wavlm"], sampling_rate=8000).transform(
            _signals([8000]))


def test_devices(models):
    X = _signals([8000])
    with pytest.raises(ValueError, match="device='gpu0' is not a torch device"):
        EncoderExtractor(models["wavlm"], device="gpu0").fit(X)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match=r"device='cuda': (this torch .* build "
                                             r"has no CUDA support|torch sees no "
                                             r"CUDA device)"):
            EncoderExtractor(models["wavlm"], device="cuda").fit(X)
    [auto] = EncoderExtractor(models["wavlm"], device="auto").transform(X)
    [cpu] = EncoderExtractor(models["wavlm"]).transform(X)
    np.testing.assert_allclose(auto, cpu, atol=1e-4)


def test_bad_audio_is_reported_like_the_lld_extractor(models, tmp_path):
    enc = EncoderExtractor(models["wav2vec2"])
    with pytest.raises(ValueError, match=r"X\[0\]: zero-length audio"):
        enc.transform([np.zeros(0, np.float32)])
    with pytest.raises(ValueError, match=r"X\[1\].*shorter than one 25 ms"):
        enc.transform([np.zeros(800), np.zeros(300)])
    with pytest.raises(ValueError, match=r"X\[0\]: sample 5 is nan"):
        enc.transform([np.r_[np.zeros(5), np.nan, np.zeros(900)]])
    good = write(tmp_path / "good.wav", speech_like(0.5))
    short = write(tmp_path / "short.wav", np.zeros(200))
    missing = os.fspath(tmp_path / "missing.wav")
    with pytest.raises(ValueError, match="2 of 3 inputs could not be used") as info:
        enc.transform([short, good, missing])
    assert "short.wav" in str(info.value) and "missing.wav" in str(info.value)
    whisper = EncoderExtractor(models["whisper"])
    with pytest.raises(ValueError, match=r"shorter than one 20 ms analysis window"):
        whisper.transform([np.zeros(300)])


def test_max_duration_bounds_files_and_waveforms(models, tmp_path):
    enc = EncoderExtractor(models["wav2vec2"], max_duration=0.5)
    good = write(tmp_path / "good.wav", speech_like(0.4))
    long = write(tmp_path / "long.wav", speech_like(1.0))
    with pytest.raises(ValueError, match="1 of 2 inputs could not be used") as info:
        enc.transform([good, long])
    assert re.search(r"long\.wav'\): its header declares 16000 samples at 16000 Hz "
                     r"\(1\.0 s\), longer than max_duration=0\.5 s of "
                     r"EncoderExtractor", str(info.value))
    with pytest.raises(ValueError, match=r"X\[0\]: it holds 16000 samples .* "
                                         r"max_duration=0\.5 s of EncoderExtractor"):
        enc.transform([speech_like(1.0)])
    unbounded = EncoderExtractor(models["wav2vec2"], max_duration=None)
    assert unbounded.transform([long])[0].shape[0] == 1 + (16000 - 400) // 320
    with pytest.raises(InvalidParameterError, match="max_duration"):
        EncoderExtractor(models["wav2vec2"], max_duration=0).fit([speech_like(0.4)])


# -- estimator API and pipelines -----------------------------------------------------

@pytest.mark.parametrize(
    "check",
    [_checks.check_clone, _checks.check_get_set_params, _checks.check_fit_returns_self,
     _checks.check_pickle_roundtrip, _checks.check_input_not_modified,
     _checks.check_fit_idempotent],
    ids=lambda c: c.__name__,
)
def test_conformance(models, check):
    check(EncoderExtractor(models["wavlm"]), _signals([4000, 6000]), None)


def test_pipeline_fits_saves_loads_and_the_timeline_refuses_it(models, tmp_path):
    import pandas as pd

    from sklearn_ser.datasets import make_emotional_speech

    data = make_emotional_speech(n_samples=12, random_state=0)
    pipe = make_pipeline(EncoderExtractor(models["wavlm"], layer=(1, 2)),
                         PadCrop(n_frames=100), NeutralStandardScaler(),
                         SERClassifier(attention="lstm", **TINY_NET))
    X = pd.DataFrame({"audio": list(data.data), "speaker": data.speakers})
    pipe.fit(X, data.target)
    proba = pipe.predict_proba(X.iloc[:4])
    save(pipe, tmp_path / "m.skser")
    loaded = load(tmp_path / "m.skser")
    assert loaded[0].layer == (1, 2) and loaded[0].model == models["wavlm"]
    np.testing.assert_allclose(loaded.predict_proba(X.iloc[:4]), proba, atol=1e-6)
    # the frames of an encoder are 20 ms apart: the window it was trained on
    # and the attention plot's time axis say so
    kind = describe_pipeline(pipe)
    assert kind.frame_step == 0.02 and kind.window == pytest.approx(2.0)
    assert kind.sampling_rate == 16000
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    display = AttentionDisplay.from_estimator(pipe, data.data[0])
    assert display.frame_times[1] == pytest.approx(0.02)
    assert display.frame_times[-1] == pytest.approx(0.02 * 99)
    rec = np.concatenate(list(data.data[:2]))
    for run in (lambda: predict_timeline(pipe, rec),
                lambda: StreamingRecognizer(pipe)):
        with pytest.raises(TypeError, match="first step of estimator is "
                                            "EncoderExtractor.*LLDExtractor"):
            run()
