"""Tests of sklearn_ser.network._precision: the precision option of the network estimators."""

import io

import numpy as np
import pytest
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback

from sklearn_ser import SERClassifier, load, save
from sklearn_ser.network import _modules as _network
from sklearn_ser.network import _precision
from sklearn_ser.network._loaders import collate_trim
from sklearn_ser.network._precision import autocast, check_precision, run_lstm

from .._common import SMALL_NET, toy_3d

_DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


def _unsupported(precision, device="cpu"):
    """Why ``precision`` cannot run on ``device`` here, or None."""
    try:
        check_precision(precision, device)
    except ValueError as exc:
        return str(exc)
    return None


def _needs(precision, device="cpu"):
    reason = _unsupported(precision, device)
    return pytest.mark.skipif(reason is not None, reason=reason or "")


# ---------------------------------------------------------------------------
# float32 is the code path of before, bit for bit
# ---------------------------------------------------------------------------


def _per_sample_collate(batch):
    return collate_trim(batch)  # not collate_trim itself: batches sample by sample


class _Reference(SERClassifier):
    """SERClassifier with skorch's stock steps, as before the precision option."""

    infer = NeuralNet.infer
    train_step_single = NeuralNet.train_step_single
    _step_optimizer = NeuralNet._step_optimizer


@pytest.mark.parametrize("attention", ["lstm", "mean"])
def test_float32_is_bit_identical_to_the_reference_path(attention, monkeypatch):
    X, y = toy_3d(n=48)
    params = {**SMALL_NET, "attention": attention}
    new = SERClassifier(**params).fit(X, y)
    proba = new.predict_proba(X)
    # The reference: plain LSTM calls, skorch's own training step, batches
    # stacked sample by sample.
    monkeypatch.setattr(_network, "run_lstm", lambda lstm, x: lstm(x)[0])
    ref = _Reference(**params, iterator_train__collate_fn=_per_sample_collate,
                     iterator_valid__collate_fn=_per_sample_collate).fit(X, y)
    np.testing.assert_array_equal(proba, ref.predict_proba(X))
    for a, b in zip(new.module_.state_dict().values(),
                    ref.module_.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_run_lstm_is_the_lstm_outside_autocast():
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(5, 3, batch_first=True)
    x = torch.randn(2, 7, 5)
    assert torch.equal(run_lstm(lstm, x), lstm(x)[0])


# ---------------------------------------------------------------------------
# bf16 and fp16
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("precision", [
    pytest.param("bf16", marks=_needs("bf16")),
    pytest.param("fp16", marks=_needs("fp16")),
])
def test_run_lstm_under_autocast_computes_in_low_precision(precision):
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(5, 3, batch_first=True)
    x = torch.randn(2, 7, 5)
    with autocast(precision, "cpu"):
        out = run_lstm(lstm, x)
    assert out.dtype == _precision.dtype_of(precision)
    torch.testing.assert_close(out.float(), lstm(x)[0], atol=5e-2, rtol=0)
    out.float().sum().backward()
    assert all(p.grad is not None and p.grad.dtype == torch.float32
               for p in lstm.parameters())


@pytest.mark.parametrize("attention", ["lstm", "yang"])
@pytest.mark.parametrize("precision", [
    pytest.param("bf16", marks=_needs("bf16")),
    pytest.param("fp16", marks=_needs("fp16")),
])
def test_low_precision_trains_and_predicts(precision, attention):
    X, y = toy_3d(n=48)
    params = {**SMALL_NET, "attention": attention, "max_epochs": 6}
    ref = SERClassifier(**params).fit(X, y)
    clf = SERClassifier(**params, precision=precision).fit(X, y)
    assert all(p.dtype == torch.float32 for p in clf.module_.parameters())
    proba = clf.predict_proba(X)
    assert proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    # Same seed, same batches: the low-precision run stays near float32.
    np.testing.assert_allclose(proba, ref.predict_proba(X), rtol=0, atol=0.05)
    assert np.mean(clf.predict(X) == ref.predict(X)) >= 0.9
    weights = clf.attention_weights(X[:3])
    assert all(w.dtype == np.float64 for w in weights)
    np.testing.assert_allclose([w.sum() for w in weights], 1.0, atol=1e-2)
    # Deterministic for a fixed seed.
    again = SERClassifier(**params, precision=precision).fit(X, y)
    np.testing.assert_array_equal(again.predict_proba(X), proba)


class _GradNorms(Callback):
    def on_train_begin(self, net, **kwargs):
        self.norms = []

    def on_grad_computed(self, net, named_parameters, **kwargs):
        self.norms.append(float(torch.cat([p.grad.flatten()
                                           for _, p in named_parameters]).norm()))


def test_grad_scaler_scales_the_gradients_of_skorchs_training_step(monkeypatch):
    # fp16 on CUDA trains with a GradScaler; a CPU scaler with a power-of-two
    # scale that never changes shows the same path on a machine without CUDA:
    # the gradients the callbacks see are scaled, the optimizer steps on the
    # unscaled ones, so the weights are those of training without a scaler.
    X, y = toy_3d(n=48)
    plain_norms, scaled_norms = _GradNorms(), _GradNorms()
    plain = SERClassifier(**SMALL_NET, callbacks=[("g", plain_norms)]).fit(X, y)
    monkeypatch.setattr(_precision, "grad_scaler", lambda precision, device:
                        torch.amp.GradScaler("cpu", init_scale=16.0,
                                             growth_interval=10**6))
    scaled = SERClassifier(**SMALL_NET, callbacks=[("g", scaled_norms)]).fit(X, y)
    assert scaled._grad_scaler_ is not None
    np.testing.assert_allclose(scaled_norms.norms, 16 * np.array(plain_norms.norms),
                               rtol=1e-6)
    assert scaled.history_[:, "train_loss"] == plain.history_[:, "train_loss"]
    for a, b in zip(scaled.module_.state_dict().values(),
                    plain.module_.state_dict().values(), strict=True):
        assert torch.equal(a, b)


@_needs("bf16")
def test_bf16_model_saves_and_loads():
    X, y = toy_3d(n=32)
    clf = SERClassifier(**SMALL_NET, precision="bf16").fit(X, y)
    buf = io.BytesIO()
    save(clf, buf)
    buf.seek(0)
    loaded = load(buf)
    assert loaded.precision == "bf16"
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


# ---------------------------------------------------------------------------
# Refusals
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["half", "float16", "bfloat16", 16, None])
def test_bad_precision_is_refused_naming_the_parameter(value):
    X, y = toy_3d()
    with pytest.raises(ValueError, match="'precision' parameter of SERClassifier"):
        SERClassifier(**SMALL_NET, precision=value).fit(X, y)


