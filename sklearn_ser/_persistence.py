"""Safe model files: save and load fitted pipelines without pickle.

A model file is a zip archive with exactly three members:

``metadata.json``
    The format name and version, the library version, and for each step its
    class name, its constructor parameters and its fitted scalar attributes,
    all as JSON.
``arrays.npz``
    The fitted array attributes of the steps (scaler statistics, classes,
    ...), read with ``numpy.load(..., allow_pickle=False)``.
``weights.npz``
    The weights of each network (its ``state_dict`` as float arrays), read the
    same way.

Nothing is unpickled on load and no class is looked up by name: step classes
and the classes that may appear as parameters (the network, loss, optimizer,
data loaders) come from fixed lists of the library's and torch's own types.
"""

import contextlib
import io
import json
import numbers
import os
import platform
import tempfile
import warnings
import zipfile
import zlib

import numpy as np
import sklearn
import torch
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils import get_tags
from sklearn.utils.validation import check_is_fitted
from skorch.dataset import Dataset as _SkorchDataset
from skorch.history import History
from torch.utils.data import DataLoader

from ._classifier import LengthBucketLoader, SERClassifier, TrimLoader
from ._functionals import Functionals
from ._lld import LLDExtractor
from ._network import SERNet
from ._padcrop import PadCrop
from ._scaler import NeutralStandardScaler
from ._speaker import SpeakerStandardScaler
from ._version import __version__

__all__ = ["load", "save"]

FORMAT_NAME = "sklearn-ser-model"
FORMAT_VERSION = 1

_METADATA = "metadata.json"
_ARRAYS = "arrays.npz"
_WEIGHTS = "weights.npz"
_MEMBERS = (_METADATA, _ARRAYS, _WEIGHTS)

#: The step classes a model file may contain (exact types, no subclasses).
STEP_CLASSES = {
    cls.__name__: cls
    for cls in (LLDExtractor, PadCrop, NeutralStandardScaler, SpeakerStandardScaler,
                Functionals, SERClassifier)
}

#: Classes that may appear as parameter values (SERClassifier's skorch
#: parameters ``module``, ``criterion``, ``optimizer``, ``iterator_*`` and
#: ``dataset``), under a stable name.
PARAMETER_CLASSES = {
    "sklearn_ser.SERNet": SERNet,
    "sklearn_ser.LengthBucketLoader": LengthBucketLoader,
    "sklearn_ser.TrimLoader": TrimLoader,
    "torch.nn.CrossEntropyLoss": torch.nn.CrossEntropyLoss,
    "torch.nn.NLLLoss": torch.nn.NLLLoss,
    "torch.optim.Adam": torch.optim.Adam,
    "torch.optim.AdamW": torch.optim.AdamW,
    "torch.optim.SGD": torch.optim.SGD,
    "torch.optim.RMSprop": torch.optim.RMSprop,
    "torch.utils.data.DataLoader": DataLoader,
    "skorch.dataset.Dataset": _SkorchDataset,
}
_CLASS_NAMES = {cls: name for name, cls in PARAMETER_CLASSES.items()}

# Parameters that are not saved (the loaded estimator has their default).
_DROPPED_PIPELINE_PARAMS = ("memory",)
_DROPPED_STEP_PARAMS = {LLDExtractor: ("memory",), SERClassifier: ("callbacks",)}

# Fitted attributes of SERClassifier that skorch rebuilds in ``initialize()``
# (the network's weights are saved separately, the history as JSON).
_SKORCH_ATTRIBUTES = frozenset({
    "callbacks_",
    "criterion_",
    "cuda_dependent_attributes_",
    "history_",
    "init_context_",
    "initialized_",
    "module_",
    "optimizer_",
    "prefixes_",
    "virtual_params_",
})

_ARRAY_KINDS = "biufU"
_TAGS = ("__tuple__", "__dict__", "__ndarray__", "__class__", "__device__")


class _Unsavable(TypeError):
    pass


