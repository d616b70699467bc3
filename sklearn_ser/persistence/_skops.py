"""scikit-learn's own estimators in a model file, through :mod:`skops.io`.

A step of a saved pipeline that is one of scikit-learn's estimators listed
in :data:`STEP_CLASSES` (the classifiers, regressors and transformers that
the library's factories, guides and command line use) is stored as a skops archive, a
member ``sklearn/<step index>.skops`` of the model file. skops stores an
estimator as JSON (``schema.json``) and numpy arrays (``.npy``), without
pickle.

Loading is stricter than skops's own defaults, which trust every
scikit-learn estimator: before skops reads anything, the archive's members
are checked (stored, not compressed; only ``schema.json`` and ``.npy``
files; every array header against its bytes, no object arrays) and every
type its schema names must be in :data:`STEP_CLASSES`,
:data:`PART_CLASSES` or :data:`VALUE_TYPES`, built by one of the node kinds of :data:`NODE_KINDS`;
skops then loads it with exactly that list of trusted types. A pipeline
step naming any other type (a function, a ``FunctionTransformer``, a
random state, ...) is refused with a ``ValueError`` that names it.
"""

import copy
import io
import json
import re
import zipfile

import numpy as np
import skops
import skops.io
from sklearn.calibration import CalibratedClassifierCV
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.feature_selection import VarianceThreshold
from sklearn.linear_model import LogisticRegression, Ridge, RidgeClassifier, RidgeCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.svm import SVC, LinearSVC

from .._compat import _CalibratedClassifier, _SigmoidCalibration
from ._registry import is_machine_param, machine_param_set

#: scikit-learn estimators a model file may hold, by their public name.
STEP_CLASSES = {
    "sklearn.calibration.CalibratedClassifierCV": CalibratedClassifierCV,
    "sklearn.dummy.DummyClassifier": DummyClassifier,
    "sklearn.dummy.DummyRegressor": DummyRegressor,
    "sklearn.feature_selection.VarianceThreshold": VarianceThreshold,
    "sklearn.linear_model.LogisticRegression": LogisticRegression,
    "sklearn.linear_model.Ridge": Ridge,
    "sklearn.linear_model.RidgeCV": RidgeCV,
    "sklearn.linear_model.RidgeClassifier": RidgeClassifier,
    "sklearn.pipeline.Pipeline": Pipeline,
    "sklearn.preprocessing.MinMaxScaler": MinMaxScaler,
    "sklearn.preprocessing.StandardScaler": StandardScaler,
    "sklearn.svm.LinearSVC": LinearSVC,
    "sklearn.svm.SVC": SVC,
}

#: Classes that such a step holds as fitted parts (those of a fitted
#: CalibratedClassifierCV with the sigmoid method).
PART_CLASSES = (_CalibratedClassifier, _SigmoidCalibration)

#: The other types the skops archive of such a step may name: containers,
#: JSON values, numpy arrays and scalars.
VALUE_TYPES = (
    "builtins.bool", "builtins.dict", "builtins.float", "builtins.int",
    "builtins.list", "builtins.NoneType", "builtins.str", "builtins.tuple",
    "numpy.ndarray", "numpy.bool_", "numpy.float32", "numpy.float64",
    "numpy.int32", "numpy.int64",
)

#: The skops node kinds (``__loader__``) such an archive may use.
NODE_KINDS = frozenset({"CachedNode", "DictNode", "JsonNode", "ListNode",
                        "NdArrayNode", "ObjectNode", "TupleNode", "TypeNode"})

#: The deepest nesting of a schema (a pipeline of estimators is about 10).
MAX_DEPTH = 64
#: The most members an archive may hold (a step has a few dozen arrays).
MAX_MEMBERS = 4096

_SCHEMA = "schema.json"
_NPY = re.compile(r"^[0-9]{1,40}\.npy$")


