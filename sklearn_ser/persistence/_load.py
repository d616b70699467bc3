"""Loading a model file: nothing is unpickled and no class is looked up by name.

The step classes and the classes that may appear as parameters (the
network, loss, optimizer, data loaders) come from the persistence registry
(:mod:`._registry`); every restored parameter and fitted attribute is
checked before a step is built (a model file is untrusted input), and
steps that are scikit-learn's estimators are read through :mod:`skops.io`
with an explicit list of trusted types (:mod:`._skops`).
"""


import warnings

import torch
from sklearn.pipeline import Pipeline

from .._compat import validate_params
from .._device import device_type
from .._validation import FEATURE_RATES, check_sampling_rate

# The estimator modules register their classes when they are imported.
from ..features import _encoder, _functionals, _lld  # noqa: F401
from ..network import _classifier, _regressor  # noqa: F401
from ..preprocessing import _padcrop, _scaler, _speaker  # noqa: F401
from . import _skops  # noqa: F401
from ._modelfile import (
    ARRAYS,
    METADATA_KEYS,
    SKOPS_STEP_KEYS,
    STEP_KEYS,
    WEIGHTS,
    check_keys,
    field,
)
from ._netstate import restore_network
from ._reader import Reader, check_npy, skops_member_name
from ._registry import (
    StateCheck,
    add_check,
    check_no_bool_numbers,
    entry_of_class,
    is_machine_param,
    machine_param_set,
    rebuilt_attributes,
    step_classes,
)
from ._values import decode

__all__ = ["load"]


def _check_extractor_rate(step):
    """The rate of a loaded LLDExtractor reaches openSMILE: bounded."""
    check_sampling_rate(step.sampling_rate, "sampling_rate", FEATURE_RATES)


add_check(_lld.LLDExtractor, _check_extractor_rate)


# ---------------------------------------------------------------------------
# load
# ---------------------------------------------------------------------------


def _build_sklearn_step(entry, index, where, reader, sklearn_steps):
    """A scikit-learn step, from its skops member (format 2)."""
    check_keys(entry, SKOPS_STEP_KEYS, where)
    cls_name = field(entry, "class", str, where)
    member = field(entry, "skops", str, where)
    if member != skops_member_name(index) or member not in sklearn_steps:
        raise ValueError(f"{where}: the member {member!r} is missing or belongs "
                         "to another step.")
    data = sklearn_steps.pop(member)

    def error(message):
        return reader.error(f"has a scikit-learn {where} (member "
                            f"{member!r}) that {message}.")

    step, ignored = _skops.load_step(
        data, cls_name, error,
        lambda raw, what: check_npy(raw, f"{what} in {member}", reader.error))
    return step, ignored


def _build_step(entry, index, arrays, weights, device, reader=None,
                sklearn_steps=None, ignored=None):
    """``(name, step)`` of one step of the metadata.

    The parameters that a model file may not choose (:data:`MACHINE_PARAMS
    <._registry.MACHINE_PARAMS>`) are left at their defaults; their names
    are added to ``ignored``.
    """
    ignored = [] if ignored is None else ignored
    where = f"step {index}"
    name = field(entry, "name", str, where)
    where = f"step {index} ({name!r})"
    if "skops" in entry:
        step, skipped = _build_sklearn_step(entry, index, where, reader,
                                            sklearn_steps if sklearn_steps is not None
                                            else {})
        ignored += [f"{name}__{key}" for key in skipped]
        return name, step
    check_keys(entry, STEP_KEYS, where)
    cls_name = field(entry, "class", str, where)
    classes = step_classes()
    cls = classes.get(cls_name)
    if cls is None:
        raise ValueError(
            f"{where} has the class {cls_name!r}, which is not one of the library's "
            f"steps {sorted(classes)}; refused."
        )
    registry_entry = entry_of_class(cls)
    raw = field(entry, "params", dict, where)
    for key in raw:
        if any(key == d or key.startswith(f"{d}__")
               for d in registry_entry.dropped_params):
            raise ValueError(
                f"{where} sets the parameter {key!r}, which sklearn_ser.save never "
                "stores (it names a place of the machine that trained the model); "
                "the file was altered and is refused."
            )
    params = {key: decode(value, f"parameter {name}__{key}") for key, value in raw.items()
              if not is_machine_param(key)}
    ignored += [f"{name}__{key}" for key in raw if is_machine_param(key)
                and machine_param_set(decode(raw[key], f"parameter {name}__{key}"))]
    if registry_entry.network and device is not None:
        params["device"] = device
    elif registry_entry.network:
        params["device"] = _usable_device(params.get("device", "cpu"))
    try:
        step = cls(**params)
    except TypeError as exc:
        raise ValueError(f"{where}: invalid parameters for {cls_name} ({exc}).") from None
    try:
        registry_entry.validate_params(step)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: invalid parameters for {cls_name} ({exc}).") from None

    for attr, value in field(entry, "attributes", dict, where).items():
        _check_attr_name(attr, where)
        setattr(step, attr, decode(value, f"{where} attribute {attr}"))
    for attr, spec in field(entry, "arrays", dict, where).items():
        _check_attr_name(attr, where)
        key = field(spec, "key", str, f"{where} array {attr}")
        if key not in arrays or not key.startswith(f"{index}/"):
            raise ValueError(f"{where}: array {key!r} is missing from {ARRAYS}.")
        value = arrays.pop(key)
        if field(spec, "object", bool, f"{where} array {attr}"):
            value = value.astype(object)
        setattr(step, attr, value)
    registry_entry.check_state(step, StateCheck(step, where))
    if registry_entry.network:
        restore_network(step, entry, index, weights, where)
    elif "weights" in entry or "history" in entry:
        raise ValueError(f"{where}: a {cls_name} has no network weights.")
    return name, step