# ---------------------------------------------------------------------------
# JSON encoding of parameters
# ---------------------------------------------------------------------------


def _encode(value, where):
    """Encode a parameter value as tagged JSON; TypeError if impossible."""
    if value is None or isinstance(value, (bool, str)):
        return str(value) if isinstance(value, str) else value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, f"{where}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [_encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {"__dict__": [[_encode(k, f"{where} key"), _encode(v, f"{where}[{k!r}]")]
                             for k, v in value.items()]}
    if isinstance(value, np.ndarray):
        array = _plain_array(value)
        if array is not None:
            return {"__ndarray__": array.tolist(), "dtype": array.dtype.str}
    if isinstance(value, torch.device):
        return {"__device__": str(value)}
    if isinstance(value, type) and value in _CLASS_NAMES:
        return {"__class__": _CLASS_NAMES[value]}
    what = (f"the class {value.__module__}.{value.__qualname__}"
            if isinstance(value, type) else f"a {type(value).__name__} object")
    raise _Unsavable(
        f"{where} is {what}, which a sklearn-ser model file cannot hold (it stores "
        "numbers, strings, booleans, None, lists, tuples, dicts and arrays of "
        f"those, and the classes {sorted(PARAMETER_CLASSES)}). Set it to a "
        "supported value (e.g. its default) before saving."
    )


def _plain_array(value):
    """The array as a numeric or unicode array, or None if it holds objects."""
    if value.dtype.kind in _ARRAY_KINDS:
        return value
    if value.dtype.kind == "O" and all(isinstance(v, str) for v in value.flat):
        return value.astype(str)
    return None


