"""Tests of SERClassifier and its network."""

import pickle

import numpy as np
import pytest
import torch
from sklearn import config_context
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_validate
from sklearn.pipeline import Pipeline

from sklearn_ser import SCORING, PadCrop, SERClassifier
from sklearn_ser.network._loaders import prepare_input
from sklearn_ser.network._modules import ATTENTIONS, BiLSTM, SERNet

from .._checks import ALL_CHECKS, check_ids
from .._common import SMALL_NET, grouped_3d, toy_3d


def _pad_to(X, n_frames):
    out = np.full((X.shape[0], n_frames, X.shape[2]), np.nan, dtype=np.float32)
    t = min(n_frames, X.shape[1])
    out[:, :t] = X[:, :t]
    return out


# ---------------------------------------------------------------------------
# Conformance
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("check", ALL_CHECKS, ids=check_ids())
def test_3d_conformance(check):
    X, y = toy_3d()
    check(SERClassifier(**SMALL_NET), X, y)


def test_clone_round_trip_keeps_every_parameter():
    clf = SERClassifier(
        attention="zhou", attention_normalization="length", patience=4,
        validation_fraction=None, class_weight={"ang": 2.0}, iterator_train__bucket=False,
        module__rnn_implementation="packed", **SMALL_NET,
    )
    params = clf.get_params(deep=False)
    cloned = clone(clf).get_params(deep=False)
    assert params.keys() == cloned.keys()
    for key in ("attention", "attention_normalization", "patience", "validation_fraction",
                "class_weight", "iterator_train__bucket", "module__rnn_implementation",
                "l2", "lr", "max_epochs", "batch_size", "device"):
        assert cloned[key] == params[key], key
    assert SERClassifier().get_params()["device"] == "auto"
    # Documented constructor defaults are the paper's.
    defaults = SERClassifier().get_params()
    assert (defaults["hidden_units"], defaults["lstm_units"], defaults["lr"],
            defaults["l2"], defaults["batch_size"], defaults["max_epochs"],
            defaults["dropout"], defaults["noise_variance"]) == (
        256, 128, 3e-5, 5e-2, 32, 200, 0.1, 0.4)


def test_device_auto_resolves_and_survives_pickle():
    clf = SERClassifier(**{**SMALL_NET, "device": "auto"})
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert clf.device == expected
    X, y = toy_3d()
    clf.fit(X, y)
    assert next(clf.module_.parameters()).device.type == expected
    restored = pickle.loads(pickle.dumps(clf))
    assert restored.get_params()["device"] == "auto"
    np.testing.assert_allclose(restored.predict_proba(X), clf.predict_proba(X), atol=1e-6)


# ---------------------------------------------------------------------------
# The network: poolings against direct formulas, masking
# ---------------------------------------------------------------------------


def _reference_bilstm(rnn):
    """A plain bidirectional nn.LSTM with the weights of ``rnn`` (a BiLSTM)."""
    if rnn.implementation == "packed":
        return rnn.lstm
    fwd, bwd = rnn.forward_lstm, rnn.backward_lstm
    ref = torch.nn.LSTM(fwd.input_size, fwd.hidden_size, batch_first=True,
                        bidirectional=True)
    with torch.no_grad():
        for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
            getattr(ref, name).copy_(getattr(fwd, name))
            getattr(ref, name + "_reverse").copy_(getattr(bwd, name))
    return ref


