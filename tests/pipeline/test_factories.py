import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    cross_val_predict,
    cross_validate,
)

from sklearn_ser import (
    SCORING,
    LLDExtractor,
    NeutralStandardScaler,
    PadCrop,
    SERClassifier,
    SpeakerStandardScaler,
    evaluate_sessions,
    make_baseline_pipeline,
    make_ser_pipeline,
)
from sklearn_ser.datasets import (
    load_iemocap,
    make_emotional_speech,
    write_iemocap_layout,
)
from sklearn_ser.pipeline._factories import recipe_params

from ..test_robustness import _counting

TINY = dict(hidden_units=16, lstm_units=8, attention_units=8, lr=1e-2, l2=0.0,
            batch_size=16, random_state=0)


@pytest.fixture(scope="module")
def corpus():
    return make_emotional_speech(n_samples=60, n_sessions=3, random_state=0)


def test_steps_and_parameters():
    pipe = make_ser_pipeline("zhou", n_frames=123, memory=None, n_jobs=2, max_epochs=7)
    assert [n for n, _ in pipe.steps] == ["lld", "padcrop", "scaler", "classifier"]
    assert isinstance(pipe["lld"], LLDExtractor) and pipe["lld"].n_jobs == 2
    assert isinstance(pipe["padcrop"], PadCrop) and pipe["padcrop"].n_frames == 123
    assert isinstance(pipe["scaler"], NeutralStandardScaler)
    assert isinstance(pipe["classifier"], SERClassifier)
    params = pipe.get_params()
    assert params["classifier__attention"] == "zhou"
    assert params["classifier__max_epochs"] == 7
    cloned = clone(pipe)
    assert cloned.get_params()["classifier__attention"] == "zhou"


def test_fit_predict_on_waveforms(corpus):
    pipe = make_ser_pipeline("lstm", n_frames=200, max_epochs=2, **TINY)
    pipe.fit(list(corpus.data), corpus.target)
    proba = pipe.predict_proba(list(corpus.data[:5]))
    assert proba.shape == (5, 4)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert set(pipe.predict(list(corpus.data[:5]))) <= set(corpus.target)
    np.testing.assert_array_equal(pipe.classes_, ["ang", "hap", "neu", "sad"])


def test_fit_predict_on_paths(corpus, tmp_path):
    root = tmp_path / "iemocap"
    write_iemocap_layout(corpus, root)
    data = load_iemocap(root)
    pipe = make_ser_pipeline("mean", n_frames=200, max_epochs=1, **TINY)
    pipe.fit(data.filenames[:30], data.target[:30])
    assert pipe.predict(data.filenames[30:33]).shape == (3,)


def test_gridsearch_extracts_each_file_once(corpus, tmp_path, monkeypatch):
    calls = _counting(monkeypatch)  # the openSMILE runs
    pipe = make_ser_pipeline(n_frames=150, memory=tmp_path / "cache", max_epochs=1,
                             **TINY)
    search = GridSearchCV(
        pipe, {"classifier__attention": ["mean", "lstm"]}, scoring=SCORING,
        refit="UA", cv=GroupKFold(n_splits=3),
    )
    search.fit(list(corpus.data), corpus.target, groups=corpus.groups)
    assert set(search.cv_results_["param_classifier__attention"]) == {"mean", "lstm"}
    assert np.isfinite(search.cv_results_["mean_test_UA"]).all()
    # 2 candidates x 3 folds x (train + test) + refit, yet one extraction per file.
    assert len(calls) == len(corpus.data)


