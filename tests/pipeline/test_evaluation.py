import json

import numpy as np
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, cross_val_predict

from sklearn_ser import evaluate_sessions, unweighted_accuracy, weighted_accuracy


def _toy(n_per_session=30, n_sessions=5, seed=0):
    rng = np.random.RandomState(seed)
    n = n_per_session * n_sessions
    X = rng.normal(size=(n, 3))
    y = np.select([X[:, 0] > 0.5, X[:, 1] > 0.5], ["ang", "hap"], "neu")
    groups = np.repeat(np.arange(1, n_sessions + 1), n_per_session)
    return X, y, groups


def test_each_fold_holds_out_one_session():
    X, y, groups = _toy()
    res = evaluate_sessions(LogisticRegression(), X, y, groups)
    assert res.n_splits == 5
    held_out = sorted(int(g[0]) for g in res.test_groups)
    assert held_out == [1, 2, 3, 4, 5]
    assert all(len(g) == 1 for g in res.test_groups)
    np.testing.assert_array_equal(res.n_test, 30)
    for k in range(5):
        assert set(groups[res.fold == k]) == set(res.test_groups[k])


def test_per_fold_scores_match_predictions():
    X, y, groups = _toy()
    res = evaluate_sessions(LogisticRegression(), X, y, groups)
    # Same predictions as scikit-learn's own cross_val_predict on these folds.
    expected = cross_val_predict(LogisticRegression(), X, y, groups=groups,
                                 cv=GroupKFold(5))
    np.testing.assert_array_equal(res.y_pred, expected)
    for k in range(5):
        m = res.fold == k
        assert res.wa[k] == pytest.approx(weighted_accuracy(y[m], expected[m]))
        assert res.ua[k] == pytest.approx(unweighted_accuracy(y[m], expected[m]))
    assert res.wa_mean == pytest.approx(res.wa.mean())
    assert res.ua_std == pytest.approx(res.ua.std())


def test_confusion_matrices_sum_and_labels():
    X, y, groups = _toy()
    res = evaluate_sessions(DummyClassifier(strategy="most_frequent"), X, y, groups)
    np.testing.assert_array_equal(res.labels, ["ang", "hap", "neu"])
    assert res.confusion_matrices.shape == (5, 3, 3)
    np.testing.assert_array_equal(res.confusion_matrix, res.confusion_matrices.sum(0))
    # Rows are true labels: row sums are the class counts.
    np.testing.assert_array_equal(
        res.confusion_matrix.sum(axis=1), [np.sum(y == c) for c in res.labels]
    )


def test_str_table_and_dict():
    X, y, groups = _toy()
    res = evaluate_sessions(LogisticRegression(), X, y, groups)
    text = str(res)
    assert text.count("\n") == 7  # header + 5 folds + mean + std
    assert f"{res.wa_mean:.3f}" in text
    d = json.loads(json.dumps(res.to_dict()))
    assert len(d["folds"]) == 5 and d["ua_mean"] == pytest.approx(res.ua_mean)


def test_fit_params_are_sliced_per_fold():
    X, y, groups = _toy()
    seen = []

    class Recorder(LogisticRegression):
        def fit(self, X, y, sample_weight=None):
            seen.append(len(sample_weight))
            return super().fit(X, y, sample_weight=sample_weight)

    evaluate_sessions(Recorder(), X, y, groups,
                      params={"sample_weight": np.ones(len(y))})
    assert seen == [120] * 5


def test_plot_confusion_matrix_normalised_per_true_class():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    X, y, groups = _toy()
    res = evaluate_sessions(LogisticRegression(), X, y, groups)
    display = res.plot_confusion_matrix()
    np.testing.assert_allclose(display.confusion_matrix.sum(axis=1), 1.0)
    with pytest.raises(ValueError, match="normalize"):
        res.plot_confusion_matrix(normalize="rows")
    import matplotlib.pyplot as plt

    plt.close("all")


