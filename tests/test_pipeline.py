import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, GroupKFold

from sklearn_ser import (
    SCORING,
    LLDExtractor,
    NeutralStandardScaler,
    PadCrop,
    SERClassifier,
    evaluate_sessions,
    make_ser_pipeline,
)
from sklearn_ser.datasets import (
    load_iemocap,
    make_emotional_speech,
    write_iemocap_layout,
)

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
    import sklearn_ser._lld as lld

    calls = []
    original = lld._run_opensmile

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(lld, "_run_opensmile", counting)
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
