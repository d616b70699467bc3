"""Public names of a subpackage, imported from their module on first use."""

import importlib


def attach(package, names):
    """``(__getattr__, __dir__, __all__)`` of a subpackage with lazy names.

    Parameters
    ----------
    package : str
        ``__name__`` of the subpackage.
    names : dict of str to str
        Public name -> the private module (relative, e.g. ``"._lld"``) that
        defines it.

    Returns
    -------
    getattr, dir, all
        The subpackage's module-level ``__getattr__`` (PEP 562), ``__dir__``
        and ``__all__``: importing the subpackage imports none of its
        modules, and each name is imported from its module when it is first
        used.
    """
    names = dict(names)

    def __getattr__(name):
        if name in names:
            return getattr(importlib.import_module(names[name], package), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return sorted(names)

    return __getattr__, __dir__, sorted(names)