def _decode(value, where):
    """Inverse of :func:`_encode`; ValueError on anything unexpected."""
    if value is None or isinstance(value, (bool, str, int, float)):
        return value
    if isinstance(value, list):
        return [_decode(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if not isinstance(value, dict):  # pragma: no cover - json gives no other type
        raise ValueError(f"{where} has an unexpected JSON type {type(value).__name__}.")
    tags = [k for k in value if k in _TAGS]
    if len(tags) != 1 or (set(value) - {tags[0], "dtype"}) or (
        ("dtype" in value) != (tags[0] == "__ndarray__")
    ):
        raise ValueError(f"{where} is a JSON object {sorted(value)} of an unknown kind.")
    tag, content = tags[0], value[tags[0]]
    if tag == "__tuple__":
        _expect(isinstance(content, list), where, "a list")
        return tuple(_decode(v, f"{where}[{i}]") for i, v in enumerate(content))
    if tag == "__dict__":
        _expect(isinstance(content, list) and all(
            isinstance(kv, list) and len(kv) == 2 for kv in content), where,
            "a list of [key, value] pairs")
        out = {}
        for k, v in content:
            key = _decode(k, f"{where} key")
            try:
                hash(key)
            except TypeError:
                raise ValueError(f"{where} is malformed; expected hashable keys, "
                                 f"got {key!r}.") from None
            out[key] = _decode(v, f"{where}[{key!r}]")
        return out
    if tag == "__ndarray__":
        dtype = value["dtype"]
        _expect(isinstance(dtype, str), where, "a dtype string")
        try:
            dtype = np.dtype(dtype)
        except TypeError:
            raise ValueError(f"{where} has an unknown dtype {dtype!r}.") from None
        _expect(dtype.kind in _ARRAY_KINDS and isinstance(content, (list, int, float,
                                                                    str, bool)),
                where, "a numeric or string array")
        try:
            return np.asarray(content, dtype=dtype)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where} is not a valid {dtype} array ({exc}).") from None
    if tag == "__device__":
        _expect(isinstance(content, str), where, "a device name")
        try:
            return torch.device(content)
        except (RuntimeError, TypeError):
            raise ValueError(f"{where} names an unknown device {content!r}.") from None
    # tag == "__class__"
    if not isinstance(content, str) or content not in PARAMETER_CLASSES:
        raise ValueError(
            f"{where} names the class {content!r}, which is not among the classes a "
            f"model file may use: {sorted(PARAMETER_CLASSES)}."
        )
    return PARAMETER_CLASSES[content]


def _expect(ok, where, what):
    if not ok:
        raise ValueError(f"{where} is malformed; expected {what}.")


# ---------------------------------------------------------------------------
# save
# ---------------------------------------------------------------------------


def _split_estimator(estimator):
    """``(kind, [(name, step), ...])`` of a pipeline or a single step.

    For a single estimator, ``name`` is None.
    """
    if isinstance(estimator, Pipeline):
        if type(estimator) is not Pipeline:
            raise TypeError(
                f"Cannot save a {type(estimator).__name__}: only "
                "sklearn.pipeline.Pipeline itself (not a subclass) is supported."
            )
        steps = list(estimator.steps)
        if not steps:
            raise ValueError("Cannot save a Pipeline without steps.")
        return "pipeline", steps
    if type(estimator) in STEP_CLASSES.values():
        return "estimator", [(None, estimator)]
    raise TypeError(
        f"Cannot save a {type(estimator).__name__}: expected a fitted "
        "sklearn.pipeline.Pipeline (e.g. from make_ser_pipeline) or one of "
        f"{sorted(STEP_CLASSES)}."
    )


def _label(name, step):
    cls = type(step).__name__
    return cls if name is None else f"Pipeline step {name!r} ({cls})"


def _check_step(name, step):
    cls = type(step)
    if cls not in STEP_CLASSES.values():
        what = repr(step) if step is None or isinstance(step, str) else (
            f"a {cls.__module__}.{cls.__qualname__}")
        raise TypeError(
            f"Pipeline step {name!r} is {what}; a sklearn-ser model file holds only "
            f"the library's own steps {sorted(STEP_CLASSES)}."
        )
    if cls is SERClassifier:
        fitted = getattr(step, "initialized_", False) and hasattr(step, "n_features_in_")
        if not fitted:
            raise NotFittedError(
                f"{_label(name, step)} is not fitted; fit it before saving."
            )
    elif get_tags(step).requires_fit:
        try:
            check_is_fitted(step)
        except NotFittedError:
            raise NotFittedError(
                f"{_label(name, step)} is not fitted; fit it before saving."
            ) from None


def _step_params(name, step):
    prefix = "" if name is None else f"{name}__"
    dropped = _DROPPED_STEP_PARAMS.get(type(step), ())
    params, not_saved = {}, []
    for key, value in step.get_params(deep=False).items():
        if key.startswith("_"):
            continue  # skorch's private bookkeeping, rebuilt by the constructor
        if key in dropped or any(key.startswith(f"{d}__") for d in dropped):
            if value is not None:
                not_saved.append(f"{prefix}{key}")
            continue
        params[key] = _encode(value, f"{_label(name, step)} parameter {prefix}{key}")
    return params, not_saved


def _fitted_attributes(name, step, index, arrays):
    """JSON-able scalar attributes; arrays are added to ``arrays``."""
    scalars, array_specs = {}, {}
    for attr, value in sorted(vars(step).items()):
        if attr.startswith("_") or not attr.endswith("_"):
            continue
        if isinstance(step, SERClassifier) and attr in _SKORCH_ATTRIBUTES:
            continue
        where = f"fitted attribute {attr} of {_label(name, step)}"
        if isinstance(value, np.ndarray):
            array = _plain_array(value)
            if array is None:
                raise _Unsavable(
                    f"{where} is an array of dtype {value.dtype} holding objects "
                    "other than strings; it cannot be saved without pickle."
                )
            key = f"{index}/{attr}"
            arrays[key] = array
            array_specs[attr] = {"key": key, "object": value.dtype.kind == "O"}
        elif value is None or isinstance(value, (bool, str, np.bool_, numbers.Real)):
            scalars[attr] = _encode(value, where)
        else:
            raise _Unsavable(
                f"{where} is a {type(value).__name__}, which a model file cannot hold."
            )
    return scalars, array_specs


def _history(step):
    """The training history as plain JSON (entries that are not plain dropped)."""

    def plain(value):
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, (np.bool_, numbers.Integral)):
            return value.item() if isinstance(value, np.generic) else int(value)
        if isinstance(value, numbers.Real):
            return float(value)
        if isinstance(value, (list, tuple)):
            items = [plain(v) for v in value]
            return [v for v in items if v is not _SKIP]
        if isinstance(value, dict):
            items = {str(k): plain(v) for k, v in value.items()}
            return {k: v for k, v in items.items() if v is not _SKIP}
        return _SKIP

    history = getattr(step, "history_", None)
    return plain(history.to_list()) if history is not None else []