def _usable_device(saved):
    """The saved device, or ``"cpu"`` (with a warning) for CUDA where none is."""
    if device_type(saved) == "cuda" and not torch.cuda.is_available():
        warnings.warn(
            f"The model was saved with device={saved!r}, but CUDA is not available "
            "here; it is loaded on the CPU.",
            UserWarning, stacklevel=5,
        )
        return "cpu"
    return saved


def _check_attr_name(attr, where):
    if not (isinstance(attr, str) and attr.isidentifier() and attr.endswith("_")
            and not attr.startswith("_")) or attr in rebuilt_attributes():
        raise ValueError(f"{where}: {attr!r} is not a fitted attribute name; refused.")


def load(path, *, device=None):
    """Load a model file written by :func:`save`.

    Nothing in the file is unpickled or executed: the metadata is JSON, the
    arrays and weights are read with ``numpy.load(..., allow_pickle=False)``,
    and only the library's own step classes (and a fixed list of torch
    classes as parameter values) can be named. A scikit-learn step is read
    by :func:`skops.io.loads` with an explicit list of trusted types, after
    its archive and every type it names have been checked against that
    list. A file holding anything else -- an unknown class, an extra member,
    an object array, a pickle, a scikit-learn step naming another type --
    is refused.

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
    IsADirectoryError
        If ``path`` is a directory.
    ValueError
        If ``path`` is not a regular file (a FIFO, a device such as a link
        to ``/dev/zero``, a socket: refused before anything is read), or
        the file is not a sklearn-ser model file, is damaged or truncated,
        holds anything outside the format, has a format version this
        version of the library does not read (formats 1 and 2; for a newer
        file the message names the library version it needs), or would
        cost more than a bounded amount of memory: a member that declares
        or inflates to more than its limit (8 MiB of metadata, 64 MiB of
        arrays, 256 MiB of weights, 64 MiB for the scikit-learn steps
        together), an architecture
        that does not match the stored weights (checked before any network
        is built), non-finite weights; or if a parameter is not one the
        step's class allows (each restored parameter is validated as
        ``fit`` validates it, also skorch's own: ``classes`` must be the
        classes the network was trained on, ``predict_nonlinearity``
        ``"auto"``, ...), a parameter that reaches native code is outside
        what it supports (the extractor's ``sampling_rate``: 8000 to 768000
        Hz), or reading runs out of memory. Every message names the file.

    Warns
    -----
    UserWarning
        If the file sets parameters that choose how many processes run
        (``n_jobs``, data loader workers) or whether the network is
        compiled: they are ignored, and the loaded model has their
        defaults (see :func:`save`).

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
    reader = Reader(path)
    ignored = []
    try:
        estimator = _load(reader, device, ignored)
    except ValueError as exc:
        if str(exc).startswith("Model file "):
            raise
        raise reader.error(f"is invalid: {exc}") from None
    except MemoryError:
        raise reader.error("is refused: reading it ran out of memory.") from None
    except (TypeError, AttributeError, KeyError, IndexError, OverflowError,
            RuntimeError) as exc:  # RecursionError is a RuntimeError
        raise reader.error(
            f"is invalid: {type(exc).__name__} while rebuilding the model ({exc})."
        ) from None
    finally:
        reader.close()
    if ignored:
        warnings.warn(
            f"Model file {reader.label} sets {ignored}, which say how many "
            "processes this machine runs (or whether it compiles the network); a "
            "model file does not choose them, they keep their defaults. Set "
            "them with set_params after loading.", UserWarning, stacklevel=2)
    return estimator


def _load(reader, device, ignored):
    """The estimator of an open model file (errors are named by :func:`load`).

    The names of the parameters left at their defaults because a model file
    may not choose them are added to ``ignored``.
    """
    reader.check_members()
    meta = reader.metadata()
    arrays = reader.arrays(ARRAYS)
    weights = reader.arrays(WEIGHTS)
    check_keys(meta, METADATA_KEYS, "metadata")
    sklearn_steps = reader.skops_steps()
    if sklearn_steps and meta["format_version"] < 2:
        raise ValueError(f"members {sorted(sklearn_steps)[:3]} have no place in a "
                         "file of format version 1; refused.")
    kind = field(meta, "kind", str, "metadata")
    entries = field(meta, "steps", list, "metadata")
    if kind not in ("pipeline", "estimator") or not entries or (
        kind == "estimator" and (len(entries) != 1 or sklearn_steps)
    ):
        raise ValueError("metadata: unexpected kind or number of steps.")
    steps = [_build_step(entry, i, arrays, weights, device, reader, sklearn_steps,
                         ignored)
             for i, entry in enumerate(entries)]
    leftover = sorted(arrays) + sorted(weights) + sorted(sklearn_steps)
    if leftover:
        raise ValueError(f"arrays {leftover[:5]} belong to no step; refused.")
    if kind == "estimator":
        return steps[0][1]
    raw = field(meta, "pipeline_params", dict, "metadata")
    params = {k: decode(v, f"Pipeline parameter {k}") for k, v in raw.items()}
    if "steps" in params or "memory" in params:
        raise ValueError("metadata: Pipeline parameters must not set steps or "
                         "memory.")
    try:
        pipeline = Pipeline(steps, **params)
        validate_params(pipeline)
        check_no_bool_numbers(pipeline)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"invalid Pipeline parameters ({exc}).") from None
    return pipeline
