"""Tests of the safe model files: sklearn_ser.save / sklearn_ser.load."""

import io
import json
import pickle
import zipfile

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import Callback

from sklearn_ser import (
    NeutralStandardScaler,
    PadCrop,
    SERClassifier,
    __version__,
    load,
    save,
)
from sklearn_ser.datasets import make_emotional_speech
from sklearn_ser.network._loaders import collate_trim
from sklearn_ser.network._modules import ATTENTIONS
from sklearn_ser.persistence._modelfile import FORMAT_VERSION, READABLE_VERSIONS
from sklearn_ser.pipeline._factories import make_ser_pipeline

from .._common import TINY_NET

SMALL = TINY_NET


@pytest.fixture(scope="module")
def corpus():
    return make_emotional_speech(n_samples=16, random_state=0)


@pytest.fixture(scope="module")
def fitted(corpus, tmp_path_factory):
    """One fitted pipeline per pooling (features extracted once, cached)."""
    cache = tmp_path_factory.mktemp("cache")
    pipes = {}
    for attention in ATTENTIONS:
        pipe = make_ser_pipeline(attention, n_frames=100, memory=str(cache), **SMALL)
        pipes[attention] = pipe.fit(list(corpus.data), corpus.target)
    return pipes, cache


@pytest.fixture(scope="module")
def model_file(fitted, tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "model.skser"
    save(fitted[0]["lstm"], path)
    return path


def _toy(n=24, n_frames=10, n_features=3, labels=(0, 1), seed=0):
    rng = np.random.default_rng(seed)
    y = np.array(list(labels) * (n // len(labels)))
    X = rng.normal(size=(n, n_frames, n_features)).astype(np.float32)
    X[y == labels[0], :3] += 1.5
    X[::3, n_frames // 2:] = np.nan
    return X, y


def _rewrite(src, dst, *, replace=None, add=None, drop=()):
    """Copy a zip archive, replacing, adding or dropping members."""
    replace, add = replace or {}, add or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for name in zin.namelist():
            if name in drop:
                continue
            zout.writestr(name, replace.get(name, zin.read(name)))
        for name, data in add.items():
            zout.writestr(name, data)
    return dst


def _edit_metadata(src, dst, edit):
    with zipfile.ZipFile(src) as zf:
        meta = json.loads(zf.read("metadata.json"))
    edit(meta)
    return _rewrite(src, dst, replace={"metadata.json": json.dumps(meta)})


# ---------------------------------------------------------------------------
# Round trips
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("attention", ATTENTIONS)
def test_round_trip_gives_identical_probabilities(fitted, corpus, tmp_path, attention):
    pipes, cache = fitted
    pipe = pipes[attention]
    path = tmp_path / f"{attention}.skser"
    save(pipe, path)
    loaded = load(path)
    assert isinstance(loaded, Pipeline)
    assert [name for name, _ in loaded.steps] == ["lld", "padcrop", "scaler",
                                                  "classifier"]
    expected = pipe.predict_proba(list(corpus.data))
    got = loaded.predict_proba(list(corpus.data))
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(loaded.predict(list(corpus.data)),
                                  pipe.predict(list(corpus.data)))
    np.testing.assert_array_equal(loaded.classes_, pipe.classes_)
    assert loaded.classes_.dtype == pipe.classes_.dtype
    for attr in ("mean_", "var_", "scale_"):
        np.testing.assert_array_equal(getattr(loaded["scaler"], attr),
                                      getattr(pipe["scaler"], attr))
    assert loaded["classifier"].module_.attention == attention
    # every parameter survives, except the feature cache (not saved)
    for name, step in pipe.steps:
        params = loaded[name].get_params(deep=False)
        for key, value in step.get_params(deep=False).items():
            if key == "memory":
                assert params[key] is None and value is not None
            elif isinstance(value, float) and np.isnan(value):
                assert np.isnan(params[key]), key
            else:
                assert params[key] == value, key


def test_loaded_model_predicts_new_audio_without_training_data(fitted, tmp_path):
    pipes, _ = fitted
    pipe = pipes["zhou"]
    path = tmp_path / "model.skser"
    save(pipe, path)
    new = make_emotional_speech(n_samples=6, n_sessions=3, random_state=1)
    expected = pipe.predict_proba(list(new.data))
    loaded = load(path)  # nothing but the file
    assert loaded["lld"].memory is None
    np.testing.assert_allclose(loaded.predict_proba(list(new.data)), expected,
                               rtol=0, atol=1e-6)
    # attention weights and history come back as well
    X = loaded[:-1].transform(list(new.data))
    for a, b in zip(loaded[-1].attention_weights(X), pipe[-1].attention_weights(X),
                    strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)
    assert loaded[-1].history_[:, "valid_wa_ua"] == pipe[-1].history_[:, "valid_wa_ua"]
    assert loaded[-1].best_epoch_ == pipe[-1].best_epoch_


def test_loaded_pipeline_can_be_cloned_and_refit(model_file, corpus):
    loaded = load(model_file)
    refit = clone(loaded).set_params(classifier__max_epochs=1)
    refit.fit(list(corpus.data[:12]), corpus.target[:12])
    proba = refit.predict_proba(list(corpus.data[:3]))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)


def test_single_classifier_with_unusual_parameters_round_trips(tmp_path):
    X, y = _toy()
    clf = SERClassifier(
        **{**SMALL, "max_epochs": 1},
        class_weight={0: 1.0, 1: 2.5},
        classes=np.array([0, 1]),
        module__rnn_implementation="packed",
        optimizer__param_groups=[("*bias*", {"weight_decay": 0.0})],
        validation_fraction=None,
    ).fit(X, y)
    buf = io.BytesIO()
    save(clf, buf)
    buf.seek(0)
    loaded = load(buf)
    assert type(loaded) is SERClassifier
    assert loaded.class_weight == {0: 1.0, 1: 2.5}
    assert loaded.optimizer__param_groups == [("*bias*", {"weight_decay": 0.0})]
    assert loaded.module__rnn_implementation == "packed"
    np.testing.assert_array_equal(loaded.classes, [0, 1])
    np.testing.assert_array_equal(loaded.classes_, clf.classes_)
    np.testing.assert_array_equal(loaded.class_weight_, clf.class_weight_)
    np.testing.assert_allclose(loaded.predict_proba(X), clf.predict_proba(X),
                               rtol=0, atol=1e-6)


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
def test_fitted_scaler_alone_and_object_feature_names(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(8, 2))
    y = ["neu", "ang"] * 4
    scaler = NeutralStandardScaler().fit(X, y)
    scaler.feature_names_in_ = np.array(["a", "b"], dtype=object)
    save(scaler, tmp_path / "scaler.skser")
    loaded = load(tmp_path / "scaler.skser")
    assert loaded.feature_names_in_.dtype == object
    assert loaded.feature_names_in_.tolist() == ["a", "b"]
    np.testing.assert_array_equal(loaded.transform(X), scaler.transform(X))


def test_callbacks_and_memory_are_not_saved(corpus, tmp_path):
    class Noop(Callback):
        pass

    pipe = make_ser_pipeline("mean", n_frames=60, memory=str(tmp_path / "c"),
                             callbacks=[("noop", Noop())],
                             **{**SMALL, "max_epochs": 1})
    pipe = Pipeline(pipe.steps, memory=str(tmp_path / "pipe_cache"))
    pipe.fit(list(corpus.data[:12]), corpus.target[:12])
    save(pipe, tmp_path / "m.skser")
    with zipfile.ZipFile(tmp_path / "m.skser") as zf:
        meta = json.loads(zf.read("metadata.json"))
    assert sorted(meta["not_saved"]) == ["classifier__callbacks", "lld__memory",
                                         "memory"]
    loaded = load(tmp_path / "m.skser")
    assert loaded.memory is None and loaded["lld"].memory is None
    assert loaded["classifier"].callbacks is None
    np.testing.assert_allclose(loaded.predict_proba(list(corpus.data[:4])),
                               pipe.predict_proba(list(corpus.data[:4])), atol=1e-6)


def test_file_carries_format_and_library_version(model_file):
    with zipfile.ZipFile(model_file) as zf:
        assert sorted(zf.namelist()) == ["arrays.npz", "metadata.json", "weights.npz"]
        meta = json.loads(zf.read("metadata.json"))
        for member in ("arrays.npz", "weights.npz"):  # plain arrays, no pickle
            with np.load(io.BytesIO(zf.read(member)), allow_pickle=False) as npz:
                assert all(npz[k].dtype.kind in "biufU" for k in npz.files)
    assert meta["format"] == "sklearn-ser-model"
    # the oldest format that holds it: the library's own steps need format 1
    assert meta["format_version"] == 1
    assert "needs_library_version" not in meta  # a field format 1 readers refuse
    assert meta["library_version"] == __version__
    assert [s["class"] for s in meta["steps"]] == [
        "LLDExtractor", "PadCrop", "NeutralStandardScaler", "SERClassifier"]


def test_cuda_model_loads_on_cpu(tmp_path, monkeypatch):
    X, y = _toy()
    clf = SERClassifier(**{**SMALL, "max_epochs": 1}).fit(X, y)
    save(clf, tmp_path / "m.skser")
    _edit_metadata(tmp_path / "m.skser", tmp_path / "cuda.skser",
                   lambda m: m["steps"][0]["params"].update(device="cuda"))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(UserWarning, match="CUDA is not available"):
        loaded = load(tmp_path / "cuda.skser")
    assert loaded.get_params()["device"] == "cpu"
    np.testing.assert_allclose(loaded.predict_proba(X), clf.predict_proba(X), atol=1e-6)
    loaded = load(tmp_path / "cuda.skser", device="cpu")  # explicit device
    assert loaded.get_params()["device"] == "cpu"
    with pytest.raises(TypeError, match="device"):
        load(tmp_path / "m.skser", device=0)


# ---------------------------------------------------------------------------
# What save refuses
# ---------------------------------------------------------------------------


def test_save_refuses_unfitted_pipeline(tmp_path):
    pipe = make_ser_pipeline("mean", n_frames=20, **SMALL)
    with pytest.raises(NotFittedError, match="'padcrop'"):
        save(pipe, tmp_path / "m.skser")
    X, y = _toy()
    with pytest.raises(NotFittedError, match="SERClassifier"):
        save(SERClassifier(**SMALL), tmp_path / "m.skser")
    assert not (tmp_path / "m.skser").exists()


def test_save_refuses_foreign_steps(model_file, tmp_path):
    from sklearn.decomposition import PCA

    X = np.random.default_rng(0).normal(size=(6, 2))
    foreign = Pipeline([("pca", PCA().fit(X))])
    with pytest.raises(TypeError, match=r"'pca' is a sklearn\..*PCA; .*the "
                                        r"scikit-learn estimators \[.*'sklearn\.svm"
                                        r"\.SVC'\]"):
        save(foreign, tmp_path / "m.skser")
    loaded = load(model_file)
    loaded.steps.insert(1, ("skip", "passthrough"))
    with pytest.raises(TypeError, match="'skip' is 'passthrough'"):
        save(loaded, tmp_path / "m.skser")
    with pytest.raises(TypeError, match="expected a fitted sklearn.pipeline.Pipeline"):
        save(StandardScaler().fit(X), tmp_path / "m.skser")

    class MyPadCrop(PadCrop):
        pass

    with pytest.raises(TypeError, match="'pc' is a .*MyPadCrop"):
        save(Pipeline([("pc", MyPadCrop().fit([np.ones((2, 2))]))]),
             tmp_path / "m.skser")


def test_save_refuses_parameters_it_cannot_store(tmp_path):
    X, y = _toy()
    clf = SERClassifier(**{**SMALL, "max_epochs": 1},
                        iterator_train__collate_fn=lambda b: collate_trim(b))
    clf.fit(X, y)
    with pytest.raises(TypeError, match="SERClassifier parameter iterator_train__"
                                        "collate_fn is a function object"):
        save(clf, tmp_path / "m.skser")
    clf = SERClassifier(**{**SMALL, "max_epochs": 1}).fit(X, y)
    clf.set_params(predict_nonlinearity=torch.nn.Softmax)
    with pytest.raises(TypeError, match="parameter predict_nonlinearity is the class "
                                        r"torch\.nn\.modules\.activation\.Softmax"):
        save(clf, tmp_path / "m.skser")
    clf.set_params(predict_nonlinearity="auto", train_split=[object()])
    pipe = Pipeline([("classifier", clf)])
    with pytest.raises(TypeError, match=r"Pipeline step 'classifier' \(SERClassifier\) "
                                        r"parameter classifier__train_split\[0\] is an? "
                                        "object object"):
        save(pipe, tmp_path / "m.skser")
    assert not (tmp_path / "m.skser").exists()


def test_save_to_missing_folder_names_it(model_file, tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        save(load(model_file), tmp_path / "nowhere" / "m.skser")


# ---------------------------------------------------------------------------
# What load refuses
# ---------------------------------------------------------------------------


def test_load_refuses_other_format_versions(model_file, tmp_path):
    assert READABLE_VERSIONS == (1, 2) and FORMAT_VERSION == 2
    newer = _edit_metadata(model_file, tmp_path / "newer.skser",
                           lambda m: m.update(format_version=FORMAT_VERSION + 1,
                                              library_version="9.9.0",
                                              needs_library_version="9.5.0"))
    msg = (rf"format version {FORMAT_VERSION + 1} \(written by sklearn-ser 9\.9\.0\),"
           rf" but this sklearn-ser {__version__} reads format versions 1 and 2; "
           r"it needs sklearn-ser 9\.5\.0 or newer: upgrade sklearn-ser")
    with pytest.raises(ValueError, match=msg):
        load(newer)
    # without the field, the version that wrote the file is the one named
    newer = _edit_metadata(model_file, tmp_path / "newer2.skser",
                           lambda m: m.update(format_version=7,
                                              library_version="9.9.0"))
    with pytest.raises(ValueError, match=r"needs sklearn-ser 9\.9\.0 or newer"):
        load(newer)
    for old in (0, -1, True, "1", None):
        older = _edit_metadata(model_file, tmp_path / "older.skser",
                               lambda m, old=old: m.update(format_version=old))
        with pytest.raises(ValueError, match=rf"format version {old!r} .*save the "
                                             "model again"):
            load(older)
    other = _edit_metadata(model_file, tmp_path / "other.skser",
                           lambda m: m.update(format="something-else"))
    with pytest.raises(ValueError, match="not a sklearn-ser model file"):
        load(other)


class _Payload:
    """Unpickling it would create a marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("how", ["extra_member", "as_weights", "object_array",
                                 "npy_pickle"])
def test_load_refuses_smuggled_pickle_without_running_it(model_file, tmp_path, how):
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_Payload(str(marker)))
    path = tmp_path / f"{how}.skser"
    if how == "extra_member":
        _rewrite(model_file, path, add={"payload.pkl": payload})
        match = r"unexpected member\(s\) \['payload.pkl'\]"
    elif how == "as_weights":
        _rewrite(model_file, path, replace={"weights.npz": payload})
        match = "weights.npz member that is not a plain numpy archive"
    else:
        buf = io.BytesIO()
        if how == "object_array":
            np.savez(buf, **{"2/mean_": np.array([_Payload(str(marker))],
                                                 dtype=object)})
            match = "cannot be read without pickle"
        else:
            np.save(buf, np.array([_Payload(str(marker))], dtype=object))
            match = "arrays.npz member that is not a plain numpy archive"
        _rewrite(model_file, path, replace={"arrays.npz": buf.getvalue()})
    with pytest.raises(ValueError, match=match):
        load(path)
    assert not marker.exists()


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda m: m["steps"][2].update({"class": "StandardScaler"}),
         r"class 'StandardScaler', which is not one of the library's steps"),
        (lambda m: m["steps"][3]["params"].update(module={"__class__": "os.system"}),
         r"parameter classifier__module names the class 'os.system', which is not"),
        (lambda m: m["steps"][3]["params"].update(lr={"__code__": "print(1)"}),
         r"parameter classifier__lr is a JSON object \['__code__'\] of an unknown"),
        (lambda m: m["steps"][1]["params"].update(n_frames="many"),
         r"'padcrop'.*invalid parameters for PadCrop .*n_frames"),
        (lambda m: m["steps"][1]["params"].update(evil=1),
         r"'padcrop'.*invalid parameters for PadCrop"),
        (lambda m: m["steps"][2]["attributes"].update(__class__=1),
         r"'__class__' is not a fitted attribute name"),
        (lambda m: m["steps"][3]["attributes"].update(module_=1),
         r"'module_' is not a fitted attribute name"),
        (lambda m: m["steps"][2]["attributes"].update(n_features_in_=31),
         r"mean_ must be a finite float array of shape \(31,\)"),
        (lambda m: m["steps"][3]["weights"].append("extra.weight"),
         r"weight 'extra.weight' is missing"),
        (lambda m: m["steps"][3]["attributes"].update(n_features_in_=5),
         r"saved weights do not fit the network"),
        (lambda m: m["steps"].pop(1),
         r"array '2/mean_' is missing|belong to no step"),
        (lambda m: m["steps"][3]["params"].update(evil=1),
         r"'classifier'.*network cannot be built .*evil"),
        (lambda m: m["steps"][3]["params"].update(module__evil=1),
         r"'classifier'.*module__evil is not a parameter a loaded SERClassifier "
         r"may set; module__\* may be \['rnn_implementation'\]"),
        (lambda m: m["steps"][3].update(code="import os"),
         r"step 3 \('classifier'\) has unknown field\(s\) \['code'\]"),
        (lambda m: m.update(hook="x"), r"metadata has unknown field\(s\) \['hook'\]"),
        (lambda m: m.update(kind="function"), r"unexpected kind"),
        (lambda m: m["steps"][3].update(history="x"), r"history must be a list"),
    ],
    ids=["step-class", "param-class", "unknown-tag", "bad-param-value",
         "unknown-param", "dunder-attribute", "skorch-attribute",
         "inconsistent-shape", "missing-weight", "weights-mismatch",
         "orphan-arrays", "classifier-unknown-param", "module-unknown-param",
         "step-extra-field", "metadata-extra-field", "kind", "history"],
)
def test_load_refuses_altered_metadata(model_file, tmp_path, edit, match):
    path = _edit_metadata(model_file, tmp_path / "altered.skser", edit)
    with pytest.raises(ValueError, match=match):
        load(path)


def test_load_refuses_damaged_files(model_file, tmp_path):
    data = model_file.read_bytes()
    for cut in (0, 10, len(data) // 3, len(data) // 2, len(data) - 10):
        path = tmp_path / f"cut{cut}.skser"
        path.write_bytes(data[:cut])
        with pytest.raises(ValueError, match=r"damaged|not a sklearn-ser model file"):
            load(path)
    # one flipped byte inside the weights
    with zipfile.ZipFile(model_file) as zf:
        info = zf.getinfo("weights.npz")
    flipped = bytearray(data)
    pos = info.header_offset + 30 + len(info.filename) + info.compress_size // 2
    flipped[pos] ^= 0xFF
    (tmp_path / "flipped.skser").write_bytes(bytes(flipped))
    with pytest.raises(ValueError, match="damaged|not a plain numpy archive"):
        load(tmp_path / "flipped.skser")
    # a member missing, a duplicated member
    _rewrite(model_file, tmp_path / "missing.skser", drop=("weights.npz",))
    with pytest.raises(ValueError, match=r"lacks the member\(s\) \['weights.npz'\]"):
        load(tmp_path / "missing.skser")
    with zipfile.ZipFile(model_file) as zf:
        meta = zf.read("metadata.json")
    with pytest.warns(UserWarning, match="Duplicate name"):
        _rewrite(model_file, tmp_path / "dup.skser", add={"metadata.json": meta})
    with pytest.raises(ValueError, match="duplicate members"):
        load(tmp_path / "dup.skser")


def test_load_refuses_pickle_and_joblib_files(fitted, tmp_path):
    import joblib

    joblib.dump(fitted[0]["mean"]["scaler"], tmp_path / "model.joblib")
    with pytest.raises(ValueError, match="pickle or joblib files are refused"):
        load(tmp_path / "model.joblib")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load(tmp_path / "absent.skser")
    with pytest.raises(IsADirectoryError, match="is a directory"):
        load(tmp_path)


def test_speaker_normalised_pipeline_and_functionals_round_trip(corpus, tmp_path):
    import pandas as pd

    from sklearn_ser import Functionals, LLDExtractor, SpeakerStandardScaler

    X = pd.DataFrame({"audio": list(corpus.data), "speaker": corpus.speakers})
    pipe = make_ser_pipeline("mean", normalization="speaker", recipe="fast",
                             n_frames=100, **dict(SMALL, lr_schedule="cosine"))
    pipe.fit(X, corpus.target)
    save(pipe, tmp_path / "speaker.skser")
    loaded = load(tmp_path / "speaker.skser")
    assert isinstance(loaded["scaler"], SpeakerStandardScaler)
    assert loaded.get_params()["classifier__lr_schedule"] == "cosine"
    np.testing.assert_array_equal(loaded.predict_proba(X), pipe.predict_proba(X))

    features = Pipeline([("lld", LLDExtractor()),
                         ("functionals", Functionals(functionals=("mean", "percentiles"),
                                                     percentiles=(10, 90))),
                         ("scaler", NeutralStandardScaler())])
    features.fit(list(corpus.data), corpus.target)
    save(features, tmp_path / "functionals.skser")
    loaded = load(tmp_path / "functionals.skser")
    assert loaded["functionals"].percentiles == (10, 90)
    np.testing.assert_array_equal(loaded.transform(list(corpus.data)),
                                  features.transform(list(corpus.data)))


def test_functionals_whose_count_does_not_match_its_parameters_are_refused(
        corpus, tmp_path):
    from sklearn_ser import Functionals, LLDExtractor

    features = Pipeline([("lld", LLDExtractor()), ("functionals", Functionals())])
    features.fit(list(corpus.data[:2]))
    features["functionals"].n_functionals_ = 3
    save(features, tmp_path / "bad.skser")
    with pytest.raises(ValueError, match="n_functionals_ is 3 but the parameters give 9"):
        load(tmp_path / "bad.skser")


# ---------------------------------------------------------------------------
# scikit-learn steps (skops members, format 2)
# ---------------------------------------------------------------------------


def _baseline_X(corpus, normalization):
    import pandas as pd

    if normalization == "speaker":
        return pd.DataFrame({"audio": list(corpus.data), "speaker": corpus.speakers})
    return list(corpus.data)


@pytest.fixture(scope="module")
def baseline_file(corpus, tmp_path_factory):
    from sklearn_ser import make_baseline_pipeline

    pipe = make_baseline_pipeline().fit(list(corpus.data), corpus.target)
    path = tmp_path_factory.mktemp("baseline") / "baseline.skser"
    save(pipe, path)
    return path, pipe


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("normalization", ["neutral", "speaker"])
@pytest.mark.parametrize("classifier", ["svc", "logistic"])
def test_baseline_pipelines_round_trip(corpus, tmp_path, normalization, classifier):
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import SVC

    from sklearn_ser import make_baseline_pipeline

    estimator = (None if classifier == "svc"
                 else LogisticRegression(class_weight="balanced", max_iter=2000))
    X = _baseline_X(corpus, normalization)
    pipe = make_baseline_pipeline(estimator, normalization=normalization)
    pipe.fit(X, corpus.target)
    save(pipe, tmp_path / "baseline.skser")
    loaded = load(tmp_path / "baseline.skser")
    assert [name for name, _ in loaded.steps] == [name for name, _ in pipe.steps]
    assert [type(s) for _, s in loaded.steps] == [type(s) for _, s in pipe.steps]
    assert type(loaded[-1]) is (SVC if classifier == "svc" else LogisticRegression)
    np.testing.assert_array_equal(loaded.predict(X), pipe.predict(X))
    np.testing.assert_array_equal(loaded.decision_function(X),
                                  pipe.decision_function(X))
    if classifier == "logistic":
        np.testing.assert_array_equal(loaded.predict_proba(X), pipe.predict_proba(X))
    assert loaded[-1].get_params() == pipe[-1].get_params()
    np.testing.assert_array_equal(loaded.classes_, pipe.classes_)


def test_regression_baseline_round_trips(corpus, tmp_path):
    from sklearn_ser import make_baseline_pipeline

    rng = np.random.default_rng(0)
    y = rng.normal(3.0, 0.5, size=(len(corpus.target), 3))
    pipe = make_baseline_pipeline(task="regression").fit(list(corpus.data), y)
    save(pipe, tmp_path / "ridge.skser")
    loaded = load(tmp_path / "ridge.skser")
    np.testing.assert_array_equal(loaded.predict(list(corpus.data)),
                                  pipe.predict(list(corpus.data)))
    assert loaded["regressor"].alpha_ == pipe["regressor"].alpha_


def test_scikit_learn_steps_are_skops_members_of_format_2(baseline_file, corpus):
    import skops.io

    path, pipe = baseline_file
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["arrays.npz", "metadata.json",
                                         "sklearn/3.skops", "weights.npz"]
        meta = json.loads(zf.read("metadata.json"))
        member = zf.read("sklearn/3.skops")
    assert meta["format_version"] == 2
    assert meta["needs_library_version"]
    assert meta["written_with"]["skops"] == skops.__version__
    assert meta["steps"][3] == {"name": "classifier", "class": "sklearn.svm.SVC",
                                "skops": "sklearn/3.skops"}
    with zipfile.ZipFile(io.BytesIO(member)) as inner:
        names = inner.namelist()
        assert "schema.json" in names
        assert all(n == "schema.json" or n.endswith(".npy") for n in names)
    assert skops.io.get_untrusted_types(data=member) == []


def test_nested_scikit_learn_pipeline_and_its_memory(corpus, tmp_path):
    from sklearn.svm import SVC

    from sklearn_ser import make_baseline_pipeline

    inner = Pipeline([("std", StandardScaler()), ("svc", SVC())],
                     memory=str(tmp_path / "inner_cache"))
    pipe = make_baseline_pipeline(inner).fit(list(corpus.data), corpus.target)
    save(pipe, tmp_path / "nested.skser")
    with zipfile.ZipFile(tmp_path / "nested.skser") as zf:
        meta = json.loads(zf.read("metadata.json"))
    assert meta["not_saved"] == ["classifier__memory"]
    assert pipe["classifier"].memory is not None  # the fitted pipeline is unchanged
    loaded = load(tmp_path / "nested.skser")
    assert loaded["classifier"].memory is None
    np.testing.assert_array_equal(loaded.predict(list(corpus.data)),
                                  pipe.predict(list(corpus.data)))


def test_save_refuses_scikit_learn_values_it_cannot_trust(corpus, tmp_path):
    from sklearn.svm import SVC

    from sklearn_ser import make_baseline_pipeline

    pipe = make_baseline_pipeline(SVC(random_state=np.random.RandomState(0)))
    pipe.fit(list(corpus.data), corpus.target)
    with pytest.raises(TypeError, match=r"Pipeline step 'classifier' \(SVC\) holds "
                                        r"\[.*RandomState.*\], which a sklearn-ser "
                                        "model file cannot hold"):
        save(pipe, tmp_path / "m.skser")
    unfitted = make_baseline_pipeline()
    unfitted.steps[:-1] = pipe.steps[:-1]
    with pytest.raises(NotFittedError, match=r"'classifier' \(SVC\) is not fitted"):
        save(unfitted, tmp_path / "m.skser")
    with pytest.raises(TypeError, match="a scikit-learn estimator is saved as a step"):
        save(pipe["classifier"], tmp_path / "m.skser")
    assert not (tmp_path / "m.skser").exists()


def _skops_member(path, member="sklearn/3.skops"):
    with zipfile.ZipFile(path) as zf:
        return zf.read(member)


def _edit_schema(data, edit):
    """The skops archive ``data`` with its schema.json edited."""
    with zipfile.ZipFile(io.BytesIO(data)) as zin:
        members = {n: zin.read(n) for n in zin.namelist()}
    schema = json.loads(members["schema.json"])
    edit(schema)
    members["schema.json"] = json.dumps(schema).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zout:
        for name, content in members.items():
            zout.writestr(name, content)
    return buf.getvalue()


@pytest.mark.parametrize("edit, match", [
    (lambda s: s.update(__module__="os", __class__="system"),
     r"names the type\(s\) \['os\.system'\], which a sklearn-ser model file does "
     "not trust"),
    (lambda s: s["content"]["content"].update(kernel={
        "__class__": "eval", "__module__": "builtins", "__loader__": "TypeNode"}),
     r"names the type\(s\) \['builtins\.eval'\]"),
    (lambda s: s["content"]["content"].update(kernel={
        "__class__": "function", "__module__": "builtins",
        "__loader__": "FunctionNode", "content": {"module_path": "os",
                                                  "function": "system"}}),
     r"uses the skops node kind\(s\) \['FunctionNode'\]"),
    (lambda s: s.update(__module__="sklearn.preprocessing._function_transformer",
                        __class__="FunctionTransformer"),
     r"\['sklearn\.preprocessing\._function_transformer\.FunctionTransformer'\]"),
], ids=["os-system", "builtin-type", "function", "skops-default-trusted"])
def test_skops_member_naming_an_untrusted_type_is_refused(baseline_file, tmp_path,
                                                          edit, match):
    path, _ = baseline_file
    bad = _edit_schema(_skops_member(path), edit)
    altered = _rewrite(path, tmp_path / "altered.skser",
                       replace={"sklearn/3.skops": bad})
    with pytest.raises(ValueError, match=rf"Model file '{altered}' has a "
                       r"scikit-learn step 3 \('classifier'\) \(member "
                       rf"'sklearn/3.skops'\) that .*{match}"):
        load(altered)


@pytest.mark.parametrize("how, match", [
    ("class", r"holds a SVC, not the sklearn.linear_model.LogisticRegression"),
    ("unknown-class", r"is given the class 'sklearn.ensemble.RandomForestClassifier'"),
    ("orphan", r"belong to no step"),
    ("format-1", r"have no place in a file of format version 1"),
    ("missing", r"member 'sklearn/3.skops' is missing"),
    ("memory", r"sets \['memory'\], which sklearn_ser.save never stores"),
    ("compressed", r"holds a compressed member"),
    ("npy-lies", r"array '.*\.npy' in sklearn/3.skops whose header declares"),
    ("deep", r"nested deeper than 64 levels"),
])
def test_altered_skops_members_are_refused(baseline_file, corpus, tmp_path, how,
                                           match):
    path, _ = baseline_file
    member = _skops_member(path)
    altered = tmp_path / f"{how}.skser"
    if how == "class":
        _edit_metadata(path, altered, lambda m: m["steps"][3].update(
            {"class": "sklearn.linear_model.LogisticRegression"}))
    elif how == "unknown-class":
        _edit_metadata(path, altered, lambda m: m["steps"][3].update(
            {"class": "sklearn.ensemble.RandomForestClassifier"}))
    elif how == "orphan":
        _rewrite(path, altered, add={"sklearn/7.skops": member})
    elif how == "format-1":
        _edit_metadata(path, altered, lambda m: m.update(format_version=1))
    elif how == "missing":
        _rewrite(path, altered, drop=("sklearn/3.skops",))
    elif how == "memory":
        inner = Pipeline([("std", StandardScaler())]).fit(np.ones((3, 2)))
        import skops.io

        planted = skops.io.dumps(Pipeline(inner.steps, memory=str(tmp_path)))
        _edit_metadata(path, tmp_path / "tmp.skser", lambda m: m["steps"][3].update(
            {"class": "sklearn.pipeline.Pipeline"}))
        _rewrite(tmp_path / "tmp.skser", altered, replace={"sklearn/3.skops": planted})
    elif how == "compressed":
        with zipfile.ZipFile(io.BytesIO(member)) as zin:
            members = {n: zin.read(n) for n in zin.namelist()}
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zout:
            for name, content in members.items():
                zout.writestr(name, content)
        _rewrite(path, altered, replace={"sklearn/3.skops": buf.getvalue()})
    elif how == "npy-lies":
        with zipfile.ZipFile(io.BytesIO(member)) as zin:
            members = {n: zin.read(n) for n in zin.namelist()}
        name = next(n for n in members if n.endswith(".npy"))
        members[name] = members[name][:-8]  # the header now declares more
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zout:
            for n, content in members.items():
                zout.writestr(n, content)
        _rewrite(path, altered, replace={"sklearn/3.skops": buf.getvalue()})
    else:
        def deepen(schema):
            node = {"__class__": "list", "__module__": "builtins",
                    "__loader__": "ListNode", "content": []}
            for _ in range(100):
                node = {"__class__": "list", "__module__": "builtins",
                        "__loader__": "ListNode", "content": [node]}
            schema["content"]["content"]["kernel"] = node
        _rewrite(path, altered, replace={
            "sklearn/3.skops": _edit_schema(member, deepen)})
    with pytest.raises(ValueError, match=match) as info:
        load(altered)
    assert str(altered) in str(info.value)
