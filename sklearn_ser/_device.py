"""Devices: the one answer to "which device is this?" of the package.

The networks (:mod:`sklearn_ser.network`), the encoders
(:class:`~sklearn_ser.EncoderExtractor`), model loading and the command
line resolve ``"auto"``, check a device name and ask whether it is CUDA
here, each the same way. torch is imported when a function runs.
"""

__all__ = ["check_device", "device_type", "resolve_device"]


def device_type(device):
    """``"cuda"``, ``"cpu"``, ``"mps"``...: the type of a device; None is the CPU.

    The one answer to "is this CUDA?" of the package (``device_type(d) ==
    "cuda"``), for a name (``"cuda:1"``), a :class:`torch.device` or None.
    ``"auto"`` is resolved first.
    """
    import torch

    if device is None:
        return "cpu"
    return torch.device(resolve_device(device)).type


def resolve_device(device):
    """``"auto"``: CUDA when available, else the CPU; other values unchanged."""
    if isinstance(device, str) and device == "auto":
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def check_device(device):
    """Refuse a device that this torch build cannot use, with the reason.

    Parameters
    ----------
    device : str, torch.device or None
        ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:N"``, ``"mps"`` or a
        :class:`torch.device`; None leaves tensors where they are (skorch's
        meaning).

    Returns
    -------
    device : str, torch.device or None
        ``device`` unchanged.

    Raises
    ------
    ValueError
        If ``device`` is not a device name, or names CUDA or MPS where this
        torch build or machine has none, or a CUDA index beyond the visible
        devices.
    """
    if device is None or (isinstance(device, str) and device == "auto"):
        return device
    import torch

    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(
            f"device={device!r} is not a torch device; expected 'auto', 'cpu', "
            "'cuda', 'cuda:N' or 'mps'."
        ) from None
    if parsed.type == "cuda":
        if torch.version.cuda is None:
            raise ValueError(
                f"device={device!r}: this torch {torch.__version__} build has no "
                "CUDA support; use 'cpu' or 'auto', or install a CUDA build of "
                "torch."
            )
        n = torch.cuda.device_count()
        if n == 0:
            raise ValueError(
                f"device={device!r}: torch sees no CUDA device on this machine; "
                "use 'cpu' or 'auto'."
            )
        if parsed.index is not None and parsed.index >= n:
            raise ValueError(
                f"device={device!r}: only {n} CUDA device(s) visible "
                f"(cuda:0 to cuda:{n - 1})."
            )
    elif parsed.type == "mps":
        if not torch.backends.mps.is_available():
            raise ValueError(
                f"device={device!r}: MPS is not available on this machine; use "
                "'cpu' or 'auto'."
            )
    elif parsed.type != "cpu":
        raise ValueError(
            f"device={device!r}: expected 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'."
        )
    return device