_SKIP = object()


def _network_weights(name, step, index, weights):
    specs = []
    for key, tensor in step.module_.state_dict().items():
        array = tensor.detach().cpu().numpy()
        if array.dtype.kind != "f":
            raise _Unsavable(
                f"Network weight {key!r} of {_label(name, step)} has dtype {tensor.dtype}; "
                "only floating point weights can be saved."
            )
        weights[f"{index}/{key}"] = array
        specs.append(key)
    return specs


def _npz_bytes(arrays):
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def save(estimator, path):
    """Save a fitted pipeline to a safe model file (no pickle).

    The file is a zip archive holding JSON metadata (format version, library
    version, each step's class, constructor parameters and fitted scalar
    attributes) and numpy ``.npz`` arrays (fitted arrays such as the scaler's
    statistics and the classes, and the network's weights). :func:`load`
    rebuilds the pipeline from it without unpickling anything, on any machine
    with sklearn-ser installed: the training data and the feature cache are
    not needed.

    Parameters
    ----------
    estimator : sklearn.pipeline.Pipeline or estimator
        A fitted pipeline whose steps are the library's own estimators
        (:class:`LLDExtractor`, :class:`PadCrop`,
        :class:`NeutralStandardScaler`, :class:`SERClassifier`), e.g. from
        :func:`make_ser_pipeline`, or one such fitted estimator alone.
    path : str, os.PathLike or binary file object
        Where to write. A path is written atomically (to a temporary file in
        the same folder, then renamed), so an interrupted save never leaves a
        partial model file behind; an existing file is replaced.

    Raises
    ------
    TypeError
        If a step is not one of the library's estimators (the message names
        the step), or a parameter or fitted attribute cannot be stored without
        pickle (e.g. a function passed as ``iterator_train__collate_fn``; the
        message names the parameter).
    sklearn.exceptions.NotFittedError
        If a step that needs fitting is not fitted (the message names it).

    See Also
    --------
    load : Load a model file.
    export_onnx : Export the network to ONNX.

    Notes
    -----
    What is not saved, by design:

    - the feature cache (``memory`` of the pipeline and of
      :class:`LLDExtractor`): it names a folder of the training machine; the
      loaded pipeline has ``memory=None``;
    - the ``callbacks`` of :class:`SERClassifier` (and ``callbacks__*``
      parameters): they only act during training; the loaded classifier has
      the default callbacks;
    - the optimizer's state: :meth:`SERClassifier.partial_fit` after loading
      starts a fresh optimizer from the saved weights;
    - entries of ``history_`` that are not numbers, strings or booleans.

    Parameter values must be numbers, strings, booleans, None, lists, tuples,
    dicts or numeric/string arrays of those, or one of the classes of
    ``sklearn_ser._persistence.PARAMETER_CLASSES`` (the network, loss,
    optimizer and data loader classes); anything else is refused.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_ser import (LLDExtractor, NeutralStandardScaler, PadCrop,
    ...                          SERClassifier, load, save)
    >>> from sklearn_ser.datasets import make_emotional_speech
    >>> data = make_emotional_speech(n_samples=12, random_state=0)
    >>> clf = SERClassifier(attention="mean", hidden_units=8, lstm_units=4,
    ...                     max_epochs=1, random_state=0, device="cpu")
    >>> pipe = make_pipeline(LLDExtractor(), PadCrop(n_frames=50),
    ...                      NeutralStandardScaler(), clf)
    >>> pipe = pipe.fit(data.data, data.target)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.skser")
    >>> save(pipe, path)
    >>> loaded = load(path)
    >>> bool(np.array_equal(loaded.predict_proba(data.data[:3]),
    ...                     pipe.predict_proba(data.data[:3])))
    True
    """
    kind, steps = _split_estimator(estimator)
    for name, step in steps:
        _check_step(name, step)
    arrays, weights = {}, {}
    not_saved = []
    metadata = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "library_version": __version__,
        "written_with": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scikit-learn": sklearn.__version__,
            "torch": torch.__version__,
        },
        "kind": kind,
    }
    if kind == "pipeline":
        params = {}
        for key, value in estimator.get_params(deep=False).items():
            if key == "steps":
                continue
            if key in _DROPPED_PIPELINE_PARAMS:
                if value is not None:
                    not_saved.append(key)
                continue
            params[key] = _encode(value, f"Pipeline parameter {key}")
        metadata["pipeline_params"] = params
    entries = []
    for index, (name, step) in enumerate(steps):
        params, dropped = _step_params(name, step)
        not_saved += dropped
        scalars, array_specs = _fitted_attributes(name, step, index, arrays)
        entry = {
            "name": type(step).__name__ if name is None else name,
            "class": type(step).__name__,
            "params": params,
            "attributes": scalars,
            "arrays": array_specs,
        }
        if isinstance(step, SERClassifier):
            entry["weights"] = _network_weights(name, step, index, weights)
            entry["history"] = _history(step)
        entries.append(entry)
    metadata["steps"] = entries
    metadata["not_saved"] = not_saved
    members = {
        _METADATA: json.dumps(metadata, indent=1).encode("utf-8"),
        _ARRAYS: _npz_bytes(arrays),
        _WEIGHTS: _npz_bytes(weights),
    }
    _write_zip(members, path)


