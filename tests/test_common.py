"""scikit-learn's estimator checks on every estimator that accepts 2-D input."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_ser import NeutralStandardScaler

_NO_NEUTRAL = (
    "the check's y has no sample of the neutral label, which fit requires by "
    "design (it computes the neutral statistics)"
)

# Checks that cannot apply, with the reason.
EXPECTED_FAILED = {
    NeutralStandardScaler: {
        "check_estimators_dtypes": _NO_NEUTRAL,
        "check_fit2d_1sample": _NO_NEUTRAL,
        "check_fit2d_1feature": _NO_NEUTRAL,
    },
}


def _expected_failed_checks(estimator):
    return EXPECTED_FAILED.get(type(estimator), {})


@parametrize_with_checks(
    [NeutralStandardScaler(neutral_label=0)],
    expected_failed_checks=_expected_failed_checks,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