def test_end_to_end_iemocap_layout_beats_chance(tmp_path):
    data = make_emotional_speech(n_samples=150, random_state=3)
    write_iemocap_layout(data, tmp_path / "corpus")
    loaded = load_iemocap(tmp_path / "corpus")
    assert sorted(set(loaded.groups)) == [1, 2, 3, 4, 5]
    pipe = make_ser_pipeline("lstm", n_frames=250, memory=tmp_path / "cache",
                             hidden_units=32, lstm_units=16, attention_units=16,
                             lr=5e-3, l2=0.0, batch_size=16, max_epochs=12,
                             random_state=0)
    res = evaluate_sessions(pipe, loaded.filenames, loaded.target, loaded.groups,
                            n_splits=5)
    assert res.wa.shape == (5,) and res.confusion_matrices.shape == (5, 4, 4)
    assert sorted(int(g[0]) for g in res.test_groups) == [1, 2, 3, 4, 5]
    assert res.confusion_matrix.sum() == len(loaded.target)
    # Chance is 0.25 UA; the majority class is well below 0.4 WA.
    assert res.ua_mean > 0.4
    assert res.wa_mean > 0.4


# -- normalisation, recipes and the baseline -----------------------------------


def test_speaker_pipeline_steps_and_recipes():
    pipe = make_ser_pipeline("mean", normalization="speaker", recipe="fast",
                             max_epochs=3)
    assert [n for n, _ in pipe.steps] == ["lld", "scaler", "padcrop", "classifier"]
    assert isinstance(pipe["scaler"], SpeakerStandardScaler)
    fast = recipe_params("fast")
    params = pipe.get_params()
    assert params["padcrop__n_frames"] == fast["n_frames"]
    for name, value in fast.items():
        if name not in ("n_frames", "max_epochs"):
            assert params[f"classifier__{name}"] == value, name
    assert params["classifier__max_epochs"] == 3  # explicit values win
    paper = make_ser_pipeline()
    assert paper.get_params()["padcrop__n_frames"] == 500
    default = SERClassifier().get_params()
    for name in ("lr", "l2", "max_epochs", "hidden_units", "noise_variance"):
        assert paper.get_params()[f"classifier__{name}"] == default[name]
    assert make_ser_pipeline(recipe="fast", n_frames=77)["padcrop"].n_frames == 77


@pytest.mark.parametrize(
    "kwargs, match",
    [(dict(normalization="global"), "normalization must be one of"),
     (dict(recipe="slow"), "recipe must be one of"),
     (dict(task="dimensions"), "task must be one of")],
)
def test_bad_pipeline_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_ser_pipeline(**kwargs)


def test_baseline_pipeline_steps():
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    pipe = make_baseline_pipeline(memory="cache_dir", n_jobs=2)
    assert [n for n, _ in pipe.steps] == ["lld", "functionals", "scaler", "classifier"]
    assert isinstance(pipe["classifier"], SVC)
    assert pipe["classifier"].class_weight == "balanced"
    assert pipe["lld"].memory == "cache_dir" and pipe["lld"].n_jobs == 2
    assert isinstance(pipe["scaler"], NeutralStandardScaler)
    clf = LogisticRegression()
    pipe = make_baseline_pipeline(clf, normalization="speaker")
    assert [n for n, _ in pipe.steps] == ["lld", "scaler", "functionals", "drop_constant",
                                          "standardize",
                                          "classifier"]
    assert isinstance(pipe["scaler"], SpeakerStandardScaler)
    assert isinstance(pipe["standardize"], StandardScaler)
    assert pipe["classifier"] is clf
    with pytest.raises(TypeError, match="must be a scikit-learn estimator"):
        make_baseline_pipeline("svm")
    with pytest.raises(ValueError, match="normalization must be one of"):
        make_baseline_pipeline(normalization="per-utterance")


def _speaker_frame(corpus):
    return pd.DataFrame({"audio": pd.Series(list(corpus.data), dtype=object),
                         "speaker": corpus.speakers})


@pytest.mark.parametrize("kind", ["network", "baseline"])
def test_speaker_normalisation_in_cross_validation_equals_evaluate_sessions(
        corpus, kind, tmp_path):
    if kind == "network":
        pipe = make_ser_pipeline("mean", normalization="speaker", n_frames=150,
                                 memory=tmp_path, max_epochs=2, **TINY)
    else:
        pipe = make_baseline_pipeline(normalization="speaker", memory=tmp_path)
    X = _speaker_frame(corpus)
    cv = GroupKFold(n_splits=3)
    expected = cross_val_predict(pipe, X, corpus.target, groups=corpus.groups, cv=cv)
    res = evaluate_sessions(pipe, list(corpus.data), corpus.target, corpus.groups,
                            speakers=corpus.speakers, n_splits=3)
    np.testing.assert_array_equal(res.y_pred, expected)
    scores = cross_validate(pipe, X, corpus.target, groups=corpus.groups, cv=cv,
                            scoring=SCORING)
    np.testing.assert_allclose(scores["test_UA"], res.ua)