def _write_zip(members, path):
    if hasattr(path, "write"):
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, data in members.items():
                zf.writestr(name, data)
        return
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(
            f"Cannot save the model to {path!r}: the folder {folder!r} does not exist."
        )
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".sklearn_ser_", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                for name, data in members.items():
                    zf.writestr(name, data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# ---------------------------------------------------------------------------
# load
# ---------------------------------------------------------------------------


class _Reader:
    """Reads and checks the members of a model file."""

    def __init__(self, path):
        self.label = (repr(os.fspath(path)) if isinstance(path, (str, os.PathLike))
                      else "the model file")
        try:
            self.zf = zipfile.ZipFile(path if hasattr(path, "read") else os.fspath(path))
        except FileNotFoundError:
            raise FileNotFoundError(f"Model file {self.label} does not exist.") from None
        except IsADirectoryError:
            raise IsADirectoryError(
                f"Model file {self.label} is a directory, not a file.") from None
        except (zipfile.BadZipFile, EOFError, ValueError):
            raise self.error(
                "is not a sklearn-ser model file, or it is damaged (truncated?): "
                "it is not a readable zip archive. Model files are written by "
                "sklearn_ser.save; pickle or joblib files are refused, since "
                "loading them could run arbitrary code."
            ) from None

    def error(self, message):
        return ValueError(f"Model file {self.label} {message}")

    def close(self):
        self.zf.close()

    def check_members(self):
        names = self.zf.namelist()
        unexpected = sorted(set(names) - set(_MEMBERS))
        if unexpected:
            raise self.error(
                f"contains unexpected member(s) {unexpected}; a sklearn-ser model "
                f"file holds only {list(_MEMBERS)}. It was not written by "
                "sklearn_ser.save or it was altered, and it is refused."
            )
        missing = [m for m in _MEMBERS if m not in names]
        if missing:
            raise self.error(f"lacks the member(s) {missing}; it is damaged.")
        if len(names) != len(set(names)):
            raise self.error("holds duplicate members; it was altered and is refused.")
        try:
            bad = self.zf.testzip()
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, zlib.error) as exc:
            raise self.error(f"is damaged (truncated?): {exc}.") from None
        if bad is not None:
            raise self.error(f"is damaged: member {bad!r} fails its CRC check.")

    def read(self, name):
        try:
            return self.zf.read(name)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, zlib.error) as exc:
            raise self.error(f"is damaged (truncated?): {exc}.") from None

    def metadata(self):
        try:
            meta = json.loads(self.read(_METADATA).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise self.error(f"has an unreadable {_METADATA} ({exc}).") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
            raise self.error(
                f"is not a sklearn-ser model file ({_METADATA} does not name the "
                f"format {FORMAT_NAME!r})."
            )
        version = meta.get("format_version")
        written_by = meta.get("library_version", "an unknown version")
        if version != FORMAT_VERSION:
            hint = ("upgrade sklearn-ser to read it"
                    if isinstance(version, int) and version > FORMAT_VERSION
                    else "save the model again with a matching sklearn-ser")
            raise self.error(
                f"has format version {version!r} (written by sklearn-ser "
                f"{written_by}), but this sklearn-ser {__version__} reads format "
                f"version {FORMAT_VERSION} only; {hint}."
            )
        return meta

    def arrays(self, name):
        try:
            npz = np.load(io.BytesIO(self.read(name)), allow_pickle=False)
        except ValueError as exc:
            raise self.error(
                f"has a {name} member that is not a plain numpy archive ({exc}); "
                "it is refused."
            ) from None
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise self.error(f"has a damaged {name} member ({exc}).") from None
        if not isinstance(npz, np.lib.npyio.NpzFile):
            raise self.error(f"has a {name} member that is not a numpy .npz archive.")
        out = {}
        with npz:
            for key in npz.files:
                try:
                    out[key] = npz[key]
                except ValueError as exc:
                    raise self.error(
                        f"has an array {key!r} in {name} that cannot be read without "
                        f"pickle ({exc}); it is refused."
                    ) from None
                except (zipfile.BadZipFile, OSError, EOFError) as exc:
                    raise self.error(f"has a damaged array {key!r} ({exc}).") from None
                if out[key].dtype.kind not in _ARRAY_KINDS:
                    raise self.error(
                        f"has an array {key!r} of dtype {out[key].dtype}; refused.")
        return out


def _field(mapping, key, types, where):
    if not isinstance(mapping, dict) or key not in mapping:
        raise ValueError(f"{where} lacks the field {key!r}.")
    value = mapping[key]
    if not isinstance(value, types):
        raise ValueError(f"{where}: field {key!r} has an unexpected type "
                         f"{type(value).__name__}.")
    return value


_METADATA_KEYS = {"format", "format_version", "library_version", "written_with",
                  "kind", "pipeline_params", "steps", "not_saved"}
_STEP_KEYS = {"name", "class", "params", "attributes", "arrays", "weights", "history"}


def _check_keys(mapping, allowed, where):
    unknown = sorted(set(mapping) - allowed)
    if unknown:
        raise ValueError(f"{where} has unknown field(s) {unknown}; refused.")


def _build_step(entry, index, arrays, weights, device):
    where = f"step {index}"
    name = _field(entry, "name", str, where)
    where = f"step {index} ({name!r})"
    _check_keys(entry, _STEP_KEYS, where)
    cls_name = _field(entry, "class", str, where)
    cls = STEP_CLASSES.get(cls_name)
    if cls is None:
        raise ValueError(
            f"{where} has the class {cls_name!r}, which is not one of the library's "
            f"steps {sorted(STEP_CLASSES)}; refused."
        )
    raw = _field(entry, "params", dict, where)
    params = {key: _decode(value, f"parameter {name}__{key}") for key, value in raw.items()}
    if cls is SERClassifier and device is not None:
        params["device"] = device
    try:
        step = cls(**params)
    except TypeError as exc:
        raise ValueError(f"{where}: invalid parameters for {cls_name} ({exc}).") from None
    try:
        # SERClassifier validates its parameters in _check_params, the
        # scikit-learn estimators in _validate_params.
        getattr(step, "_check_params", step._validate_params)()
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: invalid parameters for {cls_name} ({exc}).") from None

    for attr, value in _field(entry, "attributes", dict, where).items():
        _check_attr_name(attr, where)
        setattr(step, attr, _decode(value, f"{where} attribute {attr}"))
    for attr, spec in _field(entry, "arrays", dict, where).items():
        _check_attr_name(attr, where)
        key = _field(spec, "key", str, f"{where} array {attr}")
        if key not in arrays or not key.startswith(f"{index}/"):
            raise ValueError(f"{where}: array {key!r} is missing from {_ARRAYS}.")
        value = arrays.pop(key)
        if _field(spec, "object", bool, f"{where} array {attr}"):
            value = value.astype(object)
        setattr(step, attr, value)
    _check_fitted_state(step, where)
    if cls is SERClassifier:
        _restore_network(step, entry, index, weights, where)
    elif "weights" in entry or "history" in entry:
        raise ValueError(f"{where}: a {cls_name} has no network weights.")
    return name, step


def _check_attr_name(attr, where):
    if not (isinstance(attr, str) and attr.isidentifier() and attr.endswith("_")
            and not attr.startswith("_")) or attr in _SKORCH_ATTRIBUTES:
        raise ValueError(f"{where}: {attr!r} is not a fitted attribute name; refused.")


def _check_fitted_state(step, where):
    """Consistency of the restored attributes (types and shapes)."""
    def need(ok, what):
        if not ok:
            raise ValueError(f"{where}: {what}; the file is damaged or was altered.")

    def count(attr):
        value = getattr(step, attr, None)
        need(isinstance(value, int) and not isinstance(value, bool) and value >= 1,
             f"{attr} must be a positive int, got {value!r}")
        return value

    if isinstance(step, (PadCrop, SpeakerStandardScaler)):
        count("n_features_in_")
    elif isinstance(step, Functionals):
        count("n_features_in_")
        n = count("n_functionals_")
        try:
            expected = len(step._labels())
        except (TypeError, ValueError) as exc:
            need(False, f"its parameters are invalid ({exc})")
        need(n == expected, f"n_functionals_ is {n} but the parameters give {expected}")
    elif isinstance(step, NeutralStandardScaler):
        d = count("n_features_in_")
        for attr in ("mean_", "var_") + (("scale_",) if step.with_std else ()):
            value = getattr(step, attr, None)
            need(isinstance(value, np.ndarray) and value.dtype.kind == "f"
                 and value.shape == (d,) and np.isfinite(value).all(),
                 f"{attr} must be a finite float array of shape ({d},)")
        if step.with_std:
            need(bool((step.scale_ > 0).all()), "scale_ must be positive")
    elif isinstance(step, SERClassifier):
        count("n_features_in_")
        classes = getattr(step, "classes_inferred_", None)
        need(isinstance(classes, np.ndarray) and classes.ndim == 1
             and classes.size >= 2 and np.unique(classes).size == classes.size,
             "classes_inferred_ must be a 1-D array of at least 2 distinct labels")
        weight = getattr(step, "class_weight_", None)
        need(weight is None or (isinstance(weight, np.ndarray)
                                and weight.shape == classes.shape),
             "class_weight_ must be None or one weight per class")


def _restore_network(step, entry, index, weights, where):
    keys = _field(entry, "weights", list, where)
    state = {}
    for key in keys:
        full = f"{index}/{key}" if isinstance(key, str) else None
        if full not in weights:
            raise ValueError(f"{where}: weight {key!r} is missing from {_WEIGHTS}.")
        array = weights.pop(full)
        if array.dtype.kind != "f":
            raise ValueError(f"{where}: weight {key!r} has dtype {array.dtype}; "
                             "expected floats.")
        state[key] = torch.from_numpy(np.array(array))
    device = step.device
    if str(device).startswith("cuda") and not torch.cuda.is_available():
        warnings.warn(
            f"The model was saved with device={step.get_params()['device']!r}, but "
            "CUDA is not available here; it is loaded on the CPU.",
            UserWarning, stacklevel=4,
        )
        step.set_params(device="cpu")
    try:
        with torch.random.fork_rng(devices=[]):
            step.initialize()  # random weights, replaced right below
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{where}: the network cannot be built from the saved parameters ({exc})."
        ) from None
    try:
        step.module_.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise ValueError(
            f"{where}: the saved weights do not fit the network its parameters "
            f"describe ({exc})."
        ) from None
    history = entry.get("history", [])
    if not isinstance(history, list) or not all(isinstance(h, dict) for h in history):
        raise ValueError(f"{where}: history must be a list of per-epoch records.")
    step.history_ = History(history)


