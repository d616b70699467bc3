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
from sklearn_ser.metrics import (
    CCC_SCORING,
    concordance_correlation_coefficient,
    make_ccc_scoring,
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


# ---------------------------------------------------------------------------
# Concordance correlation coefficient
# ---------------------------------------------------------------------------


def _ccc_direct(x, y):
    """Lin's CCC from numpy's population moments."""
    cov = np.cov(x, y, bias=True)[0, 1]
    return 2 * cov / (np.var(x) + np.var(y) + (np.mean(x) - np.mean(y)) ** 2)


def test_ccc_matches_the_formula_per_target():
    rng = np.random.default_rng(0)
    y_true = rng.normal(3, 1, size=(50, 3))
    y_pred = 0.6 * y_true + rng.normal(0.4, 0.5, size=(50, 3))
    raw = concordance_correlation_coefficient(y_true, y_pred, multioutput="raw_values")
    expected = [_ccc_direct(y_true[:, j], y_pred[:, j]) for j in range(3)]
    np.testing.assert_allclose(raw, expected, rtol=1e-12)
    assert concordance_correlation_coefficient(y_true, y_pred) == pytest.approx(
        np.mean(expected))
    weighted = concordance_correlation_coefficient(y_true, y_pred,
                                                   multioutput=[0, 1, 0])
    assert weighted == pytest.approx(expected[1])
    # 1-D input is one target
    assert concordance_correlation_coefficient(y_true[:, 0], y_pred[:, 0]) == (
        pytest.approx(expected[0]))
    # CCC is below Pearson's r when the means or spreads differ
    r = np.corrcoef(y_true[:, 0], y_pred[:, 0])[0, 1]
    assert expected[0] < r


def test_ccc_sample_weight_equals_repetition():
    rng = np.random.default_rng(1)
    y_true, y_pred = rng.normal(size=10), rng.normal(size=10)
    weights = rng.integers(1, 4, size=10)
    repeated = concordance_correlation_coefficient(np.repeat(y_true, weights),
                                                   np.repeat(y_pred, weights))
    assert concordance_correlation_coefficient(
        y_true, y_pred, sample_weight=weights) == pytest.approx(repeated)


def test_ccc_edge_values():
    y = np.array([1.0, 2.0, 3.0])
    assert concordance_correlation_coefficient(y, y) == pytest.approx(1.0)
    assert concordance_correlation_coefficient(y, -y + 4) == pytest.approx(-1.0)
    assert concordance_correlation_coefficient(y, np.full(3, 2.0)) == 0.0
    assert concordance_correlation_coefficient(np.full(3, 2.5), np.full(3, 2.5)) == 1.0


@pytest.mark.parametrize("y_true, y_pred, kwargs, error, match", [
    ([1.0, 2.0], [1.0, 2.0, 3.0], {}, ValueError, "must match"),
    ([1.0, np.nan], [1.0, 2.0], {}, ValueError, "y_true has a non-finite value"),
    ([1.0, 2.0], [1.0, np.inf], {}, ValueError, "y_pred has a non-finite value"),
    (["a", "b"], [1.0, 2.0], {}, TypeError, "must hold numbers"),
    ([], [], {}, ValueError, "empty"),
    ([1.0, 2.0], [1.0, 2.0], {"multioutput": "mean"}, ValueError, "multioutput"),
    ([[1.0, 2], [2, 3]], [[1.0, 2], [2, 3]], {"multioutput": [1]}, ValueError,
     "one weight per target"),
    ([1.0, 2.0], [1.0, 2.0], {"sample_weight": [-1, 1]}, ValueError, "sample_weight"),
])
def test_ccc_bad_input(y_true, y_pred, kwargs, error, match):
    with pytest.raises(error, match=match):
        concordance_correlation_coefficient(y_true, y_pred, **kwargs)


def test_ccc_scoring_in_cross_validate():
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import KFold

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    y = np.c_[X[:, 0], X[:, 1] + 0.1 * rng.normal(size=60), rng.normal(size=60)]
    cv = cross_validate(Ridge(), X, y, cv=KFold(3), scoring=CCC_SCORING)
    assert (cv["test_CCC_valence"] > 0.9).all() and (cv["test_CCC_arousal"] > 0.9).all()
    assert (np.abs(cv["test_CCC_dominance"]) < 0.5).all()
    scoring = make_ccc_scoring(["a"])
    assert sorted(scoring) == ["CCC", "CCC_a"]
    with pytest.raises(ValueError, match="needs 2-D targets"):
        cross_validate(Ridge(), X, y[:, 0], cv=KFold(3), scoring=scoring,
                       error_score="raise")
    with pytest.raises(ValueError, match="duplicates"):
        make_ccc_scoring(["a", "a"])
