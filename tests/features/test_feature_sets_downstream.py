"""Every step after the extractor with the eGeMAPS and ComParE feature sets:
pipelines fit, predict, save, load and export with each set."""

import json

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from sklearn_ser import (
    LLDExtractor,
    export_onnx,
    load,
    make_baseline_pipeline,
    make_ser_pipeline,
    save,
)
from sklearn_ser.datasets import make_emotional_speech
from sklearn_ser.features._feature_sets import get_feature_set

from .._common import TINY_NET

SETS = ("egemaps", "compare")


@pytest.fixture(scope="module")
def corpus():
    return make_emotional_speech(n_samples=16, random_state=0)


@pytest.fixture(scope="module")
def new_audio():
    return list(make_emotional_speech(n_samples=5, n_sessions=2, random_state=3).data)


@pytest.mark.parametrize("name", SETS)
def test_network_pipeline_fits_saves_loads_and_exports(name, corpus, new_audio,
                                                       tmp_path):
    ort = pytest.importorskip("onnxruntime")
    pipe = make_ser_pipeline("lstm", n_frames=150, **TINY_NET)
    pipe.set_params(lld__feature_set=name)
    pipe.fit(list(corpus.data), corpus.target)
    n_features = get_feature_set(name).n_features
    assert pipe["classifier"].n_features_in_ == n_features
    assert pipe["scaler"].mean_.shape == (n_features,)
    proba = pipe.predict_proba(new_audio)
    assert proba.shape == (5, 4) and np.allclose(proba.sum(axis=1), 1)

    save(pipe, tmp_path / "m.skser")
    loaded = load(tmp_path / "m.skser")
    assert loaded["lld"].feature_set == name
    np.testing.assert_allclose(loaded.predict_proba(new_audio), proba, atol=1e-6)

    export_onnx(loaded, tmp_path / "m.onnx")
    session = ort.InferenceSession(str(tmp_path / "m.onnx"),
                                   providers=["CPUExecutionProvider"])
    meta = session.get_modelmeta().custom_metadata_map
    names = LLDExtractor(feature_set=name).get_feature_names_out().tolist()
    assert json.loads(meta["sklearn_ser.feature_names"]) == names
    mean = np.array(json.loads(meta["sklearn_ser.scaler_mean"]))
    scale = np.array(json.loads(meta["sklearn_ser.scaler_scale"]))
    feats = LLDExtractor(feature_set=name).transform(new_audio)
    scaled = [((f[:150] - mean) / scale).astype(np.float32) for f in feats]
    batch = np.full((5, max(map(len, scaled)), n_features), np.nan, np.float32)
    for i, f in enumerate(scaled):
        batch[i, :len(f)] = f
    (onnx_proba,) = session.run(["probabilities"], {"features": batch})
    np.testing.assert_allclose(onnx_proba, proba, atol=1e-4)


@pytest.mark.parametrize("name", SETS)
@pytest.mark.parametrize("normalization", ["neutral", "speaker"])
def test_functionals_baseline_with_either_scaler(name, normalization, corpus,
                                                 new_audio, tmp_path):
    import pandas as pd

    pipe = make_baseline_pipeline(LogisticRegression(max_iter=3000),
                                  normalization=normalization)
    pipe.set_params(lld__feature_set=name)
    X = pd.DataFrame({"audio": list(corpus.data), "speaker": corpus.speakers})
    pipe.fit(X, corpus.target)
    n_features = get_feature_set(name).n_features
    assert pipe["functionals"].n_features_in_ == n_features
    new = X.iloc[:5]
    expected = pipe.predict_proba(new)
    save(pipe, tmp_path / "b.skser")
    np.testing.assert_allclose(load(tmp_path / "b.skser").predict_proba(new),
                               expected, atol=1e-9)


@pytest.mark.parametrize("name", SETS)
def test_regressor_pipeline(name, tmp_path):
    dims = make_emotional_speech(n_samples=12, random_state=0, target="dimensions")
    pipe = make_ser_pipeline("mean", n_frames=120, task="regression", **TINY_NET)
    pipe.set_params(lld__feature_set=name)
    pipe.fit(list(dims.data), dims.target)
    values = pipe.predict(list(dims.data[:3]))
    assert values.shape == (3, 3) and np.isfinite(values).all()
    save(pipe, tmp_path / "r.skser")
    np.testing.assert_allclose(load(tmp_path / "r.skser").predict(list(dims.data[:3])),
                               values, atol=1e-6)