def test_precision_without_autocast_is_refused_with_the_reason(monkeypatch):
    X, y = toy_3d()
    monkeypatch.setattr(torch.amp, "is_autocast_available", lambda kind: False)
    with pytest.raises(ValueError, match=r"precision='fp16'.*no torch.float16 "
                       r"autocast on device type 'cpu'.*'float32'"):
        SERClassifier(**SMALL_NET, precision="fp16").fit(X, y)
    assert check_precision("float32", "cpu") == "float32"


# ---------------------------------------------------------------------------
# CUDA
# ---------------------------------------------------------------------------

_cuda = pytest.mark.skipif(not torch.cuda.is_available(),
                           reason="needs a CUDA device (torch.cuda.is_available() "
                                  "is False)")


@_cuda
def test_auto_device_trains_on_cuda_with_pinned_batches():
    X, y = toy_3d(n=48)
    clf = SERClassifier(**{**SMALL_NET, "device": "auto"}).fit(X, y)
    assert next(clf.module_.parameters()).is_cuda
    assert clf.get_params_for("iterator_train")["pin_memory"] is True
    batch, _ = next(iter(clf.get_iterator(clf.get_dataset(
        {"x": np.zeros((4, 5, 3), np.float32), "lengths": np.arange(1, 5)}),
        training=False)))
    assert batch["x"].is_pinned()
    cpu = SERClassifier(**SMALL_NET).fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(X), cpu.predict_proba(X), atol=1e-2)


@_cuda
@pytest.mark.parametrize("precision", [
    pytest.param("bf16", marks=_needs("bf16", _DEVICE)),
    "fp16",
])
def test_low_precision_on_cuda(precision):
    X, y = toy_3d(n=48)
    params = {**SMALL_NET, "device": "cuda", "max_epochs": 6}
    clf = SERClassifier(**params, precision=precision).fit(X, y)
    assert (clf._grad_scaler_ is not None) == (precision == "fp16")
    assert all(p.dtype == torch.float32 for p in clf.module_.parameters())
    ref = SERClassifier(**params).fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(X), ref.predict_proba(X),
                               rtol=0, atol=0.05)


@_needs("bf16")
def test_regressor_trains_and_predicts_in_bf16():
    from sklearn_ser import SERRegressor

    X, y = toy_3d(n=48)
    target = np.c_[np.nanmean(X[:, :, 0], axis=1), np.nanmean(X[:, :, 1], axis=1)]
    ref = SERRegressor(**SMALL_NET).fit(X, target)
    reg = SERRegressor(**SMALL_NET, precision="bf16").fit(X, target)
    assert all(p.dtype == torch.float32 for p in reg.module_.parameters())
    pred = reg.predict(X)
    assert pred.dtype == np.float64 and pred.shape == target.shape
    np.testing.assert_allclose(pred, ref.predict(X), rtol=0, atol=0.1 * target.std())
