"""Safe model files: save and load fitted pipelines without pickle.

The container (a zip archive of JSON metadata and numpy arrays) is
described in :mod:`._modelfile`. Nothing is unpickled on load and no class
is looked up by name: the step classes and the classes that may appear as
parameters (the network, loss, optimizer, data loaders) come from the
persistence registry (:mod:`._registry`), where each estimator's module
registers its own class. Steps that are scikit-learn's own estimators
(an SVC, a StandardScaler, ...) are stored through :mod:`skops.io` with an
explicit list of trusted types (:mod:`._skops`).
"""

import json
import numbers
import platform
import warnings

import numpy as np
import sklearn
import torch
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline

from .._compat import validate_params
from .._validation import FEATURE_RATES, check_sampling_rate
from .._version import __version__

# The estimator modules register their classes when they are imported.
from ..features import _encoder, _functionals, _lld  # noqa: F401
from ..network import _classifier, _regressor  # noqa: F401
from ..network._training import device_type
from ..preprocessing import _padcrop, _scaler, _speaker  # noqa: F401
from . import _skops  # noqa: F401
from ._modelfile import (
    ARRAYS,
    FIRST_READ_BY,
    FORMAT_NAME,
    METADATA,
    METADATA_KEYS,
    SKOPS_STEP_KEYS,
    STEP_KEYS,
    WEIGHTS,
    Reader,
    Unsavable,
    check_keys,
    check_npy,
    decode,
    encode,
    field,
    npz_bytes,
    plain_array,
    skops_member_name,
    write_zip,
)
from ._netstate import history_json, network_weights, restore_network
from ._registry import (
    StateCheck,
    add_check,
    check_no_bool_numbers,
    entry_of,
    entry_of_class,
    fitted_by_tags,
    is_machine_param,
    machine_param_set,
    rebuilt_attributes,
    step_classes,
)

__all__ = ["load", "save"]

# Pipeline parameters that are not saved (the loaded pipeline has their default).
_DROPPED_PIPELINE_PARAMS = ("memory",)


def _check_extractor_rate(step):
    """The rate of a loaded LLDExtractor reaches openSMILE: bounded."""
    check_sampling_rate(step.sampling_rate, "sampling_rate", FEATURE_RATES)


add_check(_lld.LLDExtractor, _check_extractor_rate)


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
    if entry_of(estimator) is not None:
        return "estimator", [(None, estimator)]
    raise TypeError(
        f"Cannot save a {type(estimator).__name__}: expected a fitted "
        "sklearn.pipeline.Pipeline (e.g. from make_ser_pipeline or "
        "make_baseline_pipeline) or one of the library's estimators "
        f"{sorted(step_classes())}; a scikit-learn estimator is saved as a step "
        "of a pipeline."
    )


def _label(name, step):
    cls = type(step).__name__
    return cls if name is None else f"Pipeline step {name!r} ({cls})"


#: The registry entry of a scikit-learn step (stored through skops).
SKLEARN_STEP = "sklearn"


def _check_step(name, step):
    """The registry entry of a step to save (or :data:`SKLEARN_STEP`).

    TypeError for a step a model file cannot hold, NotFittedError for one
    that is not fitted.
    """
    entry = entry_of(step)
    if entry is None and name is not None and _skops.public_name(step) is not None:
        if not fitted_by_tags(step):
            raise NotFittedError(f"{_label(name, step)} is not fitted; fit it "
                                 "before saving.")
        return SKLEARN_STEP
    if entry is None:
        cls = type(step)
        what = repr(step) if step is None or isinstance(step, str) else (
            f"a {cls.__module__}.{cls.__qualname__}")
        raise TypeError(
            f"Pipeline step {name!r} is {what}; a sklearn-ser model file holds only "
            f"the library's own steps {sorted(step_classes())} and the "
            f"scikit-learn estimators {sorted(_skops.STEP_CLASSES)}."
        )
    if not entry.is_fitted(step):
        raise NotFittedError(f"{_label(name, step)} is not fitted; fit it before saving.")
    return entry