def load(path, *, device=None):
    """Load a model file written by :func:`save`.

    Nothing in the file is unpickled or executed: the metadata is JSON, the
    arrays and weights are read with ``numpy.load(..., allow_pickle=False)``,
    and only the library's own step classes (and a fixed list of torch
    classes as parameter values) can be named. A file holding anything else
    -- an unknown class, an extra member, an object array, a pickle -- is
    refused.

    Parameters
    ----------
    path : str, os.PathLike or binary file object
        The model file.
    device : str or None, default=None
        Device of the network (``"cpu"``, ``"cuda"``, ``"auto"``). None keeps
        the saved ``device`` parameter, except that a model saved for CUDA is
        loaded on the CPU (with a warning) when CUDA is not available.

    Returns
    -------
    estimator : sklearn.pipeline.Pipeline or estimator
        The fitted pipeline (or estimator) that was saved, ready to predict.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not a sklearn-ser model file, is damaged or truncated,
        holds anything outside the format, or has a format version this
        version of the library does not read (the message names both
        versions).

    See Also
    --------
    save : Write a model file.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn_ser import load
    >>> path = os.path.join(tempfile.mkdtemp(), "model.skser")
    >>> with open(path, "wb") as f:  # not a model file
    ...     _ = f.write(b"not a zip archive")
    >>> load(path)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: Model file '...model.skser' is not a sklearn-ser model file, or it is damaged (truncated?)...
    """
    if device is not None and not isinstance(device, (str, torch.device)):
        raise TypeError(f"device must be None, a str or a torch.device, got {device!r}.")
    reader = _Reader(path)
    try:
        reader.check_members()
        meta = reader.metadata()
        arrays = reader.arrays(_ARRAYS)
        weights = reader.arrays(_WEIGHTS)
    finally:
        reader.close()
    try:
        _check_keys(meta, _METADATA_KEYS, "metadata")
        kind = _field(meta, "kind", str, "metadata")
        entries = _field(meta, "steps", list, "metadata")
        if kind not in ("pipeline", "estimator") or not entries or (
            kind == "estimator" and len(entries) != 1
        ):
            raise ValueError("metadata: unexpected kind or number of steps.")
        steps = [_build_step(entry, i, arrays, weights, device)
                 for i, entry in enumerate(entries)]
        leftover = sorted(arrays) + sorted(weights)
        if leftover:
            raise ValueError(f"arrays {leftover[:5]} belong to no step; refused.")
        if kind == "estimator":
            return steps[0][1]
        raw = _field(meta, "pipeline_params", dict, "metadata")
        params = {k: _decode(v, f"Pipeline parameter {k}") for k, v in raw.items()}
        if "steps" in params or "memory" in params:
            raise ValueError("metadata: Pipeline parameters must not set steps or "
                             "memory.")
        try:
            return Pipeline(steps, **params)
        except TypeError as exc:
            raise ValueError(f"invalid Pipeline parameters ({exc}).") from None
    except ValueError as exc:
        if str(exc).startswith("Model file "):
            raise
        raise reader.error(f"is invalid: {exc}") from None
