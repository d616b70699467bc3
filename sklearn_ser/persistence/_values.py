"""Parameter values of a model file as tagged JSON, and back.

JSON with tags for tuples, dicts, arrays, torch devices and the classes of
the persistence registry (:mod:`._registry`): nothing is unpickled and no
class is looked up by name outside the registry.
"""

import numbers

import numpy as np
import torch

from ._registry import class_name, parameter_classes

ARRAY_KINDS = "biufU"
_TAGS = ("__tuple__", "__dict__", "__ndarray__", "__class__", "__device__")


class Unsavable(TypeError):
    """A value that a model file cannot hold."""


# ---------------------------------------------------------------------------
# JSON encoding of parameters
# ---------------------------------------------------------------------------


def encode(value, where):
    """Encode a parameter value as tagged JSON; Unsavable if impossible."""
    if value is None or isinstance(value, (bool, str)):
        return str(value) if isinstance(value, str) else value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, f"{where}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {"__dict__": [[encode(k, f"{where} key"), encode(v, f"{where}[{k!r}]")]
                             for k, v in value.items()]}
    if isinstance(value, np.ndarray):
        array = plain_array(value)
        if array is not None:
            return {"__ndarray__": array.tolist(), "dtype": array.dtype.str}
    if isinstance(value, torch.device):
        return {"__device__": str(value)}
    name = class_name(value) if isinstance(value, type) else None
    if name is not None:
        return {"__class__": name}
    what = (f"the class {value.__module__}.{value.__qualname__}"
            if isinstance(value, type) else f"a {type(value).__name__} object")
    raise Unsavable(
        f"{where} is {what}, which a sklearn-ser model file cannot hold (it stores "
        "numbers, strings, booleans, None, lists, tuples, dicts and arrays of "
        f"those, and the classes {sorted(parameter_classes())}). Set it to a "
        "supported value (e.g. its default) before saving."
    )


def plain_array(value):
    """The array as a numeric or unicode array, or None if it holds objects."""
    if value.dtype.kind in ARRAY_KINDS:
        return value
    if value.dtype.kind == "O" and all(isinstance(v, str) for v in value.flat):
        return value.astype(str)
    return None


def decode(value, where):
    """Inverse of :func:`encode`; ValueError on anything unexpected."""
    if value is None or isinstance(value, (bool, str, int, float)):
        return value
    if isinstance(value, list):
        return [decode(v, f"{where}[{i}]") for i, v in enumerate(value)]
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
        return tuple(decode(v, f"{where}[{i}]") for i, v in enumerate(content))
    if tag == "__dict__":
        _expect(isinstance(content, list) and all(
            isinstance(kv, list) and len(kv) == 2 for kv in content), where,
            "a list of [key, value] pairs")
        out = {}
        for k, v in content:
            key = decode(k, f"{where} key")
            try:
                hash(key)
            except TypeError:
                raise ValueError(f"{where} is malformed; expected hashable keys, "
                                 f"got {key!r}.") from None
            out[key] = decode(v, f"{where}[{key!r}]")
        return out
    if tag == "__ndarray__":
        dtype = value["dtype"]
        _expect(isinstance(dtype, str), where, "a dtype string")
        try:
            dtype = np.dtype(dtype)
        except TypeError:
            raise ValueError(f"{where} has an unknown dtype {dtype!r}.") from None
        _expect(dtype.kind in ARRAY_KINDS and isinstance(content, (list, int, float,
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
    known = parameter_classes()
    if not isinstance(content, str) or content not in known:
        raise ValueError(
            f"{where} names the class {content!r}, which is not among the classes a "
            f"model file may use: {sorted(known)}."
        )
    return known[content]


def _expect(ok, where, what):
    if not ok:
        raise ValueError(f"{where} is malformed; expected {what}.")