def test_plot_confusion_matrix_title_carries_wa_ua_and_n(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X, y, groups = _toy()
    res = evaluate_sessions(LogisticRegression(), X, y, groups)
    display = res.plot_confusion_matrix()
    assert display.ax_.get_title() == (
        f"WA {res.wa_mean:.3f}  UA {res.ua_mean:.3f}  n = 150 (5 folds)\n"
        "rows normalised per true class")
    # a plain savefig keeps the title and the axis labels inside the image
    fig = display.figure_
    fig.savefig(tmp_path / "cm.png")
    renderer = fig.canvas.get_renderer()
    for text in (display.ax_.title, display.ax_.xaxis.label,
                 display.ax_.yaxis.label):
        box = text.get_window_extent(renderer)
        assert box.x0 >= 0 and box.y0 >= 0, text.get_text()
        assert box.x1 <= fig.bbox.width and box.y1 <= fig.bbox.height
    counts = res.plot_confusion_matrix(normalize=None,
                                       title="UA {ua:.2f} +- {ua_std:.2f}, {cells}")
    assert counts.ax_.get_title() == (
        f"UA {res.ua_mean:.2f} +- {res.ua_std:.2f}, counts")
    assert res.plot_confusion_matrix(title=None).ax_.get_title() == ""
    assert "columns normalised per predicted class" in res.plot_confusion_matrix(
        normalize="pred").ax_.get_title()
    fig, ax = plt.subplots()
    assert res.plot_confusion_matrix(ax=ax, title="{n_splits} folds, n={n}").ax_ is ax
    assert ax.get_title() == "5 folds, n=150"
    with pytest.raises(ValueError, match=r"title 'UA \{recall\}' cannot be filled "
                                         r"in .*'cells', 'n', 'n_splits'"):
        res.plot_confusion_matrix(title="UA {recall}")
    with pytest.raises(TypeError, match="title must be a str or None"):
        res.plot_confusion_matrix(title=1)
    plt.close("all")


@pytest.mark.parametrize("n_splits, match", [(1, "between 2"), (6, "between 2"),
                                             (2.0, "must be an int")])
def test_bad_n_splits(n_splits, match):
    X, y, groups = _toy()
    with pytest.raises((ValueError, TypeError), match=match):
        evaluate_sessions(LogisticRegression(), X, y, groups, n_splits=n_splits)


def test_length_mismatch():
    X, y, groups = _toy()
    with pytest.raises(ValueError, match="inconsistent"):
        evaluate_sessions(LogisticRegression(), X, y, groups[:-1])


def test_return_estimator_keeps_each_fold_model():
    X, y, groups = _toy()
    res = evaluate_sessions(LogisticRegression(), X, y, groups, return_estimator=True)
    assert len(res.estimators) == 5 and len(res.splits) == 5
    for k, (est, (train, test)) in enumerate(zip(res.estimators, res.splits,
                                                 strict=True)):
        assert set(groups[test]) == set(res.test_groups[k])
        assert not set(groups[train]) & set(groups[test])
        np.testing.assert_array_equal(est.predict(X[test]), res.y_pred[test])
    plain = evaluate_sessions(LogisticRegression(), X, y, groups)
    assert not hasattr(plain, "estimators")


def test_speakers_travel_with_the_samples():
    from sklearn.base import BaseEstimator, ClassifierMixin

    X, y, groups = _toy()
    speakers = np.char.add("spk", (np.arange(len(y)) % 10).astype(str))

    class SpeakerEcho(ClassifierMixin, BaseEstimator):
        """Predicts the label of each sample's speaker seen in training."""

        def fit(self, X, y):
            self.by_speaker_ = dict(zip(X["speaker"], y, strict=True))
            self.classes_ = np.unique(y)
            return self

        def predict(self, X):
            seen = X["audio"].map(len).to_numpy() == 3  # the rows of X arrive
            assert seen.all()
            return np.array([self.by_speaker_.get(s, "neu") for s in X["speaker"]])

    X_rows = list(X)
    res = evaluate_sessions(SpeakerEcho(), X_rows, y, groups, speakers=speakers)
    assert res.y_pred.shape == y.shape
    with pytest.raises(ValueError, match="speakers has 149 entries but X has 150"):
        evaluate_sessions(SpeakerEcho(), X_rows, y, groups, speakers=speakers[:-1])
    import pandas as pd

    frame = pd.DataFrame({"audio": X_rows, "speaker": speakers})
    with pytest.raises(ValueError, match="already a DataFrame"):
        evaluate_sessions(SpeakerEcho(), frame, y, groups, speakers=speakers)
    with pytest.raises(TypeError, match="one speaker per sample"):
        evaluate_sessions(SpeakerEcho(), X_rows, y, groups, speakers="spk1")


# ---------------------------------------------------------------------------
# Regressors: CCC per dimension
# ---------------------------------------------------------------------------


def _dimensional_data(n=100, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 3))
    y = np.c_[3 + X[:, 0], 3 + 0.5 * X[:, 1] + 0.3 * rng.normal(size=n),
              3 + rng.normal(size=n)]
    return X, y, np.repeat([1, 2, 3, 4, 5], n // 5)


def test_regressor_gets_ccc_per_fold_and_dimension():
    from sklearn.linear_model import Ridge

    from sklearn_ser import RegressionEvaluation
    from sklearn_ser.metrics import concordance_correlation_coefficient

    X, y, sessions = _dimensional_data()
    result = evaluate_sessions(Ridge(), X, y, sessions)
    assert isinstance(result, RegressionEvaluation)
    assert result.ccc.shape == (5, 3)
    assert list(result.target_names) == ["valence", "arousal", "dominance"]
    expected = cross_val_predict(Ridge(), X, y, groups=sessions, cv=GroupKFold(5))
    np.testing.assert_allclose(result.y_pred, expected)
    for k in range(5):
        test = result.fold == k
        assert set(sessions[test]) == set(result.test_groups[k])
        np.testing.assert_allclose(
            result.ccc[k], concordance_correlation_coefficient(
                y[test], expected[test], multioutput="raw_values"))
    np.testing.assert_allclose(result.ccc_mean, result.ccc.mean(axis=0))
    np.testing.assert_allclose(result.ccc_std, result.ccc.std(axis=0))
    assert result.ccc_mean[0] > 0.9 and abs(result.ccc_mean[2]) < 0.3
    table = str(result)
    assert "valence" in table and "dominance" in table and "mean" in table
    record = json.loads(json.dumps(result.to_dict()))
    assert record["ccc_mean"]["arousal"] == pytest.approx(result.ccc_mean[1])
    assert len(record["folds"]) == 5 and set(record["folds"][0]["ccc"]) == {
        "valence", "arousal", "dominance"}
    assert "valence=" in repr(result)


def test_regressor_with_one_target_and_own_names():
    from sklearn.linear_model import Ridge

    X, y, sessions = _dimensional_data()
    one = evaluate_sessions(Ridge(), X, y[:, 0], sessions, n_splits=2)
    assert one.ccc.shape == (2, 1) and list(one.target_names) == ["target 0"]
    named = evaluate_sessions(Ridge(), X, y[:, :2], sessions,
                              target_names=["val", "aro"])
    assert list(named.target_names) == ["val", "aro"]
    with pytest.raises(ValueError, match="target_names has 1 name"):
        evaluate_sessions(Ridge(), X, y, sessions, target_names=["valence"])


def test_each_fold_reports_the_epoch_its_network_kept():
    from sklearn_ser import SERClassifier

    from .._common import SMALL_NET, toy_3d

    X, y = toy_3d(n=60, seed=5)
    groups = np.repeat(np.arange(3), 20)
    clf = SERClassifier(**{**SMALL_NET, "lr": 0.05, "max_epochs": 6,
                           "validation_fraction": 0.3})
    res = evaluate_sessions(clf, X, y, groups, n_splits=3, return_estimator=True)
    assert res.best_epochs == [est.best_epoch_ for est in res.estimators]
    assert all(1 <= e <= 6 for e in res.best_epochs)
    assert [f["best_epoch"] for f in res.to_dict()["folds"]] == res.best_epochs
    X2, y2, groups2 = _toy()
    baseline = evaluate_sessions(LogisticRegression(), X2, y2, groups2)
    assert baseline.best_epochs == [None] * 5
    assert json.loads(json.dumps(baseline.to_dict()))["folds"][0]["best_epoch"] is None
