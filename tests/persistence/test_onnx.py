"""Tests of sklearn_ser.export_onnx."""

import json

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline

from sklearn_ser import (
    LLDExtractor,
    NeutralStandardScaler,
    PadCrop,
    SERClassifier,
    SERRegressor,
    export_onnx,
    load,
    save,
)
from sklearn_ser.datasets import make_emotional_speech
from sklearn_ser.network._modules import ATTENTIONS
from sklearn_ser.pipeline._factories import make_ser_pipeline

from .._common import TINY_NET

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
    assert json.loads(meta["sklearn_ser.task"]) == "classification"
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
    with pytest.raises(TypeError, match="last step is LLDExtractor"):  # b passes
        export_onnx(Pipeline([("a", LLDExtractor()), ("b", None)]), tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


# -- SERRegressor -------------------------------------------------------------


def _toy_targets(X, n_targets=3, seed=0):
    """Targets on a 1-5 scale (like valence, arousal, dominance) that follow X."""
    rng = np.random.default_rng(seed)
    signal = np.nanmean(X[:, :, :n_targets], axis=1)
    return 3.0 + signal + 0.3 * rng.normal(size=signal.shape)


def _run_values(path, X):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [o.name for o in session.get_outputs()] == ["values"]
    (values,) = session.run(["values"], {"features": X})
    return values


@pytest.mark.parametrize("attention", ATTENTIONS)
def test_regressor_onnx_matches_predict_on_several_lengths(tmp_path, attention):
    X, _ = _toy()
    y = _toy_targets(X)
    reg = SERRegressor(attention=attention, **SMALL).fit(X, y)
    export_onnx(reg, tmp_path / "m.onnx")
    batch = _utterances(LENGTHS)
    values = _run_values(tmp_path / "m.onnx", batch)
    expected = reg.predict(batch)
    assert values.dtype == np.float32 and values.shape == (len(LENGTHS), 3)
    np.testing.assert_allclose(values, expected, rtol=0, atol=1e-5)
    # in the targets' units, not standardised
    assert abs(float(values.mean()) - 3.0) < 1.5
    for i, length in enumerate(LENGTHS):
        alone = _run_values(tmp_path / "m.onnx", batch[i:i + 1, :length])
        np.testing.assert_allclose(alone[0], expected[i], rtol=0, atol=1e-5)
    padded = np.concatenate([batch, np.full((len(LENGTHS), 200, 32), np.nan,
                                            dtype=np.float32)], axis=1)
    np.testing.assert_allclose(_run_values(tmp_path / "m.onnx", padded), expected,
                               rtol=0, atol=1e-5)


def test_regressor_with_1d_target_exports_one_column(tmp_path):
    X, _ = _toy()
    y = _toy_targets(X)[:, 1]
    reg = SERRegressor(attention="lstm", **SMALL).fit(X, y)
    export_onnx(reg, tmp_path / "m.onnx")
    batch = _utterances(LENGTHS)
    values = _run_values(tmp_path / "m.onnx", batch)
    expected = reg.predict(batch)
    assert expected.shape == (len(LENGTHS),)
    assert values.shape == (len(LENGTHS), 1)  # (batch, n_outputs), n_outputs=1
    np.testing.assert_allclose(values[:, 0], expected, rtol=0, atol=1e-5)
    meta = {p.key: p.value for p in onnx.load(tmp_path / "m.onnx").metadata_props}
    assert json.loads(meta["sklearn_ser.n_outputs"]) == 1


def test_regressor_metadata_and_graph(tmp_path):
    X, _ = _toy()
    y = _toy_targets(X, n_targets=2)
    reg = SERRegressor(attention="zhou", **SMALL).fit(X, y)
    export_onnx(reg, tmp_path / "m.onnx")
    model = onnx.load(tmp_path / "m.onnx")
    onnx.checker.check_model(model)
    (inp,) = model.graph.input
    dims = inp.type.tensor_type.shape.dim
    assert [d.dim_param for d in dims[:2]] == ["batch", "frames"]
    assert dims[2].dim_value == 32
    (out,) = model.graph.output
    assert out.name == "values"
    assert out.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    out_dims = out.type.tensor_type.shape.dim
    assert out_dims[0].dim_param == "batch" and out_dims[1].dim_value == 2
    meta = {p.key: json.loads(p.value) for p in model.metadata_props}
    assert meta["sklearn_ser.task"] == "regression"
    assert meta["sklearn_ser.n_outputs"] == 2
    assert meta["sklearn_ser.n_features"] == 32
    np.testing.assert_array_equal(meta["sklearn_ser.target_mean"], reg.target_mean_)
    np.testing.assert_array_equal(meta["sklearn_ser.target_scale"], reg.target_scale_)
    assert "sklearn_ser.classes" not in meta
    assert "sklearn_ser.target_names" not in meta  # the regressor has none
    assert "sklearn_ser.scaler_mean" not in meta  # a regressor alone has no scaler

    export_onnx(reg, tmp_path / "named.onnx", target_names=("valence", "arousal"))
    named = {p.key: json.loads(p.value)
             for p in onnx.load(tmp_path / "named.onnx").metadata_props}
    assert named["sklearn_ser.target_names"] == ["valence", "arousal"]


def test_regressor_pipeline_export(tmp_path):
    """A pipeline ending with a step "regressor", exported from a model file."""
    X, _ = _toy()
    y = _toy_targets(X)
    utterances = [x[~np.isnan(x).all(axis=1)] for x in X]
    pipe = Pipeline([
        ("padcrop", PadCrop(n_frames=30)),
        ("scaler", NeutralStandardScaler(neutral_label=None)),
        ("regressor", SERRegressor(attention="yang", **SMALL)),
    ]).fit(utterances, y)
    save(pipe, tmp_path / "m.skser")
    export_onnx(load(tmp_path / "m.skser"), tmp_path / "m.onnx",
                target_names=["valence", "arousal", "dominance"])

    session = ort.InferenceSession(str(tmp_path / "m.onnx"),
                                   providers=["CPUExecutionProvider"])
    meta = {k: json.loads(v)
            for k, v in session.get_modelmeta().custom_metadata_map.items()}
    assert meta["sklearn_ser.task"] == "regression"
    n_frames = meta["sklearn_ser.n_frames"]
    assert n_frames == 30
    assert meta["sklearn_ser.target_names"] == ["valence", "arousal", "dominance"]
    np.testing.assert_array_equal(meta["sklearn_ser.scaler_mean"], pipe["scaler"].mean_)
    np.testing.assert_array_equal(meta["sklearn_ser.scaler_scale"],
                                  pipe["scaler"].scale_)

    new = [u[~np.isnan(u).all(axis=1)] for u in _utterances(LENGTHS, seed=5)]
    assert max(map(len, new)) > n_frames  # some get cropped
    mean = np.array(meta["sklearn_ser.scaler_mean"])
    scale = np.array(meta["sklearn_ser.scaler_scale"])
    scaled = [((u[:n_frames] - mean) / scale).astype(np.float32) for u in new]
    batch = np.full((len(scaled), max(map(len, scaled)), 32), np.nan, np.float32)
    for i, u in enumerate(scaled):
        batch[i, :len(u)] = u
    (values,) = session.run(["values"], {"features": batch})
    np.testing.assert_allclose(values, pipe.predict(new), rtol=0, atol=1e-5)


def test_regressor_export_refusals(tmp_path):
    X, y = _toy()
    with pytest.raises(NotFittedError, match="This SERRegressor is not fitted"):
        export_onnx(SERRegressor(**SMALL), tmp_path / "m.onnx")
    with pytest.raises(NotFittedError, match="SERRegressor is not fitted"):
        export_onnx(Pipeline([("scaler", NeutralStandardScaler()),
                              ("regressor", SERRegressor(**SMALL))]),
                    tmp_path / "m.onnx")
    with pytest.raises(TypeError, match="SERClassifier or a SERRegressor; the last "
                                        "step is NeutralStandardScaler"):
        export_onnx(Pipeline([("scaler", NeutralStandardScaler())]),
                    tmp_path / "m.onnx")
    with pytest.raises(TypeError, match="SERRegressor, got LLDExtractor"):
        export_onnx(LLDExtractor(), tmp_path / "m.onnx")
    clf = SERClassifier(**SMALL).fit(X, y)
    with pytest.raises(ValueError, match="target_names names the outputs of a "
                                         "SERRegressor"):
        export_onnx(clf, tmp_path / "m.onnx", target_names=["valence"])
    reg = SERRegressor(**SMALL).fit(X, _toy_targets(X, n_targets=2))
    with pytest.raises(ValueError, match="2 str, one per target"):
        export_onnx(reg, tmp_path / "m.onnx", target_names=["valence"])
    with pytest.raises(TypeError, match="sequence of 2 str"):
        export_onnx(reg, tmp_path / "m.onnx", target_names="va")
    assert not (tmp_path / "m.onnx").exists()


def test_the_normalisation_of_the_pipeline_is_in_the_file(tmp_path):
    import onnx
    import pandas as pd

    from sklearn_ser import SpeakerStandardScaler

    X, y = _toy()
    utterances = [x[~np.isnan(x).all(axis=1)] for x in X]
    frame = pd.DataFrame({"lld": pd.Series(utterances, dtype=object),
                          "speaker": ["a", "b"] * (len(X) // 2)})
    speaker = Pipeline([("scaler", SpeakerStandardScaler()),
                        ("padcrop", PadCrop(n_frames=30)),
                        ("classifier", SERClassifier(**SMALL))]).fit(frame, y)
    export_onnx(speaker, tmp_path / "s.onnx")
    meta = {p.key: p.value for p in onnx.load(tmp_path / "s.onnx").metadata_props}
    assert json.loads(meta["sklearn_ser.normalization"]) == "speaker"
    assert "sklearn_ser.scaler_mean" not in meta  # per speaker, not in the file
    neutral = Pipeline([("padcrop", PadCrop(n_frames=30)),
                        ("scaler", NeutralStandardScaler()),
                        ("classifier", SERClassifier(**SMALL))]).fit(utterances, y)
    export_onnx(neutral, tmp_path / "n.onnx")
    meta = {p.key: p.value for p in onnx.load(tmp_path / "n.onnx").metadata_props}
    assert json.loads(meta["sklearn_ser.normalization"]) == "neutral"
    assert len(json.loads(meta["sklearn_ser.scaler_mean"])) == X.shape[2]
