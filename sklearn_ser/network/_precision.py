"""Numerical precision of the networks' forward passes (SERClassifier, SERRegressor).

``precision="float32"`` computes everything in float32. ``"bf16"`` and
``"fp16"`` run the forward passes of training and prediction under
:func:`torch.autocast` (matrix products and LSTMs in bfloat16 or float16,
reductions and the loss in float32); the weights, their gradients and the
optimizer state stay float32 (master weights), and probabilities come back
as float64 as with float32. On CUDA, fp16 training scales the loss with a
:class:`torch.amp.GradScaler` so that small gradients do not underflow.

oneDNN runs bf16 and fp16 LSTMs only on CPUs with AVX-512 (bf16) or
AVX-512 FP16 / AMX (fp16); elsewhere torch's autocast makes its oneDNN LSTM
fail. :func:`run_lstm` then runs the LSTM in the low-precision type with
torch's own kernels: the numbers are those of the low precision, the speed
is not (emulated arithmetic, many times slower than float32).
"""

import warnings
from contextlib import nullcontext
from functools import cache

import torch
from torch.func import functional_call

from .._device import device_type

__all__ = ["PRECISIONS", "autocast", "check_precision", "grad_scaler", "run_lstm"]

PRECISIONS = ("float32", "bf16", "fp16")
_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def dtype_of(precision):
    """The torch dtype of the forward passes for ``precision``."""
    return _DTYPES.get(precision, torch.float32)


@cache
def onednn_lstm_supports(dtype):
    """Whether oneDNN runs an LSTM in ``dtype`` on this CPU.

    oneDNN's own flags (``_is_mkldnn_fp16_supported``) say whether the CPU
    has the instructions, not whether an LSTM primitive exists for them: on
    Xeons with AVX-512 FP16 the flag is true and the fp16 LSTM still fails
    to build for training. A tiny LSTM trained one step under autocast
    tells (once per dtype).
    """
    if dtype == torch.float32:
        return torch.backends.mkldnn.is_available()
    check = {torch.bfloat16: "_is_mkldnn_bf16_supported",
             torch.float16: "_is_mkldnn_fp16_supported"}[dtype]
    try:
        if not bool(getattr(torch.ops.mkldnn, check)()):
            return False
        lstm = torch.nn.LSTM(2, 2, batch_first=True)
        with torch.inference_mode(False), torch.enable_grad(), \
                torch.autocast("cpu", dtype=dtype):  # the training primitive
            lstm(torch.zeros(1, 2, 2))[0].float().sum().backward()
    except (AttributeError, RuntimeError):
        return False
    return True


def check_precision(precision, device):
    """Refuse a precision that ``device`` cannot run, naming the parameter.

    Parameters
    ----------
    precision : {"float32", "bf16", "fp16"}
        The ``precision`` parameter of SERClassifier (already validated
        against these values).
    device : str, torch.device or None
        The resolved device (``"auto"`` already replaced).

    Returns
    -------
    precision : str
        ``precision`` unchanged.

    Raises
    ------
    ValueError
        If this torch build has no autocast for the device type or the dtype
        there (e.g. fp16 on a CPU build older than torch 2.4, bf16 on a GPU
        without bfloat16 support).
    """
    if precision == "float32":
        return precision
    kind = device_type(device)
    dtype = _DTYPES[precision]
    if kind == "cuda" and dtype == torch.bfloat16 and not torch.cuda.is_bf16_supported():
        raise ValueError(
            f"precision={precision!r}: the CUDA device {torch.cuda.get_device_name()} "
            "has no bfloat16 support; use precision='fp16' or 'float32'."
        )
    try:
        available = torch.amp.is_autocast_available(kind)
    except (AttributeError, RuntimeError):
        available = False
    enabled = False
    if available:
        with warnings.catch_warnings():
            # Autocast warns and disables itself for a dtype it cannot run.
            warnings.simplefilter("ignore")
            try:
                with torch.autocast(kind, dtype=dtype):
                    enabled = torch.is_autocast_enabled(kind)
            except (RuntimeError, ValueError):
                enabled = False
    if not enabled:
        raise ValueError(
            f"precision={precision!r}: torch {torch.__version__} has no "
            f"{dtype} autocast on device type {kind!r}; use precision='float32'"
            + (" or 'bf16'" if precision == "fp16" else "") + "."
        )
    return precision


def autocast(precision, device):
    """The context of a forward pass at ``precision`` on ``device``.

    Parameters
    ----------
    precision : {"float32", "bf16", "fp16"}
        The precision.
    device : str, torch.device or None
        The resolved device.

    Returns
    -------
    context : context manager
        :func:`torch.autocast` to the precision's dtype, or a context that
        does nothing for float32.
    """
    if precision == "float32":
        return nullcontext()
    return torch.autocast(device_type(device), dtype=_DTYPES[precision])


def grad_scaler(precision, device):
    """A :class:`torch.amp.GradScaler` for fp16 training on CUDA, else None."""
    if precision == "fp16" and device_type(device) == "cuda":
        return torch.amp.GradScaler("cuda")
    return None


def run_lstm(lstm, x):
    """``lstm(x)``, also under CPU autocast where oneDNN has no such LSTM.

    Parameters
    ----------
    lstm : torch.nn.LSTM
        A ``batch_first`` LSTM with float32 weights.
    x : torch.Tensor of shape (batch, T, input_size)
        The input.

    Returns
    -------
    output : torch.Tensor of shape (batch, T, hidden_size)
        The outputs of every frame. Outside autocast, exactly ``lstm(x)[0]``.
        Under CPU autocast to a dtype that oneDNN cannot run as an LSTM on
        this CPU, the LSTM runs in that dtype on copies of the weights cast
        to it (gradients reach the float32 weights through the casts).
    """
    if x.device.type != "cpu" or not torch.is_autocast_enabled("cpu"):
        return lstm(x)[0]
    dtype = torch.get_autocast_dtype("cpu")
    if onednn_lstm_supports(dtype):
        return lstm(x)[0]
    weights = {name: p.to(dtype) for name, p in lstm.named_parameters()}
    with torch.autocast("cpu", enabled=False):
        return functional_call(lstm, weights, (x.to(dtype),))[0]


class _ScaledBackward(torch.autograd.Function):
    """The identity forward; the backward multiplies the gradient by a scale."""

    @staticmethod
    def forward(ctx, loss, scaler):
        ctx.scaler = scaler
        return loss.view_as(loss)

    @staticmethod
    def backward(ctx, grad):
        return ctx.scaler.scale(grad), None


def scale_gradients(loss, scaler):
    """``loss``, whose ``backward()`` gives the gradients scaled by ``scaler``.

    The value is ``loss`` unchanged (what the history records); back-propagating
    it is ``scaler.scale(loss).backward()``, so that skorch's own training step
    scales the gradients of fp16 training.

    Parameters
    ----------
    loss : torch.Tensor
        The scalar loss of a training batch.
    scaler : torch.amp.GradScaler
        The scaler of the fit.

    Returns
    -------
    loss : torch.Tensor
        The same value, with the scaled backward pass.
    """
    return _ScaledBackward.apply(loss, scaler)