def _type_name(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


def trusted_types():
    """The fully qualified type names a step's archive may name, sorted."""
    classes = [*STEP_CLASSES.values(), *PART_CLASSES]
    return sorted({_type_name(cls) for cls in classes} | set(VALUE_TYPES))


def public_name(step):
    """The name of ``step``'s class in :data:`STEP_CLASSES`, or None."""
    for name, cls in STEP_CLASSES.items():
        if type(step) is cls:
            return name
    return None


def _memory_params(step):
    """Names of the ``memory`` parameters of ``step`` (nested ones included) set."""
    return sorted(key for key, value in step.get_params(deep=True).items()
                  if (key == "memory" or key.endswith("__memory"))
                  and value is not None)


def _machine_params(step):
    """Names of the parameters of ``step`` (nested ones included) that choose
    how many processes run (``n_jobs``), set."""
    return sorted(key for key, value in step.get_params(deep=True).items()
                  if is_machine_param(key) and machine_param_set(value))


def dump_step(step, where):
    """The skops archive of a fitted scikit-learn step, and what was left out.

    Parameters
    ----------
    step : estimator
        An estimator of :data:`STEP_CLASSES`.
    where : str
        How messages name the step.

    Returns
    -------
    data : bytes
        The archive.
    dropped : list of str
        The parameters that were set and are not saved: ``memory`` (it names
        a folder of the machine that trained the model) and ``n_jobs`` (a
        model file does not choose how many processes a machine runs).

    Raises
    ------
    TypeError
        If the archive would name a type outside :func:`trusted_types`, e.g.
        a nested estimator of another class or a random state.
    """
    dropped = sorted(_memory_params(step) + _machine_params(step))
    if dropped:
        step = copy.deepcopy(step)
        step.set_params(**dict.fromkeys(dropped))
    data = skops.io.dumps(step)
    types, _, kinds = _named_types(_schema(data, ValueError), ValueError)
    untrusted = sorted((types - set(trusted_types()))
                       | {name for name, kind in kinds if kind not in NODE_KINDS})
    if untrusted:
        raise TypeError(
            f"{where} holds {untrusted}, which a sklearn-ser model file cannot "
            f"hold: the scikit-learn steps it stores are {sorted(STEP_CLASSES)}, "
            "with numbers, strings, lists, dicts and numpy arrays as values."
        )
    return data, dropped


def _schema(data, error):
    """The parsed ``schema.json`` of an archive, after checking its members."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, EOFError, ValueError, OSError) as exc:
        raise error(f"is not a skops archive ({exc})") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            raise error(f"holds {len(infos)} members, more than {MAX_MEMBERS}")
        names = [info.filename for info in infos]
        if len(set(names)) != len(names) or _SCHEMA not in names:
            raise error("is not a skops archive (no schema.json, or duplicate "
                        "members)")
        for info in infos:
            if info.filename != _SCHEMA and not _NPY.match(info.filename):
                raise error(f"holds an unexpected member {info.filename!r}")
            if info.compress_type != zipfile.ZIP_STORED or (
                    info.file_size != info.compress_size):
                raise error(f"holds a compressed member {info.filename!r}; the "
                            "members of a step's archive are stored as they are")
        try:
            schema = json.loads(archive.read(_SCHEMA).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise error(f"has an unreadable schema.json ({exc})") from None
        except RecursionError:
            raise error("has a schema.json nested too deeply") from None
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise error(f"is damaged ({exc})") from None
    if not isinstance(schema, dict):
        raise error("has a schema.json that is not a JSON object")
    return schema


def _named_types(schema, error):
    """``(types, files, kinds)`` a schema refers to.

    The type names, the array files and the ``(type name, node kind)`` of
    each node.
    """
    types, files, kinds = set(), set(), set()
    stack = [(schema, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise error(f"has a schema.json nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
            continue
        if not isinstance(value, dict):
            continue
        if {"__class__", "__module__", "__loader__"} & set(value):
            cls, module, kind = (value.get("__class__"), value.get("__module__"),
                                 value.get("__loader__"))
            if not all(isinstance(v, str) for v in (cls, module, kind)):
                raise error("has a malformed node in schema.json")
            types.add(f"{module}.{cls}")
            kinds.add((f"{module}.{cls}", kind))
            if kind == "NdArrayNode" and value.get("type") == "numpy":
                if not isinstance(value.get("file"), str):
                    raise error("has an array node without its file")
                files.add(value["file"])
        stack.extend((v, depth + 1) for v in value.values())
    return types, files, kinds


def load_step(data, class_name, error, check_array):
    """The scikit-learn step stored in the skops archive ``data``.

    Parameters
    ----------
    data : bytes
        The archive (read in bounded memory by the caller).
    class_name : str
        The public class name the metadata gives to the step.
    error : callable
        ``error(message)`` returns the ValueError to raise; the message
        completes a sentence that names the member.
    check_array : callable
        ``check_array(raw, what)`` checks one ``.npy`` file (its header
        against its bytes, no object arrays) before skops reads it.

    Returns
    -------
    step : estimator
        The fitted estimator, of exactly the class ``class_name`` names.
    ignored : list of str
        The parameters that choose how many processes run (``n_jobs``) that
        the archive set; they are reset to None (files of earlier versions
        of the library stored them).
    """
    cls = STEP_CLASSES.get(class_name)
    if cls is None:
        raise error(f"is given the class {class_name!r}, which is not among the "
                    f"scikit-learn steps a model file may hold {sorted(STEP_CLASSES)}")
    schema = _schema(data, error)
    types, files, kinds = _named_types(schema, error)
    unknown = sorted({kind for _, kind in kinds} - NODE_KINDS)
    if unknown:
        raise error(f"uses the skops node kind(s) {unknown}, which a model file "
                    f"does not allow (allowed: {sorted(NODE_KINDS)}); it is refused, "
                    "nothing of it was loaded")
    untrusted = sorted(types - set(trusted_types()))
    if untrusted:
        raise error(
            f"names the type(s) {untrusted}, which a sklearn-ser model file does not "
            f"trust (the scikit-learn steps it may hold are {sorted(STEP_CLASSES)}); "
            "it is refused, nothing of it was loaded"
        )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        present = set(archive.namelist()) - {_SCHEMA}
        if files - present:
            raise error(f"lacks the array file(s) {sorted(files - present)[:3]}")
        for name in sorted(present):
            check_array(archive.read(name), f"array {name!r}")
    step = skops.io.loads(bytes(data), trusted=trusted_types())
    if type(step) is not cls:
        raise error(f"holds a {type(step).__name__}, not the {class_name} its "
                    "metadata names")
    planted = _memory_params(step)
    if planted:
        raise error(f"sets {planted}, which sklearn_ser.save never stores (it names "
                    "a folder of the machine that trained the model); the file was "
                    "altered")
    check_fitted(step, error)
    ignored = _machine_params(step)
    if ignored:
        step.set_params(**dict.fromkeys(ignored))
    return step, ignored


# ---------------------------------------------------------------------------
# The fitted state of a loaded step
# ---------------------------------------------------------------------------

#: Fitted float arrays that decide what a step predicts: a NaN in one of
#: them would become a label (``argmax`` of NaN scores is the first class).
_DECIDING = ("coef_", "intercept_", "support_vectors_", "_dual_coef_",
             "_intercept_", "_probA", "_probB", "a_", "b_", "scale_", "mean_",
             "min_", "constant_", "class_prior_")


#: The fitted attributes of an SVC that its predictions hand to libsvm.
_LIBSVM = ("support_", "support_vectors_", "_n_support", "_dual_coef_", "_intercept_",
           "_probA", "_probB")


def _parts(step):
    """``step`` and every estimator it holds (pipeline steps, calibrated parts)."""
    seen, stack = [], [step]
    while stack:
        obj = stack.pop()
        if any(obj is s for s in seen):
            continue
        seen.append(obj)
        for value in vars(obj).values():
            values = value if isinstance(value, (list, tuple)) else [value]
            for v in values:
                if isinstance(v, tuple) and len(v) == 2:  # a pipeline's (name, step)
                    v = v[1]
                if type(v) in (*STEP_CLASSES.values(), *PART_CLASSES):
                    stack.append(v)
    return seen


def _check_svc(svc, need):
    """The arrays that ``SVC.predict`` hands to libsvm, which trusts them.

    libsvm reads ``len(_n_support) - 1`` rows of ``_dual_coef_`` for every
    support vector and one ``_intercept_`` per pair of classes; an array
    shorter than that is read past its end (a crash, or garbage labels).
    """
    need(svc._impl == "c_svc" and not svc._sparse,
         "is not a dense C-SVC (its libsvm type or sparsity was altered)")
    need(svc.kernel != "precomputed", "uses a precomputed kernel, which a model "
         "file's pipeline (features, not kernels) never feeds")
    n_support = svc._n_support
    sv = svc.support_vectors_
    need(isinstance(n_support, np.ndarray) and n_support.dtype == np.int32
         and n_support.ndim == 1 and (n_support >= 0).all(),
         "has a _n_support that is not a 1-D array of non-negative int32 counts")
    k = n_support.size
    n_sv = int(n_support.sum())
    need(k >= 2 and np.asarray(svc.classes_).shape == (k,),
         f"has {np.asarray(svc.classes_).size} classes_ for {k} classes in libsvm")
    need(isinstance(sv, np.ndarray) and sv.dtype == np.float64 and sv.ndim == 2
         and sv.shape == (n_sv, svc.n_features_in_),
         f"has support_vectors_ of shape {getattr(sv, 'shape', None)}, expected "
         f"({n_sv}, {svc.n_features_in_})")
    need(np.shape(svc.support_) == (n_sv,)
         and (np.asarray(svc.support_) >= 0).all(),
         "has support_ that does not index its support vectors")
    pairs = k * (k - 1) // 2
    for attr, shape in (("_dual_coef_", (k - 1, n_sv)), ("_intercept_", (pairs,))):
        value = getattr(svc, attr)
        need(isinstance(value, np.ndarray) and value.dtype == np.float64
             and value.shape == shape,
             f"has {attr} of shape {getattr(value, 'shape', None)}, expected {shape}")
    for attr in ("_probA", "_probB"):
        value = getattr(svc, attr)
        need(isinstance(value, np.ndarray) and value.dtype == np.float64
             and value.ndim == 1 and value.size in (0, pairs),
             f"has {attr} of {np.size(value)} values, expected 0 or {pairs}")
    need(np.isfinite([svc._gamma, svc.coef0]).all(), "has a non-finite gamma or coef0")


def _check_linear(model, need):
    """``coef_`` and ``intercept_`` of a linear model against its features and classes."""
    coef = model.coef_
    rows = 1 if coef.ndim == 1 else coef.shape[0]
    need(coef.ndim in (1, 2) and coef.shape[-1] == getattr(model, "n_features_in_", -1),
         f"has coef_ of shape {coef.shape} for {getattr(model, 'n_features_in_', None)} "
         "features")
    intercept = np.asarray(getattr(model, "intercept_", 0.0))
    need(intercept.size in (1, rows), f"has {intercept.size} intercept_ values for "
         f"{rows} rows of coef_")
    classes = getattr(model, "classes_", None)
    if classes is not None:
        n = np.asarray(classes).size
        need(rows == (1 if n == 2 else n), f"has {rows} rows of coef_ for {n} classes")


def check_fitted(step, error):
    """Check the fitted state of a scikit-learn step read from a model file.

    scikit-learn trusts the fitted attributes of its estimators; skops
    restores whatever the archive holds. Every estimator of the step
    (nested pipeline steps and calibrated parts included) must satisfy its
    class's parameter constraints, hold its ``classes_`` as scikit-learn
    makes them (distinct, sorted) and finite deciding arrays; an ``SVC``
    must hand libsvm arrays of the sizes it reads.

    Parameters
    ----------
    step : estimator
        The loaded step.
    error : callable
        ``error(message)`` returns the ValueError to raise.
    """
    for part in _parts(step):
        name = type(part).__name__

        def need(ok, what, name=name):
            if not ok:
                raise error(f"holds an estimator {name} that {what}; it was altered")

        if hasattr(part, "_parameter_constraints"):
            try:
                part._validate_params()
            except (TypeError, ValueError) as exc:
                raise error(f"holds a {name} with invalid parameters ({exc})") from None
        classes = getattr(part, "classes_", None)
        if classes is not None:
            classes = np.asarray(classes)
            try:
                ordered = np.array_equal(np.unique(classes), classes)
            except TypeError:
                ordered = False
            need(classes.ndim == 1 and ordered,
                 "has classes_ that are not distinct and sorted (scikit-learn's "
                 "classes are np.unique of the labels)")
        for attr in _DECIDING:
            value = getattr(part, attr, None)
            if isinstance(value, np.ndarray) and value.dtype.kind == "f":
                need(bool(np.isfinite(value).all()), f"has NaN or inf in {attr}")
        if isinstance(part, SVC) and any(attr in vars(part) for attr in _LIBSVM):
            _check_svc(part, need)  # fitted (a CalibratedClassifierCV's template is not)
        elif isinstance(getattr(part, "coef_", None), np.ndarray):
            _check_linear(part, need)


def skops_version():
    """The version of skops (recorded in the files it helps to write)."""
    return skops.__version__

