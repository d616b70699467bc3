"""Tests of sklearn_ser.persistence._registry: what a model file knows of each estimator."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, TransformerMixin

from sklearn_ser import (
    EncoderExtractor,
    Functionals,
    LLDExtractor,
    NeutralStandardScaler,
    PadCrop,
    SERClassifier,
    SERRegressor,
    SpeakerStandardScaler,
    load,
    save,
)
from sklearn_ser.persistence import _registry


def test_every_step_of_the_library_is_registered():
    expected = {LLDExtractor, EncoderExtractor, PadCrop, NeutralStandardScaler,
                SpeakerStandardScaler, Functionals, SERClassifier, SERRegressor}
    assert set(_registry.step_classes().values()) == expected
    entry = _registry.entry_of(SERClassifier())
    assert entry.network and entry.dropped_params == ("callbacks",)
    assert entry.rebuilt_attributes == _registry.SKORCH_ATTRIBUTES
    assert _registry.entry_of(LLDExtractor()).dropped_params == ("memory",
                                                                  "max_duration")
    assert _registry.entry_of(EncoderExtractor()).dropped_params == ("memory",
                                                                      "max_duration")
    assert _registry.entry_of(Functionals()).validate is not None


def test_parameter_classes_have_stable_names():
    classes = _registry.parameter_classes()
    for name in ("sklearn_ser.SERNet", "sklearn_ser.LengthBucketLoader",
                 "sklearn_ser.TrimLoader", "torch.optim.Adam",
                 "torch.nn.CrossEntropyLoss", "skorch.dataset.Dataset"):
        assert _registry.class_name(classes[name]) == name
    assert _registry.class_name(dict) is None


class _Offset(TransformerMixin, BaseEstimator):
    """A step outside the library: adds the mean of the training data."""

    _parameter_constraints = {"scale": [float]}

    def __init__(self, scale=1.0):
        self.scale = scale

    def fit(self, X, y=None):
        self.offset_ = self.scale * np.asarray(X, dtype=float).mean(axis=0)
        self.n_features_in_ = self.offset_.shape[0]
        return self

    def transform(self, X):
        return np.asarray(X, dtype=float) + self.offset_


def _check_offset(step, check):
    check.finite_vector("offset_", check.count("n_features_in_"))


@pytest.fixture
def isolated_registry(monkeypatch):
    monkeypatch.setattr(_registry, "_ENTRIES", dict(_registry._ENTRIES))
    monkeypatch.setattr(_registry, "_PARAMETER_CLASSES",
                        dict(_registry._PARAMETER_CLASSES))


@pytest.fixture
def registered_offset(isolated_registry):
    return _registry.register(_Offset, check_state=_check_offset)


def test_one_entry_makes_a_new_step_savable(tmp_path, isolated_registry):
    X = np.arange(12.0).reshape(4, 3)
    with pytest.raises(TypeError, match="_Offset"):
        save(_Offset().fit(X), tmp_path / "offset.skser")
    _registry.register(_Offset, check_state=_check_offset)
    step = _Offset(scale=2.0).fit(X)
    save(step, tmp_path / "offset.skser")
    loaded = load(tmp_path / "offset.skser")
    assert type(loaded) is _Offset and loaded.scale == 2.0
    np.testing.assert_array_equal(loaded.offset_, step.offset_)


def test_state_check_of_a_new_step_refuses_altered_files(tmp_path, registered_offset):
    step = _Offset().fit(np.arange(6.0).reshape(2, 3))
    step.offset_ = np.array([0.0, np.nan, 1.0])
    save(step, tmp_path / "bad.skser")
    with pytest.raises(ValueError, match=r"offset_ must be a finite float array"):
        load(tmp_path / "bad.skser")


def test_a_parameter_class_name_cannot_be_taken_twice(registered_offset):
    with pytest.raises(ValueError, match="sklearn_ser.SERNet"):
        _registry.register(_Offset, parameter_classes={"sklearn_ser.SERNet": dict})


_ALONE = """
import sys, types
from pathlib import Path

# The package without its __init__, which imports every module: only what
# the module imported below imports is loaded.
package = types.ModuleType("sklearn_ser")
package.__path__ = [str(Path(sys.argv[1]) / "sklearn_ser")]
sys.modules["sklearn_ser"] = package
module = __import__("sklearn_ser." + sys.argv[2], fromlist=["_"])
from sklearn_ser.persistence import _registry

names = sorted(_registry.step_classes())
print(",".join(names))
print(",".join(sorted(m for m in sys.modules if m.startswith("sklearn_ser."))))
"""


def _registered_when_imported_alone(module):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-c", _ALONE, str(root), module],
                          capture_output=True, text=True, cwd=root, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    names, modules = proc.stdout.strip().splitlines()[-2:]
    return names.split(","), modules.split(",")


def test_the_regressor_module_registers_its_class():
    names, modules = _registered_when_imported_alone("network._regressor")
    assert "SERRegressor" in names
    assert "sklearn_ser.persistence._onnx" not in modules
    assert "sklearn_ser.persistence._load" not in modules


def test_persistence_knows_every_step_without_the_package_init():
    names, modules = _registered_when_imported_alone("persistence._load")
    assert set(names) == {"EncoderExtractor", "Functionals", "LLDExtractor",
                          "NeutralStandardScaler",
                          "PadCrop", "SERClassifier", "SERRegressor",
                          "SpeakerStandardScaler"}
    assert "sklearn_ser.persistence._onnx" not in modules