def _step_params(name, step, entry):
    prefix = "" if name is None else f"{name}__"
    dropped = entry.dropped_params
    params, not_saved = {}, []
    for key, value in step.get_params(deep=False).items():
        if key.startswith("_"):
            continue  # skorch's private bookkeeping, rebuilt by the constructor
        if key in dropped or any(key.startswith(f"{d}__") for d in dropped):
            if value is not None:
                not_saved.append(f"{prefix}{key}")
            continue
        if is_machine_param(key):
            if machine_param_set(value):
                not_saved.append(f"{prefix}{key}")
            continue
        params[key] = encode(value, f"{_label(name, step)} parameter {prefix}{key}")
    return params, not_saved


def _fitted_attributes(name, step, entry, index, arrays):
    """JSON-able scalar attributes; arrays are added to ``arrays``."""
    scalars, array_specs = {}, {}
    for attr, value in sorted(vars(step).items()):
        if attr.startswith("_") or not attr.endswith("_"):
            continue
        if attr in entry.rebuilt_attributes:
            continue
        where = f"fitted attribute {attr} of {_label(name, step)}"
        if isinstance(value, np.ndarray):
            array = plain_array(value)
            if array is None:
                raise Unsavable(
                    f"{where} is an array of dtype {value.dtype} holding objects "
                    "other than strings; it cannot be saved without pickle."
                )
            key = f"{index}/{attr}"
            arrays[key] = array
            array_specs[attr] = {"key": key, "object": value.dtype.kind == "O"}
        elif value is None or isinstance(value, (bool, str, np.bool_, numbers.Real)):
            scalars[attr] = encode(value, where)
        else:
            raise Unsavable(
                f"{where} is a {type(value).__name__}, which a model file cannot hold."
            )
    return scalars, array_specs


