"""Tests of sklearn_ser._compat: the private names of scikit-learn and skorch."""

import importlib
import inspect
import numbers
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from skorch import NeuralNet, NeuralNetClassifier

from sklearn_ser import _compat

PACKAGE = Path(_compat.__file__).parent

#: Modules that still import private scikit-learn names directly; they are
#: being changed elsewhere and are redirected to _compat afterwards.
NOT_YET_REDIRECTED = set()

_PRIVATE_IMPORT = re.compile(
    r"from sklearn[\w.]* import[^\n]*\b_[a-z]\w*|from sklearn\.[\w.]*\._\w+ import"
    r"|^\s*import sklearn[\w.]*\._",
    re.MULTILINE,
)


def _resolve(dotted):
    """The object a dotted name such as ``sklearn.base.BaseEstimator.x`` names."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(dotted)


@pytest.mark.parametrize("name", sorted(_compat.SKLEARN_PRIVATE))
def test_each_private_scikit_learn_name_exists(name):
    low, high = _compat.SKLEARN_PRIVATE[name]
    try:
        obj = _resolve(name)
    except (ImportError, AttributeError) as exc:
        pytest.fail(f"{name} (known to work with scikit-learn {low} to {high}) is "
                    f"gone in scikit-learn {_compat.SKLEARN_VERSION}: {exc}; "
                    "update sklearn_ser/_compat.py")
    short = name.rsplit(".", 1)[1]
    if hasattr(_compat, short):
        assert getattr(_compat, short) is obj


def test_private_scikit_learn_names_behave_as_the_library_expects():
    from sklearn.base import BaseEstimator

    class Est(BaseEstimator):
        _parameter_constraints = {
            "n": [_compat.Interval(numbers.Integral, 1, None, closed="left")],
            "kind": [_compat.StrOptions({"a", "b"})],
        }

        def __init__(self, n=1, kind="a"):
            self.n = n
            self.kind = kind

    _compat.validate_params(Est())
    with pytest.raises(_compat.InvalidParameterError, match="'n' parameter of Est"):
        _compat.validate_params(Est(n=0))
    with pytest.raises(ValueError, match="'kind' parameter of f"):
        _compat.validate_parameter_constraints(
            Est._parameter_constraints, {"n": 2, "kind": "c"}, caller_name="f")
    assert issubclass(_compat.InvalidParameterError, ValueError)
    X = np.arange(10).reshape(5, 2)
    np.testing.assert_array_equal(_compat._safe_indexing(X, [0, 2]), X[[0, 2]])
    params = _compat._check_method_params(X, params={"w": np.arange(5)},
                                          indices=[1, 3])
    np.testing.assert_array_equal(params["w"], [1, 3])


@pytest.mark.parametrize("name", sorted(_compat.SKORCH_PRIVATE))
def test_each_private_part_of_skorch_exists(name):
    low, high = _compat.SKORCH_PRIVATE[name]
    attr = name.split(".", 1)[1].split("(", 1)[0]
    assert hasattr(NeuralNet, attr), (
        f"skorch {_compat.SKORCH_VERSION} has no NeuralNet.{attr} (known to work "
        f"with skorch {low} to {high}); update sklearn_ser/_compat.py")
    if "(" in name:
        argument = name.split("(", 1)[1].rstrip("=)")
        assert argument in inspect.signature(NeuralNet.fit_loop).parameters
        assert argument in inspect.getsource(getattr(NeuralNet, attr))


def test_skorch_wrappers_work_on_a_plain_net():
    torch.manual_seed(0)
    net = NeuralNetClassifier(torch.nn.Linear, module__in_features=2,
                              module__out_features=2, max_epochs=1,
                              train_split=None, verbose=0,
                              criterion=torch.nn.CrossEntropyLoss)
    X = np.random.default_rng(0).normal(size=(8, 2)).astype(np.float32)
    y = np.array([0, 1] * 4)
    # _routing_method is taken out of the fit parameters by skorch; if it
    # were not, it would reach the module's forward and fail here.
    _compat.partial_fit(net, X, y, "fit")
    assert len(net.history_) == 1
    assert _compat.optimizer_names(net) == ["optimizer"]
    _compat.set_training(net, True)
    assert net.module_.training
    _compat.set_training(net, False)
    assert not net.module_.training
    criterion = net.criterion_
    _compat.initialize_criterion(net)
    assert net.criterion_ is not criterion
    assert callable(_compat.predict_nonlinearity(net))


def test_private_names_are_imported_through_compat_only():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel == "_compat.py" or rel in NOT_YET_REDIRECTED:
            continue
        for match in _PRIVATE_IMPORT.finditer(path.read_text()):
            offenders.append(f"{rel}: {match.group(0).strip()}")
    assert not offenders, "import these through sklearn_ser._compat:\n" + "\n".join(
        offenders)
    for rel in NOT_YET_REDIRECTED:  # remove a name once its file is redirected
        assert _PRIVATE_IMPORT.search((PACKAGE / rel).read_text()), rel
