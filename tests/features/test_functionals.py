import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from sklearn_ser import Functionals, LLDExtractor, PadCrop

from .._checks import ALL_CHECKS, check_ids


def _seqs(lengths, d=3, seed=0):
    rng = np.random.RandomState(seed)
    return [rng.normal(size=(t, d)).astype(np.float32) for t in lengths]


def _expected(seq, percentiles=(1, 25, 50, 75, 99), step=0.01):
    """The default functionals of one sequence, written out with numpy."""
    x = seq.astype(np.float64)
    t = np.arange(x.shape[0]) * step
    rows = []
    for j in range(x.shape[1]):
        v = x[:, j]
        slope = np.polyfit(t, v, 1)[0] if len(v) > 1 else 0.0
        rows.append(
            [v.mean(), np.sqrt(np.mean((v - v.mean()) ** 2))]
            + [np.percentile(v, q) for q in percentiles]
            + [v.max() - v.min(), slope]
        )
    return np.asarray(rows).ravel()


@pytest.mark.parametrize("check", ALL_CHECKS, ids=check_ids())
def test_3d_contract(check):
    check(Functionals(), _seqs([3, 6, 9, 4]), None)


def test_matches_numpy_formulas_on_unpadded_sequences():
    X = _seqs([1, 2, 7, 40, 133], d=4, seed=1)
    out = Functionals().fit_transform(X)
    assert out.shape == (5, 4 * 9) and out.dtype == np.float64
    for i, seq in enumerate(X):
        np.testing.assert_allclose(out[i], _expected(seq), rtol=1e-9, atol=1e-9)


def test_padded_array_and_dataframe_give_the_same_as_the_list():
    X = _seqs([5, 12, 30], d=2, seed=2)
    expected = Functionals().fit_transform(X)
    padded = PadCrop(n_frames=40).fit_transform(X)
    np.testing.assert_allclose(Functionals().fit_transform(padded), expected,
                               rtol=1e-12, atol=0)
    frame = pd.DataFrame({"lld": pd.Series(X, dtype=object), "speaker": list("abc")})
    np.testing.assert_allclose(Functionals().fit_transform(frame), expected)


def test_feature_names_name_the_columns():
    X = _seqs([8, 20], d=2, seed=3)
    func = Functionals(functionals=("max", "percentiles", "min", "slope"),
                       percentiles=(10, 2.5)).fit(X)
    names = func.get_feature_names_out(["f0", "rms"]).tolist()
    assert names == ["f0_max", "f0_p10", "f0_p2.5", "f0_min", "f0_slope",
                     "rms_max", "rms_p10", "rms_p2.5", "rms_min", "rms_slope"]
    out = func.transform(X)
    np.testing.assert_allclose(out[:, names.index("rms_p2.5")],
                               [np.percentile(x[:, 1], 2.5) for x in X], rtol=1e-6)
    np.testing.assert_allclose(out[:, names.index("f0_min")], [x[:, 0].min() for x in X])
    assert func.get_feature_names_out()[0] == "x0_max"


def test_names_follow_the_lld_names_through_a_pipeline():
    func = Functionals().fit(_seqs([4], d=32))
    names = func.get_feature_names_out(LLDExtractor().get_feature_names_out())
    assert names[0] == "F0_sma_mean" and names[-1] == "pcm_fftMag_mfcc_sma_de[12]_slope"
    assert len(names) == 32 * 9


def test_single_frame_has_zero_spread_and_slope():
    out = Functionals(functionals=("std", "range", "slope", "mean")).fit_transform(
        [np.array([[3.0, -1.0]])]
    )
    np.testing.assert_array_equal(out, [[0.0, 0.0, 0.0, 3.0, 0.0, 0.0, 0.0, -1.0]])


def test_slope_unit_follows_frame_step():
    ramp = [np.arange(10, dtype=float)[:, None]]
    assert Functionals(functionals=("slope",)).fit_transform(ramp)[0, 0] == pytest.approx(100.0)
    assert Functionals(functionals=("slope",), frame_step=0.02).fit_transform(
        ramp)[0, 0] == pytest.approx(50.0)


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(functionals=()), "functionals is empty"),
        (dict(functionals=("mean", "median")), "unknown name"),
        (dict(functionals="mean"), "must be an array-like"),
        (dict(functionals=("mean", "mean")), "twice"),
        (dict(percentiles=(50, 101)), "between 0 and 100"),
        (dict(percentiles=()), "percentiles is empty"),
    ],
)
def test_bad_parameters(params, match):
    with pytest.raises((ValueError, TypeError), match=match):
        Functionals(**params).fit(_seqs([3]))


def test_bad_input():
    func = Functionals().fit(_seqs([3], d=3))
    with pytest.raises(ValueError, match="2 features per frame.*fitted with 3"):
        func.transform(_seqs([3], d=2))
    bad = _seqs([4, 4])
    bad[1][2, 0] = np.nan
    with pytest.raises(ValueError, match=r"X\[1\] has a non-finite value at frame 2"):
        func.transform(bad)
    padded = np.full((2, 5, 3), np.nan, dtype=np.float32)
    padded[0, :2] = 1.0
    with pytest.raises(ValueError, match=r"X\[1\] has no frames \(all frames are NaN"):
        func.transform(padded)
    with pytest.raises(ValueError, match=r"X\[0\] has no frames"):
        func.transform([np.zeros((0, 3))])
    with pytest.raises(TypeError, match="without an 'lld' column"):
        func.transform(pd.DataFrame({"file": ["a.wav"]}))


def test_clone_keeps_tuple_parameters():
    func = clone(Functionals(functionals=("mean",), percentiles=(5,)))
    assert func.functionals == ("mean",) and func.percentiles == (5,)
