"""The network of a skorch step in a model file: its weights and history.

The weights are the float arrays of the module's ``state_dict`` (in the
``weights.npz`` member, under ``"<step index>/<key>"``); the history is the
per-epoch log as plain JSON. On load, the network is built from the step's
parameters and the weights are loaded into it, strictly.
"""

import numpy as np
import torch
from skorch.history import History

from .._json import DROP, plain
from ._modelfile import WEIGHTS, field
from ._values import Unsavable


def plain_module(step):
    """The network of ``step`` itself, also when skorch compiled it.

    ``compile=True`` wraps ``module_`` in ``torch.compile``'s module, whose
    weights are named ``_orig_mod.<name>``; the weights saved or exported
    are those of the network.
    """
    module = step.module_
    return getattr(module, "_orig_mod", module)


def history_json(step):
    """The training history as plain JSON (entries that are not plain dropped)."""
    history = getattr(step, "history_", None)
    if history is None:
        return []
    return plain(history.to_list(), unknown=lambda value: DROP)


def network_weights(label, step, index, weights):
    """Add the weights of ``step`` to ``weights``; returns their keys."""
    specs = []
    for key, tensor in plain_module(step).state_dict().items():
        array = tensor.detach().cpu().numpy()
        if array.dtype.kind != "f":
            raise Unsavable(
                f"Network weight {key!r} of {label} has dtype {tensor.dtype}; "
                "only floating point weights can be saved."
            )
        weights[f"{index}/{key}"] = array
        specs.append(key)
    try:
        details = _mismatch(step, {key: weights[f"{index}/{key}"] for key in specs})
    except (TypeError, ValueError, AttributeError) as exc:
        details = f"the network cannot be built from them: {exc}"
    if details:
        raise ValueError(
            f"Cannot save {label}: its parameters no longer match its fitted "
            f"network ({details}), so the file could not be loaded. Were they "
            "changed with set_params after fit? Set them back, or fit again, "
            "before saving."
        )
    return specs


def restore_network(step, entry, index, weights, where):
    """Build the network of ``step`` and load its weights and history."""
    keys = field(entry, "weights", list, where)
    state = {}
    for key in keys:
        full = f"{index}/{key}" if isinstance(key, str) else None
        if full not in weights:
            raise ValueError(f"{where}: weight {key!r} is missing from {WEIGHTS}.")
        array = weights.pop(full)
        if array.dtype.kind != "f":
            raise ValueError(f"{where}: weight {key!r} has dtype {array.dtype}; "
                             "expected floats.")
        if not np.isfinite(array).all():
            raise ValueError(f"{where}: weight {key!r} holds NaN or infinite values; "
                             "a trained network has finite weights.")
        state[key] = array
    _check_shapes(step, state, where)
    state = {key: torch.from_numpy(np.ascontiguousarray(array))
             for key, array in state.items()}
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


def _mismatch(step, state):
    """How ``state`` differs from the network the parameters describe, or "".

    The network is built on PyTorch's ``meta`` device, which gives every
    weight its shape without allocating it: parameters that describe a huge
    network (``lstm_units=9000``) cost nothing here.
    """
    kwargs = step.get_params_for("module")
    with torch.random.fork_rng(devices=[]), torch.device("meta"):
        module = step.initialized_instance(step.module, kwargs)
    expected = {key: tuple(t.shape) for key, t in module.state_dict().items()}
    missing = sorted(set(expected) - set(state))
    extra = sorted(set(state) - set(expected))
    wrong = [(key, expected[key], tuple(state[key].shape)) for key in sorted(expected)
             if key in state and tuple(state[key].shape) != expected[key]]
    details = [f"missing {missing[:3]}" if missing else "",
               f"unexpected {extra[:3]}" if extra else ""]
    details += [f"{key!r} has shape {got}, the parameters give {shape}"
                for key, shape, got in wrong[:3]]
    return "; ".join(d for d in details if d)


def _check_shapes(step, state, where):
    """Refuse saved weights that do not fit the network (before building it)."""
    try:
        details = _mismatch(step, state)
    except (TypeError, ValueError, AttributeError) as exc:
        raise ValueError(
            f"{where}: the network cannot be built from the saved parameters ({exc})."
        ) from None
    if details:
        raise ValueError(
            f"{where}: the saved weights do not fit the network its parameters "
            f"describe ({details})."
        )