def test_speaker_pipeline_in_a_grid_search(corpus, tmp_path):
    pipe = make_baseline_pipeline(normalization="speaker", memory=tmp_path)
    search = GridSearchCV(pipe, {"classifier__C": [0.1, 1.0]}, scoring=SCORING,
                          refit="UA", cv=GroupKFold(n_splits=3))
    X = _speaker_frame(corpus)
    search.fit(X, corpus.target, groups=corpus.groups)
    assert np.isfinite(search.cv_results_["mean_test_UA"]).all()
    assert search.predict(X.iloc[:7]).shape == (7,)


def test_speaker_normalisation_lifts_the_baseline(tmp_path):
    data = make_emotional_speech(n_samples=200, random_state=1)
    cache = tmp_path / "cache"
    neutral = evaluate_sessions(make_baseline_pipeline(memory=cache), list(data.data),
                                data.target, data.groups)
    speaker = evaluate_sessions(make_baseline_pipeline(normalization="speaker",
                                                       memory=cache),
                                list(data.data), data.target, data.groups,
                                speakers=data.speakers)
    # Per-speaker statistics remove the speakers' voices (measured: about
    # 0.6 -> 0.85 UA on this corpus); they must help clearly.
    assert speaker.ua_mean > neutral.ua_mean + 0.1


def test_speaker_pipeline_without_speakers_says_how_to_give_them(corpus):
    pipe = make_ser_pipeline(normalization="speaker", max_epochs=1, **TINY)
    with pytest.raises(ValueError, match="needs the speaker of each sample.*DataFrame"):
        pipe.fit(list(corpus.data[:10]), corpus.target[:10])


def test_baseline_and_network_share_the_cache(corpus, tmp_path, monkeypatch):
    calls = _counting(monkeypatch)  # the openSMILE runs
    X, y = list(corpus.data[:24]), corpus.target[:24]
    make_baseline_pipeline(memory=tmp_path).fit(X, y)
    assert len(calls) == 24
    make_ser_pipeline("mean", n_frames=100, memory=tmp_path, max_epochs=1,
                      **TINY).fit(X, y)
    frame = pd.DataFrame({"audio": pd.Series(X, dtype=object),
                          "speaker": corpus.speakers[:24]})
    make_baseline_pipeline(normalization="speaker", memory=tmp_path).fit(frame, y)
    assert len(calls) == 24


def test_dataframe_input_keeps_the_index_and_the_other_columns(corpus):
    frame = _speaker_frame(corpus).iloc[:3]
    frame.index = [10, 20, 30]
    frame = frame.assign(session=[1, 1, 2])
    out = LLDExtractor().fit_transform(frame)
    assert list(out.columns) == ["lld", "speaker", "session"]
    assert list(out.index) == [10, 20, 30]
    direct = LLDExtractor().fit_transform(list(corpus.data[:3]))
    for a, b in zip(out["lld"], direct, strict=True):
        np.testing.assert_array_equal(a, b)
    renamed = frame.rename(columns={"audio": "wav"})
    with pytest.raises(ValueError, match="without an 'audio' or 'file' column"):
        LLDExtractor().fit_transform(renamed)
    assert len(LLDExtractor(audio_column="wav").fit_transform(renamed)) == 3
    with pytest.raises(ValueError, match="no column audio_column='path'"):
        LLDExtractor(audio_column="path").fit_transform(frame)
    with pytest.raises(ValueError, match="already has an 'lld' column"):
        LLDExtractor().fit_transform(frame.assign(lld=1))


