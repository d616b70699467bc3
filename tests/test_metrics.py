import numpy as np
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_validate

from sklearn_ser import (
    SCORING,
    ua_scorer,
    unweighted_accuracy,
    wa_scorer,
    wa_ua_score,
    wa_ua_scorer,
    weighted_accuracy,
)

Y_TRUE = np.array(["ang"] * 6 + ["hap"] * 2 + ["neu"] * 2)
Y_PRED = np.array(["ang"] * 6 + ["ang", "hap"] + ["ang", "ang"])


def test_wa_is_overall_accuracy():
    # 7 correct out of 10.
    assert weighted_accuracy(Y_TRUE, Y_PRED) == pytest.approx(0.7)


def test_ua_is_mean_per_class_recall():
    # recalls: ang 6/6, hap 1/2, neu 0/2 -> mean 0.5.
    assert unweighted_accuracy(Y_TRUE, Y_PRED) == pytest.approx(0.5)


def test_wa_ua_differ_on_imbalance_and_sum():
    assert wa_ua_score(Y_TRUE, Y_PRED) == pytest.approx(1.2)


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")
def test_sample_weight_is_used():
    w = np.ones(10)
    w[:6] = 0.0  # drop the 'ang' samples, leaving 1 correct out of 4
    assert weighted_accuracy(Y_TRUE, Y_PRED, sample_weight=w) == pytest.approx(0.25)
    assert unweighted_accuracy(Y_TRUE, Y_PRED, sample_weight=w) == pytest.approx(0.25)


@pytest.mark.parametrize("func", [weighted_accuracy, unweighted_accuracy, wa_ua_score])
def test_length_mismatch_raises(func):
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        func(["a", "b"], ["a"])


@pytest.mark.parametrize("func", [weighted_accuracy, unweighted_accuracy, wa_ua_score])
def test_empty_raises(func):
    with pytest.raises(ValueError):
        func([], [])


def _toy():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3))
    y = np.where(X[:, 0] > 0.3, "ang", "neu")
    groups = np.repeat(np.arange(3), 20)
    return X, y, groups


def test_scoring_dict_in_cross_validate():
    X, y, groups = _toy()
    res = cross_validate(DummyClassifier(strategy="most_frequent"), X, y, cv=3,
                         scoring=SCORING)
    # The majority-class predictor has UA exactly 0.5 on 2 classes, WA = share
    # of the majority class in each test fold.
    np.testing.assert_allclose(res["test_UA"], 0.5)
    assert np.all(res["test_WA"] > 0.5)
    assert set(SCORING) == {"WA", "UA"}


def test_scorers_match_functions():
    X, y, _ = _toy()
    clf = LogisticRegression().fit(X, y)
    pred = clf.predict(X)
    assert wa_scorer(clf, X, y) == pytest.approx(weighted_accuracy(y, pred))
    assert ua_scorer(clf, X, y) == pytest.approx(unweighted_accuracy(y, pred))
    assert wa_ua_scorer(clf, X, y) == pytest.approx(wa_ua_score(y, pred))


def test_gridsearch_refit_ua():
    X, y, _ = _toy()
    search = GridSearchCV(LogisticRegression(), {"C": [1e-4, 1.0]}, scoring=SCORING,
                          refit="UA", cv=3).fit(X, y)
    assert "mean_test_WA" in search.cv_results_
    assert search.best_params_ == {"C": 1.0}
