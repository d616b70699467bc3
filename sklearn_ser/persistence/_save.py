"""Saving a fitted pipeline (or estimator) to a safe model file.

The container (a zip archive of JSON metadata and numpy arrays) is
described in :mod:`._modelfile`; :mod:`._load` reads it. The classes a file
may hold are those of the persistence registry (:mod:`._registry`), where
each estimator's module registers its own class; steps that are
scikit-learn's own estimators (an SVC, a StandardScaler, ...) are stored
through :mod:`skops.io` (:mod:`._skops`).
"""


import json
import numbers
import platform

import numpy as np
import sklearn
import torch
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline

from .._version import __version__

# The estimator modules register their classes when they are imported.
from ..features import _encoder, _functionals, _lld  # noqa: F401
from ..network import _classifier, _regressor  # noqa: F401
from ..preprocessing import _padcrop, _scaler, _speaker  # noqa: F401
from . import _skops  # noqa: F401
from ._modelfile import (
    ARRAYS,
    FIRST_READ_BY,
    FORMAT_NAME,
    METADATA,
    WEIGHTS,
    npz_bytes,
    write_zip,
)
from ._netstate import history_json, network_weights
from ._reader import skops_member_name
from ._registry import (
    entry_of,
    fitted_by_tags,
    is_machine_param,
    machine_param_set,
    step_classes,
)
from ._values import Unsavable, encode, plain_array

__all__ = ["save"]

#: Pipeline parameters that are not saved (the loaded pipeline has their default).
DROPPED_PIPELINE_PARAMS = ("memory",)


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


def _is_default(step, key, value):
    """Whether ``value`` is the constructor's default of parameter ``key``."""
    import inspect

    param = inspect.signature(type(step).__init__).parameters.get(key)
    if param is None or param.default is inspect.Parameter.empty:
        return False
    default = param.default
    return value is default or (isinstance(value, (int, float, str))
                                and type(value) is type(default) and value == default)


def _step_params(name, step, entry):
    prefix = "" if name is None else f"{name}__"
    dropped = entry.dropped_params
    params, not_saved = {}, []
    for key, value in step.get_params(deep=False).items():
        if key.startswith("_"):
            continue  # skorch's private bookkeeping, rebuilt by the constructor
        if key in dropped or any(key.startswith(f"{d}__") for d in dropped):
            if value is not None and not _is_default(step, key, value):
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
            if key in DROPPED_PIPELINE_PARAMS:
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


