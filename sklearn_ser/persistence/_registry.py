"""The persistence registry: what a model file knows of each estimator class.

A model file (:mod:`._persistence`) holds only the estimator classes
registered here, matched by exact type, and the classes registered as
possible parameter values. Each estimator's module registers its class
beside the class itself with :func:`register`, saying which parameters are
not saved, which classes its parameters may name, which fitted attributes
are rebuilt instead of stored, how to tell that an instance is fitted, how
to validate its parameters and how to check the fitted attributes read
back from a file. Adding an estimator, or a parameter class, touches that
one entry.
"""

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import torch
from sklearn.exceptions import NotFittedError
from sklearn.utils import get_tags
from sklearn.utils.validation import check_is_fitted
from skorch.dataset import Dataset as SkorchDataset
from torch.utils.data import DataLoader

from .._compat import validate_params

#: Fitted attributes that skorch rebuilds in ``initialize()`` (the network's
#: weights are saved separately, the history as JSON).
SKORCH_ATTRIBUTES = frozenset({
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

#: torch and skorch classes that the parameters of a skorch net may name
#: (``criterion``, ``optimizer``, ``iterator_*``, ``dataset``), by stable name.
TORCH_CLASSES = {
    "torch.nn.CrossEntropyLoss": torch.nn.CrossEntropyLoss,
    "torch.nn.NLLLoss": torch.nn.NLLLoss,
    "torch.optim.Adam": torch.optim.Adam,
    "torch.optim.AdamW": torch.optim.AdamW,
    "torch.optim.SGD": torch.optim.SGD,
    "torch.optim.RMSprop": torch.optim.RMSprop,
    "torch.utils.data.DataLoader": DataLoader,
    "skorch.dataset.Dataset": SkorchDataset,
}


#: Parameters that choose how the machine runs an estimator, not what it
#: computes: how many processes (``n_jobs``) and whether a compiler runs
#: (skorch's ``compile``). A model file is untrusted input and must not
#: choose them: ``save`` does not store them (nor their ``<name>__*``
#: parameters) and ``load`` ignores them, with a warning, in files that set
#: them; the user sets them after loading.
MACHINE_PARAMS = ("n_jobs", "compile")

#: The same for the worker processes of a PyTorch data loader, whatever
#: its prefix (``iterator_train__num_workers``, ``iterator_valid__...``).
WORKER_PARAMS = ("num_workers", "multiprocessing_context", "persistent_workers",
                 "prefetch_factor", "worker_init_fn", "pin_memory_device")


def is_machine_param(key):
    """Whether the parameter ``key`` is one a model file may not set.

    Parameters
    ----------
    key : str
        A parameter name as ``get_params`` gives it (``"n_jobs"``,
        ``"iterator_valid__num_workers"``, ``"logisticregression__n_jobs"``).

    Returns
    -------
    bool
        True for the names of :data:`MACHINE_PARAMS` (with their
        ``<name>__*`` parameters) and of :data:`WORKER_PARAMS` after any
        prefix, at any depth of nesting.
    """
    parts = key.split("__")
    return any(part in MACHINE_PARAMS for part in parts) or parts[-1] in WORKER_PARAMS


def machine_param_set(value):
    """Whether a machine parameter holds more than its "nothing set" value."""
    return value is not None and value is not False and not (
        isinstance(value, int) and value == 0)


class StateCheck:
    """Checks of the fitted attributes of a step read back from a model file.

    Parameters
    ----------
    step : estimator
        The step, with its attributes restored.
    where : str
        How messages name the step.
    """

    def __init__(self, step, where):
        self.step = step
        self.where = where

    def need(self, ok, what):
        """Raise ``ValueError`` saying ``what`` unless ``ok``."""
        if not ok:
            raise ValueError(
                f"{self.where}: {what}; the file is damaged or was altered."
            )

    def count(self, attr):
        """The attribute ``attr``, which must be a positive int."""
        value = getattr(self.step, attr, None)
        self.need(isinstance(value, int) and not isinstance(value, bool)
                  and value >= 1, f"{attr} must be a positive int, got {value!r}")
        return value

    def finite_vector(self, attr, size):
        """The attribute ``attr``, which must be a finite float array of ``size``."""
        value = getattr(self.step, attr, None)
        self.need(isinstance(value, np.ndarray) and value.dtype.kind == "f"
                  and value.shape == (size,) and np.isfinite(value).all(),
                  f"{attr} must be a finite float array of shape ({size},)")
        return value


def fitted_by_tags(step):
    """Fitted by scikit-learn's rules: stateless, or ``check_is_fitted`` passes."""
    if not get_tags(step).requires_fit:
        return True
    try:
        check_is_fitted(step)
    except NotFittedError:
        return False
    return True


def _no_state_check(step, check):
    pass


@dataclass(frozen=True)
class Entry:
    """What a model file knows of one estimator class (see :func:`register`)."""

    cls: type
    dropped_params: tuple = ()
    parameter_classes: dict = field(default_factory=dict)
    rebuilt_attributes: frozenset = frozenset()
    is_fitted: object = fitted_by_tags
    validate: object = None
    check_state: object = _no_state_check
    network: bool = False
    checks: tuple = ()

    def validate_params(self, step):
        """Validate the parameters of a loaded ``step`` (TypeError or ValueError).

        The class's own validation (``validate``, or scikit-learn's
        ``_parameter_constraints``), then the checks that :func:`add_check`
        added, then :func:`check_no_bool_numbers`.
        """
        if self.validate is None:
            validate_params(step)
        else:
            self.validate(step)
        for check in self.checks:
            check(step)
        check_no_bool_numbers(step)


_ENTRIES = {}
_PARAMETER_CLASSES = {}


def register(cls, *, dropped_params=(), parameter_classes=None,
             rebuilt_attributes=frozenset(), is_fitted=None, validate=None,
             check_state=None, network=False):
    """Register an estimator class that model files may hold.

    Parameters
    ----------
    cls : type
        The estimator class (instances must be of exactly this type).
    dropped_params : tuple of str, default=()
        Parameters that are not saved (with their ``<name>__*`` parameters):
        the loaded estimator has their default, and ``save`` lists them in
        the file's ``not_saved`` when they were set (to anything but None
        and their default).
    parameter_classes : dict, default=None
        ``{stable name: class}`` of the classes its parameters may name.
    rebuilt_attributes : frozenset of str, default=frozenset()
        Fitted attributes that are not saved (rebuilt on load) and that a
        file may not set.
    is_fitted : callable, default=None
        ``is_fitted(step) -> bool``; None follows scikit-learn's rules
        (``requires_fit`` tag, then ``check_is_fitted``).
    validate : callable, default=None
        ``validate(step)`` validates the parameters of a loaded step; None
        calls ``step._validate_params()``.
    check_state : callable, default=None
        ``check_state(step, check)`` checks the fitted attributes read back
        from a file with the :class:`StateCheck` ``check``.
    network : bool, default=False
        The step is a skorch net whose weights (``module_``) and history
        are stored; ``load(..., device=...)`` sets its ``device``.

    Returns
    -------
    entry : Entry
        The registered entry.
    """
    classes = dict(parameter_classes or {})
    for name, other in classes.items():
        known = _PARAMETER_CLASSES.get(name)
        if known is not None and known is not other:
            raise ValueError(f"The parameter class name {name!r} is taken by {known}.")
    entry = Entry(
        cls=cls,
        dropped_params=tuple(dropped_params),
        parameter_classes=classes,
        rebuilt_attributes=frozenset(rebuilt_attributes),
        is_fitted=is_fitted if is_fitted is not None else fitted_by_tags,
        validate=validate,
        check_state=check_state if check_state is not None else _no_state_check,
        network=bool(network),
    )
    _ENTRIES[cls] = entry
    _PARAMETER_CLASSES.update(classes)
    return entry


def add_check(cls, check):
    """Add a parameter check of loaded instances of a registered class.

    For bounds that a class's own validation does not (yet) hold, e.g. the
    rates at which a native library works: ``load`` runs it after the
    class's validation and refuses the file when it raises.

    Parameters
    ----------
    cls : type
        A registered estimator class.
    check : callable
        ``check(step)`` raises ``TypeError`` or ``ValueError`` naming the
        parameter and what was expected.

    Returns
    -------
    entry : Entry
        The entry, with the check added.
    """
    entry = _ENTRIES[cls]
    if check not in entry.checks:
        entry = _ENTRIES[cls] = dataclasses.replace(
            entry, checks=(*entry.checks, check))
    return entry


def _allows_bool(constraint):
    if isinstance(constraint, str):
        return constraint in ("boolean", "verbose", "no_validation")
    return constraint is bool or constraint is object or constraint is np.bool_


def check_no_bool_numbers(step):
    """Refuse a bool where a parameter's constraints expect a number.

    ``True`` is an ``int`` in Python, so scikit-learn's ``Interval`` and
    ``numbers.Real`` constraints accept it: ``n_frames=True`` would pad to
    one frame. A model file stores JSON, where ``true`` is never a number.

    Parameters
    ----------
    step : estimator
        An estimator with ``_parameter_constraints``.

    Raises
    ------
    TypeError
        If a parameter holds a bool and none of its constraints allows one.
    """
    constraints = getattr(type(step), "_parameter_constraints", {})
    for name, allowed in constraints.items():
        value = getattr(step, name, None)
        if isinstance(value, (bool, np.bool_)) and not any(
                _allows_bool(c) for c in allowed):
            raise TypeError(
                f"The {name!r} parameter of {type(step).__name__} must be "
                f"{_expected(allowed)}, not a bool; got {value!r}."
            )


def _expected(allowed):
    names = [c if isinstance(c, str) else getattr(c, "__name__", None) or str(c)
             for c in allowed]
    return " or ".join(str(n) for n in names)


def entry_of(step):
    """The entry of the exact type of ``step``, or None."""
    return _ENTRIES.get(type(step))


def entry_of_class(cls):
    """The entry of the registered class ``cls``."""
    return _ENTRIES[cls]


def step_classes():
    """``{class name: class}`` of the registered estimators."""
    return {cls.__name__: cls for cls in _ENTRIES}


def parameter_classes():
    """``{stable name: class}`` of the classes parameters may name."""
    return dict(_PARAMETER_CLASSES)


def class_name(cls):
    """The stable name of a registered parameter class, or None."""
    for name, known in _PARAMETER_CLASSES.items():
        if known is cls:
            return name
    return None


def rebuilt_attributes():
    """Fitted attribute names that no model file may set, for any step."""
    names = set()
    for entry in _ENTRIES.values():
        names |= entry.rebuilt_attributes
    return frozenset(names)
