"""Estimators fed hostile parameters and labels.

Part of the robustness suite (the cases are in ``tests/_cases.py``).
"""

import io
import zipfile

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from sklearn_ser import SERClassifier, SERRegressor, evaluate_sessions, load, save
from sklearn_ser.datasets import make_emotional_speech
from sklearn_ser.pipeline._factories import make_ser_pipeline

from .._common import TINY_NET, toy_3d
from ..test_robustness import covers

LABELS = ("ang", "hap", "neu", "sad")


@covers("clf-bad-class-weight")
@pytest.mark.parametrize("weight", [np.nan, np.inf, -1.0, "high"])
def test_bad_class_weights_name_the_class(weight):
    X, y = toy_3d(n=32, labels=LABELS)
    clf = SERClassifier(**TINY_NET, class_weight={"ang": 1.0, "hap": weight})
    with pytest.raises(ValueError, match=r"class_weight\['hap'\] is .*; expected a "
                                         r"finite, non-negative number"):
        clf.fit(X, y)
    zeros = SERClassifier(**TINY_NET, class_weight=dict.fromkeys(LABELS, 0))
    with pytest.raises(ValueError, match="every class a weight of 0"):
        zeros.fit(X, y)


@covers("clf-mixed-type-labels")
def test_mixed_type_labels_and_groups_are_named():
    X, y = toy_3d(n=32, labels=LABELS)
    mixed = y.astype(object)
    mixed[3] = 7
    with pytest.raises(TypeError, match=r"y mixes values of different types \(y\[0\] "
                                        r"is 'ang' \(str\), y\[3\] is 7 \(int\)\)"):
        SERClassifier(**TINY_NET).fit(X, mixed)
    groups = np.array([1, "s2"] * 16, dtype=object)
    with pytest.raises(TypeError, match=r"groups mixes values .*groups\[1\] is 's2'"):
        SERClassifier(**TINY_NET).fit(X, y, groups=groups)
    flat = np.nan_to_num(X[:, 0])
    with pytest.raises(TypeError, match=r"groups mixes values"):
        evaluate_sessions(LogisticRegression(), flat, y, groups, n_splits=2)
    with pytest.raises(TypeError, match=r"y mixes values"):
        evaluate_sessions(LogisticRegression(), flat, mixed, np.arange(32) % 2,
                          n_splits=2)


@covers("clf-one-sample-per-group")
def test_one_sample_per_group_trains_with_a_group_aware_split():
    X, y = toy_3d(n=32, labels=LABELS)  # 8 samples per class: fewer than 10 folds
    clf = SERClassifier(**TINY_NET).fit(X, y, groups=np.arange(32))
    assert clf.validation_indices_.size == 4  # 1/8 of the samples
    assert set(clf.predict(X)) <= set(LABELS)


@covers("save-params-changed-after-fit")
@pytest.mark.parametrize("change", [{"classifier__hidden_units": 16},
                                    {"classifier__attention": "lstm"}])
def test_save_refuses_parameters_that_no_longer_match(tmp_path, change):
    data = make_emotional_speech(n_samples=16, random_state=0)
    pipe = make_ser_pipeline("mean", n_frames=30, **TINY_NET)
    pipe.fit(list(data.data), data.target).set_params(**change)
    path = tmp_path / "m.skser"
    with pytest.raises(ValueError, match=r"Cannot save Pipeline step 'classifier' "
                                         r"\(SERClassifier\): its parameters no "
                                         r"longer match its fitted network"):
        save(pipe, path)
    assert not path.exists()


@covers("ids-mixed-number-types")
def test_ids_of_different_number_types_are_not_merged():
    from sklearn_ser import SpeakerStandardScaler

    rng = np.random.default_rng(0)
    X = rng.normal(size=(6, 2))
    speakers = [1, 1, 1.0, 1.0, True, True]  # equal in Python: one dict key
    with pytest.raises(TypeError, match=r"speakers mixes values of different types "
                                        r"\(speakers\[0\] is 1 \(int\), speakers\[2\] "
                                        r"is 1.0 \(float\), speakers\[4\] is True"):
        SpeakerStandardScaler().fit_transform(X, speakers=speakers)
    X3, y = toy_3d(n=32, labels=LABELS)
    groups = [1, 1.0] * 16  # np.asarray would make them all 1.0
    with pytest.raises(TypeError, match=r"groups mixes values .*groups\[1\] is 1.0 "
                                        r"\(float\)"):
        SERClassifier(**TINY_NET).fit(X3, y, groups=groups)
    flat = np.nan_to_num(X3[:, 0])
    with pytest.raises(TypeError, match=r"groups mixes values"):
        evaluate_sessions(LogisticRegression(), flat, y, groups, n_splits=2)
    data = make_emotional_speech(n_samples=8, n_sessions=2, random_state=0)
    mixed = [1, 2, 1.0, 2.0, True, 2, 1, 2]
    with pytest.raises(TypeError, match=r"speakers mixes values"):
        evaluate_sessions(make_ser_pipeline("mean", n_frames=20,
                                            normalization="speaker", **TINY_NET),
                          list(data.data), data.target, data.groups,
                          speakers=mixed, n_splits=2)
    # one type is fine, and missing values are reported as missing
    SpeakerStandardScaler().fit_transform(X, speakers=[1, 1, 2, 2, 3, 3])
    with pytest.raises(ValueError, match="speaker of sample 1 is missing"):
        SpeakerStandardScaler().fit_transform(X, speakers=[1, None, 2, 2, 3, 3])


@covers("reg-huge-targets")
def test_targets_beyond_float32_are_refused(tmp_path):
    X, _ = toy_3d(n=24)
    rng = np.random.default_rng(0)
    y = 1e200 * (1 + 0.1 * rng.standard_normal((24, 2)))
    with pytest.raises(ValueError, match=r"y has the value 1.\d+e\+200 at sample 0, "
                                         r"target 0 \(24 sample\(s\) in all\), beyond "
                                         r"the float32 range"):
        SERRegressor(**TINY_NET).fit(X, y)
    # large targets within float32 train to finite predictions and a loadable file
    reg = SERRegressor(**TINY_NET).fit(X, 1e30 * (1 + 0.1 * rng.standard_normal(24)))
    assert np.isfinite(reg.predict(X)).all()
    save(reg, tmp_path / "reg.skser")
    np.testing.assert_allclose(load(tmp_path / "reg.skser").predict(X), reg.predict(X))
    # a file whose targets' mean was pushed beyond float32
    with zipfile.ZipFile(tmp_path / "reg.skser") as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    with np.load(io.BytesIO(members["arrays.npz"])) as npz:
        arrays = {k: npz[k] for k in npz.files}
    key = next(k for k in arrays if k.endswith("target_mean_"))
    arrays[key] = np.full_like(arrays[key], 1e300)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    members["arrays.npz"] = buf.getvalue()
    with zipfile.ZipFile(tmp_path / "mean.skser", "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises(ValueError, match=r"mean\.skser' is invalid: .*target_mean_ "
                                         r"and target_scale_ must lie within the "
                                         r"float32 range"):
        load(tmp_path / "mean.skser")
