"""Plain JSON values of Python and numpy objects, for results and histories.

One converter for everything the library writes as plain JSON: the
``results.json`` of ``sklearn-ser evaluate`` (parameters, options,
per-fold results), the training history in a model file and the
``to_dict`` of the evaluation results. (The parameters of a model file
are written by the tagged encoder of :mod:`._modelfile`, which must read
them back exactly.)
"""

import numbers

import numpy as np

#: Returned by an ``unknown`` function: leave the value out of its list or dict.
DROP = object()


def plain(value, unknown=repr):
    """``value`` as plain JSON types.

    Parameters
    ----------
    value : object
        ``None``, booleans, numbers, strings (numpy scalars included),
        lists, tuples, dicts and numpy arrays of those are converted: numpy
        scalars to Python scalars, tuples and arrays to lists, dict keys to
        strings.
    unknown : callable, default=repr
        What any other value becomes: ``unknown(value)``, or left out of
        its list or dict when that returns :data:`DROP`.

    Returns
    -------
    value : None, bool, int, float, str, list or dict
        The JSON value (a value left out at the top is None).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser._json import DROP, plain
    >>> plain({"a": np.float32(0.5), 1: (np.int64(2), np.array(["x"]))})
    {'a': 0.5, '1': [2, ['x']]}
    >>> plain([1, object()], unknown=lambda v: DROP)
    [1]
    """
    out = _plain(value, unknown)
    return None if out is DROP else out


def _plain(value, unknown):
    if value is None or isinstance(value, (bool, np.bool_)):
        return None if value is None else bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, np.ndarray):
        value = value.tolist() if value.dtype.kind in "biufUS" else list(value)
    if isinstance(value, (list, tuple)):
        items = (_plain(v, unknown) for v in value)
        return [v for v in items if v is not DROP]
    if isinstance(value, dict):
        items = ((str(k), _plain(v, unknown)) for k, v in value.items())
        return {k: v for k, v in items if v is not DROP}
    return unknown(value)