def _distribution_versions(*names):
    """``{name: version}`` of installed distributions (read, not imported)."""
    from importlib import metadata

    found = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def save(estimator, path):
    """Save a fitted pipeline to a safe model file (no pickle).

    The file is a zip archive holding JSON metadata (format version, library
    version, the versions of Python, numpy, scikit-learn, torch, skorch,
    openSMILE and SciPy that wrote it, each step's class, constructor
    parameters and fitted scalar attributes) and numpy ``.npz`` arrays
    (fitted arrays such as the scaler's statistics and the classes, and the
    network's weights); a step that is
    a scikit-learn estimator is stored as a :mod:`skops.io` archive (JSON and
    numpy arrays too). :func:`load` rebuilds the pipeline from it without
    unpickling anything, on any machine with sklearn-ser installed: the
    training data and the feature cache are not needed.

    Parameters
    ----------
    estimator : sklearn.pipeline.Pipeline or estimator
        A fitted pipeline, e.g. from :func:`make_ser_pipeline` or
        :func:`make_baseline_pipeline`, whose steps are the library's own
        estimators (:class:`LLDExtractor`, :class:`PadCrop`,
        :class:`NeutralStandardScaler`, :class:`SpeakerStandardScaler`,
        :class:`Functionals`, :class:`SERClassifier`,
        :class:`SERRegressor`) or scikit-learn's ``SVC``, ``LinearSVC``,
        ``CalibratedClassifierCV`` (sigmoid method),
        ``LogisticRegression``, ``Ridge``, ``RidgeCV``,
        ``RidgeClassifier``, ``DummyClassifier``, ``DummyRegressor``,
        ``StandardScaler``, ``MinMaxScaler``, ``VarianceThreshold`` and a
        ``Pipeline`` of those; or one of the library's fitted estimators
        alone.
    path : str, os.PathLike or binary file object
        Where to write. A path is written atomically (to a temporary file in
        the same folder, then renamed), so an interrupted save never leaves a
        partial model file behind; an existing file is replaced.

    Raises
    ------
    TypeError
        If a step is not one of the estimators above (the message names the
        step), or a parameter or fitted attribute cannot be stored without
        pickle (e.g. a function passed as ``iterator_train__collate_fn``, or
        a random state inside a scikit-learn step; the message names it).
    ValueError
        If the parameters of a network step no longer describe its fitted
        network (e.g. ``hidden_units`` changed with ``set_params`` after
        ``fit``): such a file could not be loaded.
    sklearn.exceptions.NotFittedError
        If a step that needs fitting is not fitted (the message names it).

    See Also
    --------
    load : Load a model file.
    export_onnx : Export the network to ONNX.

    Notes
    -----
    What is not saved, by design:

    - the feature cache (``memory`` of the pipeline, of
      :class:`LLDExtractor` and of a nested scikit-learn ``Pipeline``): it
      names a folder of the training machine; the loaded pipeline has
      ``memory=None``;
    - the ``callbacks`` of :class:`SERClassifier` and :class:`SERRegressor`
      (and ``callbacks__*`` parameters): they only act during training; the
      loaded network has the default callbacks;
    - how many processes the machine runs, and whether it compiles the
      network: ``n_jobs`` (of :class:`LLDExtractor` and of scikit-learn
      steps), the worker parameters of the data loaders
      (``iterator_valid__num_workers``, ``__multiprocessing_context``,
      ``__persistent_workers``, ``__prefetch_factor``) and skorch's
      ``compile``: the loaded model has their defaults (one process, no
      compiler), whatever the file says;
    - the optimizer's state: :meth:`SERClassifier.partial_fit` after loading
      starts a fresh optimizer from the saved weights;
    - entries of ``history_`` that are not numbers, strings or booleans.

    Parameter values must be numbers, strings, booleans, None, lists, tuples,
    dicts or numeric/string arrays of those, or one of the classes a model
    file knows: the library's network and data loaders, the losses
    ``torch.nn.CrossEntropyLoss`` and ``NLLLoss``, the optimizers
    ``torch.optim.Adam``, ``AdamW``, ``SGD`` and ``RMSprop``,
    ``torch.utils.data.DataLoader`` and ``skorch.dataset.Dataset``;
    anything else is refused (the message lists the classes).

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
    registered = [_check_step(name, step) for name, step in steps]
    arrays, weights, sklearn_steps = {}, {}, {}
    not_saved = []
    # The oldest format that holds the model, so that older versions of the
    # library read what they can: 2 only for scikit-learn steps.
    version = 2 if SKLEARN_STEP in registered else 1
    metadata = {
        "format": FORMAT_NAME,
        "format_version": version,
        "library_version": __version__,
        "written_with": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scikit-learn": sklearn.__version__,
            "torch": torch.__version__,
            **_distribution_versions("skorch", "opensmile", "scipy"),
        },
        "kind": kind,
    }
    if version >= 2:
        metadata["written_with"]["skops"] = _skops.skops_version()
        metadata["needs_library_version"] = FIRST_READ_BY[version]
    if kind == "pipeline":
        params = {}
        for key, value in estimator.get_params(deep=False).items():
            if key == "steps":
                continue
            if key in _DROPPED_PIPELINE_PARAMS:
                if value is not None:
                    not_saved.append(key)
                continue
            params[key] = encode(value, f"Pipeline parameter {key}")
        metadata["pipeline_params"] = params
    entries = []
    for index, ((name, step), registry_entry) in enumerate(
            zip(steps, registered, strict=True)):
        if registry_entry == SKLEARN_STEP:
            member = skops_member_name(index)
            data, dropped = _skops.dump_step(step, _label(name, step))
            sklearn_steps[member] = data
            not_saved += [f"{name}__{key}" for key in dropped]
            entries.append({"name": name, "class": _skops.public_name(step),
                            "skops": member})
            continue
        params, dropped = _step_params(name, step, registry_entry)
        not_saved += dropped
        scalars, array_specs = _fitted_attributes(name, step, registry_entry, index,
                                                  arrays)
        entry = {
            "name": type(step).__name__ if name is None else name,
            "class": type(step).__name__,
            "params": params,
            "attributes": scalars,
            "arrays": array_specs,
        }
        if registry_entry.network:
            entry["weights"] = network_weights(_label(name, step), step, index,
                                               weights)
            entry["history"] = history_json(step)
        entries.append(entry)
    metadata["steps"] = entries
    metadata["not_saved"] = not_saved
    members = {
        METADATA: json.dumps(metadata, indent=1).encode("utf-8"),
        ARRAYS: npz_bytes(arrays),
        WEIGHTS: npz_bytes(weights),
        **sklearn_steps,
    }
    write_zip(members, path)


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
