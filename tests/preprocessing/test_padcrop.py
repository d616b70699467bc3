import numpy as np
import pytest

from sklearn_ser import PadCrop

from .._checks import ALL_CHECKS, check_ids


def _seqs(lengths, d=3, seed=0):
    rng = np.random.RandomState(seed)
    return [rng.normal(size=(t, d)) for t in lengths]


@pytest.mark.parametrize("check", ALL_CHECKS, ids=check_ids())
def test_3d_contract(check):
    check(PadCrop(n_frames=6), _seqs([3, 6, 9, 4]), None)


def test_pads_with_nan_and_keeps_values():
    X = _seqs([2, 5])
    out = PadCrop(n_frames=4).fit_transform(X)
    assert out.shape == (2, 4, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out[0, :2], X[0].astype(np.float32))
    assert np.isnan(out[0, 2:]).all()
    np.testing.assert_allclose(out[1], X[1][:4].astype(np.float32))


def test_zero_fill_reproduces_paper():
    out = PadCrop(n_frames=4, fill_value=0.0).fit_transform(_seqs([1]))
    assert np.all(out[0, 1:] == 0.0)


@pytest.mark.parametrize(
    "crop, start", [("end", 0), ("start", 6), ("center", 3)]
)
def test_crop_modes(crop, start):
    seq = np.arange(10, dtype=float)[:, None] * np.ones((1, 2))
    out = PadCrop(n_frames=4, crop=crop).fit_transform([seq])
    np.testing.assert_array_equal(out[0, :, 0], np.arange(start, start + 4))


def test_accepts_3d_array_and_strips_nan_padding():
    X = PadCrop(n_frames=8).fit_transform(_seqs([3, 8]))
    # Cropping the last frames of a padded array keeps the true frames.
    out = PadCrop(n_frames=4, crop="start").fit_transform(X)
    np.testing.assert_allclose(out[0, :3], X[0, :3])
    assert np.isnan(out[0, 3]).all()
    np.testing.assert_allclose(out[1], X[1, 4:])


def test_integer_input_becomes_float32():
    out = PadCrop(n_frames=2).fit_transform([np.ones((1, 2), dtype=np.int16)])
    assert out.dtype == np.float32 and out[0, 0, 0] == 1.0


def test_feature_names_pass_through():
    pc = PadCrop(n_frames=2).fit(_seqs([2]))
    np.testing.assert_array_equal(pc.get_feature_names_out(["a", "b", "c"]),
                                  ["a", "b", "c"])
    np.testing.assert_array_equal(pc.get_feature_names_out(), ["x0", "x1", "x2"])
    with pytest.raises(ValueError):
        pc.get_feature_names_out(["a", "b"])


def test_empty_input():
    with pytest.raises(ValueError, match="at least 1"):
        PadCrop().fit([])


def test_different_widths_names_index():
    X = [np.ones((2, 3)), np.ones((2, 3)), np.ones((2, 4))]
    with pytest.raises(ValueError, match=r"X\[2\] has 4 features"):
        PadCrop().fit(X)


def test_one_dimensional_item_names_index():
    with pytest.raises(ValueError, match=r"X\[1\] has shape \(5,\)"):
        PadCrop().fit([np.ones((2, 3)), np.ones(5)])


def test_non_numeric_item():
    with pytest.raises(TypeError, match=r"X\[0\] has dtype"):
        PadCrop().fit([np.array([["a", "b"]])])


def test_not_a_sequence():
    with pytest.raises(TypeError, match="sequence"):
        PadCrop().fit("features.npy")


def test_2d_array_is_refused_with_hint():
    with pytest.raises(ValueError, match="2-D array"):
        PadCrop().fit(np.ones((4, 3)))


@pytest.mark.parametrize("n_frames", [0, -3, 2.5])
def test_bad_n_frames(n_frames):
    with pytest.raises(ValueError, match="n_frames"):
        PadCrop(n_frames=n_frames).fit(_seqs([2]))


def test_unknown_crop():
    with pytest.raises(ValueError, match="crop"):
        PadCrop(crop="middle").fit(_seqs([2]))


def test_feature_count_checked_at_transform():
    pc = PadCrop(n_frames=3).fit(_seqs([2], d=3))
    with pytest.raises(ValueError, match="fitted with 3 features"):
        pc.transform(_seqs([2], d=4))


@pytest.mark.parametrize("fill_value", [np.nan, 0.0])
def test_empty_sequence_names_index(fill_value):
    X = [np.ones((3, 2)), np.ones((0, 2))]
    with pytest.raises(ValueError, match=r"X\[1\] has no frames"):
        PadCrop(n_frames=4, fill_value=fill_value).fit_transform(X)


def test_all_padding_sample_in_3d_input_names_index():
    X = np.ones((2, 4, 2))
    X[0] = np.nan
    with pytest.raises(ValueError, match=r"X\[0\] has no frames \(all frames are NaN"):
        PadCrop(n_frames=4).fit_transform(X)