def _softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def _tiny_batch(seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(3, 9, 3, generator=g)
    lengths = torch.tensor([9, 4, 6])
    x = x * (torch.arange(9)[None, :, None] < lengths[:, None, None])
    return x, lengths


POOLINGS = [(attention, "sum") for attention in ATTENTIONS] + [
    ("lstm", "length"), ("lstm", "none")
]


@pytest.mark.parametrize("implementation", ["masked", "packed"])
@pytest.mark.parametrize("attention, normalization", POOLINGS)
def test_pooling_matches_direct_formula(attention, normalization, implementation):
    torch.manual_seed(0)
    net = SERNet(3, 2, attention=attention, hidden_units=5, lstm_units=4,
                 attention_units=3, attention_normalization=normalization,
                 rnn_implementation=implementation).eval()
    x, lengths = _tiny_batch()
    with torch.no_grad():
        logits = net(x, lengths).numpy()
        alpha = net.attention_weights(x, lengths).numpy()
        ref_rnn = _reference_bilstm(net.rnn)
        for i, length in enumerate(lengths.tolist()):
            # Each sample alone, unpadded, through a plain bidirectional LSTM.
            h = ref_rnn(net.frames(x[i : i + 1, :length]))[0][0].numpy()
            if attention == "mean":
                expected = np.full(length, 1 / length)
            elif attention == "zhou":
                w = net.pooling.score.weight.numpy()[0]
                expected = _softmax(h @ w)
            elif attention == "yang":
                W = net.pooling.project.weight.numpy()
                b = net.pooling.project.bias.numpy()
                u_w = net.pooling.context.weight.numpy()[0]
                expected = _softmax(np.tanh(h @ W.T + b) @ u_w)
            else:
                ref_att = _reference_bilstm(net.pooling.lstm)
                a = ref_att(torch.from_numpy(h)[None])[0][0].numpy()
                w = net.pooling.score.weight.numpy()[0]
                s = 1 / (1 + np.exp(-(a @ w + net.pooling.score.bias.numpy()[0])))
                expected = {"sum": s / s.sum(), "length": s / length, "none": s}[
                    normalization
                ]
            np.testing.assert_allclose(alpha[i, :length], expected, rtol=1e-5, atol=1e-6)
            np.testing.assert_array_equal(alpha[i, length:], 0.0)
            pooled = expected @ h
            out = net.output.weight.numpy() @ pooled + net.output.bias.numpy()
            np.testing.assert_allclose(logits[i], out, rtol=1e-5, atol=1e-5)


def test_plain_bilstm_depends_on_padding_but_ours_does_not():
    """The padding tests have teeth: a plain BiLSTM fails them."""
    torch.manual_seed(0)
    x = torch.randn(1, 250, 4)
    padded = torch.cat([x, torch.zeros(1, 50, 4)], dim=1)
    lengths = torch.tensor([250])
    plain = torch.nn.LSTM(4, 3, batch_first=True, bidirectional=True)
    with torch.no_grad():
        diff = (plain(padded)[0][:, :250] - plain(x)[0]).abs().max()
        assert diff > 1e-3
        for implementation in ("masked", "packed"):
            ours = BiLSTM(4, 3, implementation)
            np.testing.assert_allclose(
                ours(padded, lengths)[:, :250].numpy(), ours(x, lengths).numpy(),
                atol=1e-6,
            )


@pytest.mark.parametrize("implementation", ["masked", "packed"])
@pytest.mark.parametrize("attention", ATTENTIONS)
def test_network_padding_invariance(attention, implementation):
    """The module itself, without any trimming of the batches."""
    torch.manual_seed(0)
    net = SERNet(4, 3, attention=attention, hidden_units=6, lstm_units=4,
                 attention_units=3, rnn_implementation=implementation).eval()
    x = torch.zeros(6, 500, 4)
    lengths = torch.tensor([250, 260, 300, 420, 480, 500])
    for i, length in enumerate(lengths.tolist()):
        x[i, :length] = torch.randn(length, 4)
    with torch.no_grad():
        exact = net(x[:1, :250], lengths[:1])
        alpha = net.attention_weights(x[:1, :250], lengths[:1])
        for batch in (x[:1, :300], x[:1], x[:3, :300], x):
            n = batch.shape[0]
            torch.testing.assert_close(net(batch, lengths[:n])[:1], exact,
                                       rtol=0, atol=1e-5)
            weights = net.attention_weights(batch, lengths[:n])[:1]
            torch.testing.assert_close(weights[:, :250], alpha, rtol=0, atol=1e-5)
            assert torch.all(weights[:, 250:] == 0)


@pytest.mark.parametrize("attention", ATTENTIONS)
def test_padding_invariance(attention):
    """Same probabilities at 300 or 500 frames, alone or batched with longer ones."""
    rng = np.random.default_rng(1)
    X, y = toy_3d(n=24, n_frames=40, n_features=4)
    clf = SERClassifier(**{**SMALL_NET, "attention": attention, "batch_size": 64,
                           "max_epochs": 2}).fit(X, y)
    sample = np.full((1, 500, 4), np.nan, dtype=np.float32)
    sample[0, :250] = rng.normal(size=(250, 4))
    longer = np.full((5, 500, 4), np.nan, dtype=np.float32)
    for i, length in enumerate([260, 300, 420, 480, 500]):
        longer[i, :length] = rng.normal(size=(length, 4))
    unpadded = clf.predict_proba(_pad_to(sample, 250))[0]
    alone_300 = clf.predict_proba(_pad_to(sample, 300))[0]
    alone_500 = clf.predict_proba(sample)[0]
    batched_500 = clf.predict_proba(np.concatenate([longer[:2], sample, longer[2:]]))[2]
    batched_300 = clf.predict_proba(
        _pad_to(np.concatenate([sample, longer[:2]]), 300)
    )[0]
    for other in (alone_300, alone_500, batched_500, batched_300):
        np.testing.assert_allclose(other, unpadded, atol=1e-5)
    weights = clf.attention_weights(np.concatenate([longer[:2], sample]))
    np.testing.assert_allclose(weights[2], clf.attention_weights(sample)[0], atol=1e-5)


def test_length_of_predict_input_may_differ_from_fit():
    X, y = toy_3d(n_frames=12)
    clf = SERClassifier(**SMALL_NET).fit(X, y)
    np.testing.assert_allclose(
        clf.predict_proba(_pad_to(X, 30)), clf.predict_proba(X), atol=1e-6
    )


# ---------------------------------------------------------------------------
# Learning and attention
# ---------------------------------------------------------------------------


def _segment_problem(n, seed, n_frames=40, n_features=4, segment=6, n_classes=3):
    """Noise sequences; the class lives in a short segment at a random place."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(24, n_frames + 1, size=n)
    starts = np.array([rng.integers(0, length - segment + 1) for length in lengths])
    y = rng.integers(n_classes, size=n)
    X = np.full((n, n_frames, n_features), np.nan, dtype=np.float32)
    for i in range(n):
        X[i, : lengths[i]] = rng.normal(size=(lengths[i], n_features))
        X[i, starts[i] : starts[i] + segment, y[i]] += 3.0
        X[i, starts[i] : starts[i] + segment, -1] += 3.0
    return X, y, starts, segment


@pytest.mark.parametrize("attention", ATTENTIONS)
def test_learns_and_attends_to_the_segment(attention):
    X, y, _, _ = _segment_problem(240, seed=0)
    X_test, y_test, starts, segment = _segment_problem(120, seed=1)
    clf = SERClassifier(
        attention=attention, hidden_units=16, lstm_units=8, attention_units=8,
        lr=1e-2, l2=0.0, dropout=0.0, noise_variance=0.0, max_epochs=12,
        batch_size=16, validation_fraction=None, random_state=0, device="cpu",
    ).fit(X, y)
    assert np.mean(clf.predict(X_test) == y_test) >= 0.9
    weights = clf.attention_weights(X_test)
    share = np.mean([w[s : s + segment].sum() / w.sum() for w, s in zip(weights, starts,
                                                                         strict=True)])
    uniform = np.mean([segment / len(w) for w in weights])
    if attention == "mean":
        assert share == pytest.approx(uniform)
    else:
        assert share > 0.5 > uniform


def test_attention_weights_shapes_and_sums():
    X, y = toy_3d()
    lengths = (~np.isnan(X).all(axis=2)).sum(axis=1)
    for attention in ATTENTIONS:
        clf = SERClassifier(**{**SMALL_NET, "attention": attention, "max_epochs": 1})
        weights = clf.fit(X, y).attention_weights(X)
        assert [w.shape[0] for w in weights] == lengths.tolist()
        np.testing.assert_allclose([w.sum() for w in weights], 1.0, atol=1e-6)
        assert all(np.all(w > 0) for w in weights)
    clf = SERClassifier(**{**SMALL_NET, "attention": "mean", "max_epochs": 1}).fit(X, y)
    np.testing.assert_allclose(clf.attention_weights(X)[0], 1 / lengths[0])
    clf = SERClassifier(**{**SMALL_NET, "attention_normalization": "none",
                           "max_epochs": 1}).fit(X, y)
    w = clf.attention_weights(X)[0]
    assert np.all((w > 0) & (w < 1)) and not np.isclose(w.sum(), 1.0)


# ---------------------------------------------------------------------------
# Labels, probabilities, randomness
# ---------------------------------------------------------------------------


def test_labels_and_probabilities():
    X, y = toy_3d(n=42, labels=("neu", "ang", "sad"))
    clf = SERClassifier(**SMALL_NET).fit(X, y)
    np.testing.assert_array_equal(clf.classes_, ["ang", "neu", "sad"])
    proba = clf.predict_proba(X)
    assert proba.shape == (42, 3) and proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    assert set(clf.predict(X)) <= {"ang", "neu", "sad"}
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    # Integer labels that are not 0..k-1 work too.
    clf_int = SERClassifier(**SMALL_NET).fit(X, np.where(y == "ang", 7, 3))
    np.testing.assert_array_equal(clf_int.classes_, [3, 7])
    assert set(clf_int.predict(X)) <= {3, 7}


def test_random_state_reproducible_and_torch_rng_untouched():
    X, y = toy_3d()
    state = torch.get_rng_state()
    a = SERClassifier(**SMALL_NET).fit(X, y).predict_proba(X)
    assert torch.equal(state, torch.get_rng_state())
    b = SERClassifier(**SMALL_NET).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    c = SERClassifier(**{**SMALL_NET, "random_state": 1}).fit(X, y).predict_proba(X)
    assert not np.allclose(a, c)


# ---------------------------------------------------------------------------
# Training details: validation split, best epoch, class weights, L2, noise
# ---------------------------------------------------------------------------


def test_group_aware_validation_split_through_metadata_routing():
    X, y, groups = grouped_3d()
    with config_context(enable_metadata_routing=True):
        clf = SERClassifier(**SMALL_NET).set_fit_request(groups=True)
        result = cross_validate(
            clf, X, y, params={"groups": groups}, cv=GroupKFold(n_splits=2),
            scoring=SCORING, return_estimator=True, return_indices=True,
        )
    for est, train in zip(result["estimator"], result["indices"]["train"], strict=True):
        g = groups[train]
        valid = est.validation_indices_
        assert valid.size > 0
        assert set(g[valid]).isdisjoint(np.delete(g, valid))
    assert np.all(result["test_WA"] >= 0) and np.all(result["test_UA"] <= 1)


def test_l2_is_coupled_adam_weight_decay_on_every_parameter():
    X, y = toy_3d()
    clf = SERClassifier(**{**SMALL_NET, "l2": 0.05}).fit(X, y)
    (group,) = clf.optimizer_.param_groups
    assert isinstance(clf.optimizer_, torch.optim.Adam)
    assert group["weight_decay"] == 0.05 and group["lr"] == SMALL_NET["lr"]
    assert {id(p) for p in group["params"]} == {id(p) for p in clf.module_.parameters()}

    exempt = SERClassifier(**{**SMALL_NET, "l2": 0.05},
                           optimizer__param_groups=[("*bias*", {"weight_decay": 0})])
    biases = {id(p) for n, p in exempt.fit(X, y).module_.named_parameters()
              if "bias" in n}
    for group in exempt.optimizer_.param_groups:
        assert {id(p) in biases for p in group["params"]} == {group["weight_decay"] == 0}

    # Adam(weight_decay=g) == Adam on loss + g * sum(w ** 2) / 2 (tf.nn.l2_loss).
    torch.manual_seed(0)
    a = torch.nn.Linear(3, 2)
    b = torch.nn.Linear(3, 2)
    b.load_state_dict(a.state_dict())
    opt_a = torch.optim.Adam(a.parameters(), lr=0.1, weight_decay=0.05)
    opt_b = torch.optim.Adam(b.parameters(), lr=0.1)
    x = torch.randn(5, 3)
    for _ in range(5):
        opt_a.zero_grad()
        a(x).pow(2).sum().backward()
        opt_a.step()
        opt_b.zero_grad()
        l2 = sum(p.pow(2).sum() / 2 for p in b.parameters())
        (b(x).pow(2).sum() + 0.05 * l2).backward()
        opt_b.step()
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(pa, pb, rtol=1e-5, atol=1e-6)


def test_noise_only_on_valid_training_frames():
    torch.manual_seed(0)
    net = SERNet(3, 2, hidden_units=4, lstm_units=2, attention_units=2,
                 dropout=0.0, noise_variance=0.4)
    clean = SERNet(3, 2, hidden_units=4, lstm_units=2, attention_units=2,
                   dropout=0.0, noise_variance=0.0)
    clean.load_state_dict(net.state_dict())
    x, lengths = _tiny_batch()
    seen = []
    net.frames.register_forward_pre_hook(lambda m, args: seen.append(args[0].clone()))
    net.train()
    net(x, lengths)
    noisy = seen[-1]
    mask = (torch.arange(9)[None] < lengths[:, None]).unsqueeze(-1).expand_as(x)
    assert torch.all(noisy[~mask] == 0)
    added = (noisy - x)[mask]
    assert torch.all(added != 0)
    assert 0.2 < added.var().item() < 0.7
    net.eval()
    clean.eval()
    with torch.no_grad():
        torch.testing.assert_close(net(x, lengths), clean(x, lengths))


def test_validation_loss_has_no_noise():
    X, y = toy_3d(n=40)
    clf = SERClassifier(**{**SMALL_NET, "max_epochs": 1, "validation_fraction": 0.5,
                           "noise_variance": 100.0, "dropout": 0.5,
                           "batch_size": 64}).fit(X, y)
    valid = clf.validation_indices_
    Xz, lengths = prepare_input(X[valid])
    clf.module_.eval()
    with torch.no_grad():
        logits = clf.module_(torch.from_numpy(Xz), torch.from_numpy(lengths))
    y_enc = torch.as_tensor(np.searchsorted(clf.classes_, y[valid]))
    expected = clf.criterion_(logits, y_enc).item()
    # One validation batch: the recorded loss is the loss of the whole split.
    assert clf.history_[-1, "valid_loss"] == pytest.approx(expected, rel=1e-5)


def test_partial_fit_continues_training():
    X, y = toy_3d()
    clf = SERClassifier(**SMALL_NET).fit(X, y)
    before = {k: v.clone() for k, v in clf.module_.state_dict().items()}
    module = clf.module_
    clf.partial_fit(X, y)
    assert clf.module_ is module
    assert any(not torch.equal(before[k], v) for k, v in module.state_dict().items())
    with pytest.raises(ValueError, match="hap"):
        clf.partial_fit(X, np.where(y == "ang", "hap", y))
    with pytest.raises(ValueError, match="3 features"):
        clf.partial_fit(X[:, :, :2], y)


def test_grid_search_over_attention_in_a_pipeline():
    X, y = toy_3d(n=32)
    pipe = Pipeline([("padcrop", PadCrop(n_frames=10)),
                     ("classifier", SERClassifier(**{**SMALL_NET, "max_epochs": 1}))])
    search = GridSearchCV(pipe, {"classifier__attention": ["mean", "lstm"]}, cv=2,
                          scoring=SCORING, refit="UA").fit(X, y)
    assert search.best_params_["classifier__attention"] in {"mean", "lstm"}
    best = search.best_estimator_.named_steps["classifier"]
    assert best.attention == search.best_params_["classifier__attention"]
    expected = "MeanPooling" if best.attention == "mean" else "LSTMAttention"
    assert type(best.module_.pooling).__name__ == expected
    assert set(search.predict(X)) <= {"ang", "sad"}


def test_set_params_changes_the_network():
    X, y = toy_3d()
    clf = SERClassifier(**SMALL_NET).fit(X, y)
    clf.set_params(attention="yang", lstm_units=5)
    clf.fit(X, y)
    assert type(clf.module_.pooling).__name__ == "YangAttention"
    assert clf.module_.output.in_features == 10


def test_packed_implementation_gives_same_predictions_as_masked():
    X, y = toy_3d()
    masked = SERClassifier(**SMALL_NET).fit(X, y)
    packed = SERClassifier(**SMALL_NET, module__rnn_implementation="packed")
    packed.fit(X, y)
    # Different parameter layout; copy the masked weights into the packed net.
    state = packed.module_.state_dict()
    src = masked.module_.state_dict()
    for key in state:
        if ".lstm." in key or key.startswith("rnn.lstm"):
            prefix, name = key.rsplit(".", 1)
            prefix = prefix[: -len("lstm")]
            direction = "backward_lstm" if name.endswith("_reverse") else "forward_lstm"
            state[key] = src[f"{prefix}{direction}.{name.replace('_reverse', '')}"]
        else:
            state[key] = src[key]
    packed.module_.load_state_dict(state)
    np.testing.assert_allclose(packed.predict_proba(X), masked.predict_proba(X),
                               atol=1e-5)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu():
    X, y = toy_3d()
    cpu = SERClassifier(**SMALL_NET).fit(X, y)
    gpu = SERClassifier(**{**SMALL_NET, "device": "cuda"}).fit(X, y)
    assert next(gpu.module_.parameters()).is_cuda
    np.testing.assert_allclose(gpu.predict_proba(X), cpu.predict_proba(X), atol=1e-2)


# ---------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------


def test_2d_input_suggests_padcrop():
    X, y = toy_3d()
    with pytest.raises(ValueError, match="PadCrop"):
        SERClassifier(**SMALL_NET).fit(X[:, 0, :], y)


def test_wrong_feature_count_at_predict():
    X, y = toy_3d(n_features=3)
    clf = SERClassifier(**SMALL_NET).fit(X, y)
    with pytest.raises(ValueError, match="4 features per frame.*expecting 3"):
        clf.predict(np.concatenate([X, X[:, :, :1]], axis=2))


def test_all_padding_sample_is_named():
    X, y = toy_3d()
    X[7] = np.nan
    with pytest.raises(ValueError, match="Sample 7 .*all padding"):
        SERClassifier(**SMALL_NET).fit(X, y)
    clf = SERClassifier(**SMALL_NET).fit(*toy_3d())
    with pytest.raises(ValueError, match="Sample 7 "):
        clf.predict(X)


def test_non_finite_values_in_valid_frames():
    X, y = toy_3d()
    X[0] = np.nan_to_num(X[0], nan=0.0)  # full length
    bad = X.copy()
    bad[3, 1, 0] = np.nan
    with pytest.raises(ValueError, match="Sample 3 .*non-finite.*frame 1"):
        SERClassifier(**SMALL_NET).fit(bad, y)
    bad = X.copy()
    bad[5, 2, 1] = np.inf
    with pytest.raises(ValueError, match="infinite.*sample 5"):
        SERClassifier(**SMALL_NET).fit(bad, y)
    bad = X.copy()
    bad[0, 2] = np.nan  # a whole NaN frame before valid ones
    with pytest.raises(ValueError, match="Sample 0 .*frame 2.*after the valid frames"):
        SERClassifier(**SMALL_NET).fit(bad, y)


def test_fewer_than_two_classes():
    X, _ = toy_3d()
    with pytest.raises(ValueError, match="at least 2 classes"):
        SERClassifier(**SMALL_NET).fit(X, np.array(["ang"] * len(X)))


def test_bad_y_and_groups():
    X, y = toy_3d()
    with pytest.raises(ValueError, match="39"):
        SERClassifier(**SMALL_NET).fit(X, y[:-1])
    with pytest.raises(ValueError, match="2 groups"):
        SERClassifier(**SMALL_NET).fit(X, y, groups=np.zeros(len(y)))


@pytest.mark.parametrize(
    "params, match",
    [
        ({"attention": "bahdanau"}, "attention"),
        ({"attention_normalization": "softmax"}, "attention_normalization"),
        ({"validation_fraction": 1.0}, "validation_fraction"),
        ({"dropout": 1.0}, "dropout"),
        ({"lr": 0.0}, "lr"),
        ({"patience": 0}, "patience"),
        ({"module__attention": "mean"}, "attention"),
        ({"optimizer__weight_decay": 0.1}, "l2"),
    ],
)
def test_invalid_parameters(params, match):
    X, y = toy_3d()
    clf = SERClassifier(**{**SMALL_NET, **params})  # __init__ does not validate
    with pytest.raises(ValueError, match=match):
        clf.fit(X, y)




