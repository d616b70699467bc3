"""Tests of sklearn_ser.export_onnx."""

import json

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline

from sklearn_ser import LLDExtractor, SERClassifier, export_onnx, load, save
from sklearn_ser._network import ATTENTIONS
from sklearn_ser._pipeline import make_ser_pipeline
from sklearn_ser.datasets import make_emotional_speech

from ._common import TINY_NET

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

SMALL = TINY_NET
LENGTHS = [1, 2, 7, 30, 64]



def _toy(n=32, n_frames=40, n_features=32, seed=0):
    rng = np.random.default_rng(seed)
    y = np.array(["ang", "hap", "neu", "sad"] * (n // 4))
    X = rng.normal(size=(n, n_frames, n_features)).astype(np.float32)
    X[y == "ang", :5] += 1.0
    for i, length in enumerate(rng.integers(5, n_frames + 1, size=n)):
        X[i, length:] = np.nan
    return X, y


def _utterances(lengths, n_features=32, seed=1):
    """NaN-padded batch of utterances of the given lengths."""
    rng = np.random.default_rng(seed)
    X = np.full((len(lengths), max(lengths), n_features), np.nan, dtype=np.float32)
    for i, length in enumerate(lengths):
        X[i, :length] = rng.normal(size=(length, n_features))
    return X


def _run(path, X):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    proba, logits = session.run(["probabilities", "logits"], {"features": X})
    return proba, logits


@pytest.mark.parametrize("attention", ATTENTIONS)
def test_onnx_matches_torch_on_several_lengths(tmp_path, attention):
    X, y = _toy()
    clf = SERClassifier(attention=attention, **SMALL).fit(X, y)
    path = tmp_path / "model.onnx"
    export_onnx(clf, path)
    batch = _utterances(LENGTHS)
    proba, logits = _run(path, batch)
    expected = clf.predict_proba(batch)
    assert proba.shape == (len(LENGTHS), 4)
    np.testing.assert_allclose(proba, expected, rtol=0, atol=1e-4)
    np.testing.assert_allclose(proba, torch.softmax(torch.from_numpy(logits), 1),
                               atol=1e-6)
    # each utterance alone, unpadded (batch of 1, its own length)
    for i, length in enumerate(LENGTHS):
        alone, _ = _run(path, batch[i:i + 1, :length])
        np.testing.assert_allclose(alone[0], expected[i], rtol=0, atol=1e-4)
    # longer padding than anything seen in training or at export
    padded = np.concatenate([batch, np.full((len(LENGTHS), 200, 32), np.nan,
                                            dtype=np.float32)], axis=1)
    np.testing.assert_allclose(_run(path, padded)[0], expected, rtol=0, atol=1e-4)


def test_onnx_has_dynamic_axes_and_metadata(tmp_path):
    X, y = _toy()
    clf = SERClassifier(attention="lstm", **SMALL).fit(X, y)
    export_onnx(clf, tmp_path / "m.onnx")
    model = onnx.load(tmp_path / "m.onnx")
    onnx.checker.check_model(model)
    (inp,) = model.graph.input
    assert inp.name == "features"
    dims = inp.type.tensor_type.shape.dim
    assert [d.dim_param for d in dims[:2]] == ["batch", "frames"]
    assert dims[2].dim_value == 32
    assert [o.name for o in model.graph.output] == ["probabilities", "logits"]
    meta = {p.key: p.value for p in model.metadata_props}
    assert json.loads(meta["sklearn_ser.classes"]) == ["ang", "hap", "neu", "sad"]
    assert json.loads(meta["sklearn_ser.n_features"]) == 32
    assert "sklearn_ser.scaler_mean" not in meta  # a classifier alone has no scaler


def test_packed_network_is_exported_exactly(tmp_path):
    X, y = _toy()
    clf = SERClassifier(attention="lstm", module__rnn_implementation="packed",
                        **SMALL).fit(X, y)
    export_onnx(clf, tmp_path / "m.onnx")
    batch = _utterances(LENGTHS)
    np.testing.assert_allclose(_run(tmp_path / "m.onnx", batch)[0],
                               clf.predict_proba(batch), rtol=0, atol=1e-4)


def test_documented_recipe_reproduces_the_pipeline(tmp_path):
    """The Notes of export_onnx: LLDs, crop, scale with the metadata, NaN-pad."""
    data = make_emotional_speech(n_samples=12, random_state=0)
    pipe = make_ser_pipeline("zhou", n_frames=150, **SMALL)
    pipe.fit(list(data.data), data.target)
    # export from a loaded model file: the path a deployment takes
    save(pipe, tmp_path / "m.skser")
    export_onnx(load(tmp_path / "m.skser"), tmp_path / "m.onnx")

    session = ort.InferenceSession(str(tmp_path / "m.onnx"),
                                   providers=["CPUExecutionProvider"])
    meta = session.get_modelmeta().custom_metadata_map
    mean = np.array(json.loads(meta["sklearn_ser.scaler_mean"]))
    scale = np.array(json.loads(meta["sklearn_ser.scaler_scale"]))
    n_frames = json.loads(meta["sklearn_ser.n_frames"])
    classes = json.loads(meta["sklearn_ser.classes"])
    assert json.loads(meta["sklearn_ser.sampling_rate"]) == 16000
    assert json.loads(meta["sklearn_ser.crop"]) == "end"
    assert json.loads(meta["sklearn_ser.feature_names"]) == (
        LLDExtractor().get_feature_names_out().tolist())
    np.testing.assert_array_equal(mean, pipe["scaler"].mean_)
    np.testing.assert_array_equal(scale, pipe["scaler"].scale_)

    new = make_emotional_speech(n_samples=5, n_sessions=2, random_state=3)
    feats = LLDExtractor().transform(list(new.data))
    assert max(len(f) for f in feats) > n_frames  # some get cropped
    scaled = [((f[:n_frames] - mean) / scale).astype(np.float32) for f in feats]
    batch = np.full((len(scaled), max(map(len, scaled)), 32), np.nan, np.float32)
    for i, f in enumerate(scaled):
        batch[i, :len(f)] = f
    (proba,) = session.run(["probabilities"], {"features": batch})
    expected = pipe.predict_proba(list(new.data))
    np.testing.assert_allclose(proba, expected, rtol=0, atol=1e-4)
    assert [classes[k] for k in proba.argmax(1)] == pipe.predict(
        list(new.data)).tolist()


def test_export_refuses_what_it_cannot_export(tmp_path):
    with pytest.raises(NotFittedError, match="not fitted"):
        export_onnx(SERClassifier(**SMALL), tmp_path / "m.onnx")
    with pytest.raises(TypeError, match="last step is NeutralStandardScaler"):
        export_onnx(make_ser_pipeline()[:-1], tmp_path / "m.onnx")
    with pytest.raises(TypeError, match="got LLDExtractor"):
        export_onnx(LLDExtractor(), tmp_path / "m.onnx")
    with pytest.raises(TypeError, match="last step is NoneType"):
        export_onnx(Pipeline([("a", LLDExtractor()), ("b", None)]), tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()