# ---------------------------------------------------------------------------
# Regression: emotion dimensions
# ---------------------------------------------------------------------------


def _class_dimensions(target, seed=0):
    """Valence/arousal/dominance-like targets that follow the labels, with noise."""
    means = {"ang": (2.0, 4.0, 3.8), "hap": (4.0, 3.4, 3.1),
             "neu": (3.0, 2.6, 2.8), "sad": (2.2, 2.2, 2.5)}
    rng = np.random.default_rng(seed)
    return np.array([means[t] for t in target]) + rng.normal(0, 0.3, (len(target), 3))


def test_regression_pipelines_steps():
    from sklearn.linear_model import RidgeCV

    from sklearn_ser import SERRegressor

    pipe = make_ser_pipeline("mean", task="regression", recipe="fast", max_epochs=3)
    assert [n for n, _ in pipe.steps] == ["lld", "padcrop", "scaler", "regressor"]
    reg = pipe["regressor"]
    assert isinstance(reg, SERRegressor) and reg.attention == "mean"
    assert reg.lr == recipe_params("fast")["lr"] and reg.max_epochs == 3
    speaker = make_ser_pipeline(task="regression", normalization="speaker")
    assert [n for n, _ in speaker.steps] == ["lld", "scaler", "padcrop", "regressor"]
    base = make_baseline_pipeline(task="regression")
    assert [n for n, _ in base.steps] == ["lld", "functionals", "scaler", "regressor"]
    assert isinstance(base["regressor"], RidgeCV)
    base = make_baseline_pipeline(task="regression", normalization="speaker")
    assert base.steps[-1][0] == "regressor"
    with pytest.raises(ValueError, match="task must be one of"):
        make_baseline_pipeline(task="dimensional")


def test_regression_pipelines_fit_and_evaluate(corpus, tmp_path):
    from sklearn_ser import RegressionEvaluation

    dims = _class_dimensions(corpus.target)
    audio = list(corpus.data)
    pipe = make_ser_pipeline("mean", task="regression", n_frames=200, max_epochs=3,
                             validation_fraction=None, memory=tmp_path, **TINY)
    pipe.fit(audio, dims)
    pred = pipe.predict(audio[:4])
    assert pred.shape == (4, 3) and np.isfinite(pred).all()
    # neutral normalisation has no label to select: every training utterance
    assert pipe["scaler"].reference_ == "all"
    assert pipe["scaler"].n_neutral_samples_ == len(audio)
    result = evaluate_sessions(make_baseline_pipeline(task="regression",
                                                      memory=tmp_path),
                               audio, dims, corpus.groups, n_splits=3)
    assert isinstance(result, RegressionEvaluation) and result.ccc.shape == (3, 3)
    assert (result.ccc_mean > 0.2).all()


def test_speaker_baseline_drops_functionals_constant_up_to_rounding():
    # Per-speaker standardised, a functional such as the median of the F0
    # delta is one value in every utterance, equal across the training
    # speakers up to rounding; standardised with that spread, a new
    # speaker's value (off by 1e-6) would explode.
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import Pipeline

    rng = np.random.default_rng(0)

    def frames(offset, n):
        out = []
        for _ in range(n):
            x = rng.normal(size=(50, 2))
            x[:, 1] = offset + rng.normal(scale=1e-13)
            out.append(x)
        return out

    train, test = frames(-0.25, 40), frames(-0.25 + 1e-6, 5)
    y = rng.normal(size=40)
    pipe = make_baseline_pipeline(Ridge(), task="regression", normalization="speaker")
    tail = Pipeline(clone(pipe).steps[2:]).fit(train, y)  # from the functionals on
    assert tail[:-1].transform(test).shape[1] < len(tail["functionals"]
                                                    .get_feature_names_out())
    assert np.abs(tail[:-1].transform(test)).max() < 100
    assert np.abs(tail.predict(test)).max() < 10
    without = clone(tail).set_params(drop_constant="passthrough").fit(train, y)
    assert np.abs(without[:-1].transform(test)).max() > 1e3
