"""Training and inference speed of SERClassifier.

Utterance lengths follow IEMOCAP (see ``DURATION_QUANTILES``), cut at 500
frames. Prints these tables:

1. parameters of each pooling variant (paper configuration);
2. the length model against the published IEMOCAP figures;
3. per pooling: seconds per training epoch, frames per second and the
   projected time of one leave-one-session-out fold of the paper's recipe
   (3,600 training utterances x 200 epochs) for a bare float32 PyTorch loop
   over random batches padded to 500 frames and for ``SERClassifier.fit``
   (length-bucketed batches cut to their longest utterance); then what the
   hardware allows: the float32 matrix-product rates of the network's shapes
   measured in the same run, the training FLOPs per frame, and the fold time
   if every product ran at the measured rate and nothing else took time;
4. training options of the default path (``attention="lstm"``): precision
   ``"bf16"`` and ``"fp16"``, one torch thread, torch's own LSTM kernels
   instead of oneDNN's, each against the default in the same run, with the
   largest difference of the predicted probabilities from float32 (same
   weights);
5. one LSTM layer, forward and backward: oneDNN against torch's kernels, one
   against two threads, and both directions of a BiLSTM run as one call over
   a doubled batch (what fusing the directions would compute), and the two
   directions run at once in two threads of one torch thread each; then the
   share of each kind of operator in a training step (torch.profiler);
6. length handling: naive padding, trimming each batch to its longest
   utterance, length-bucketed batches (the default) and packed sequences,
   with the largest difference of the predicted probabilities between the
   naive path and the default one (same weights);
7. skorch overhead: epoch time of ``SERClassifier.fit`` against a
   hand-written PyTorch loop doing the same work (same module, data,
   batches, seed, validation pass and best-epoch copy);
8. inference: ``predict_proba`` of one 5 s utterance (500 frames), the
   network only, per pooling variant, and the same network exported with
   :func:`sklearn_ser.export_onnx` and run by ONNX Runtime (when installed)
   with the same number of threads;
9. only with ``--only accuracy`` (long): UA per leave-one-session-out fold
   of the fast recipe (speaker normalisation, ``attention="lstm"``) on the
   synthetic corpus, for each precision.

Run ``python benchmarks/bench_train.py --help`` for the options; the defaults
take about fifteen minutes on a 2-core CPU. ``--device cuda`` times tables
3 and 4 on a GPU (float32, bf16, fp16; see ``benchmarks/gpu_check.sh``).
Alternatives are timed in the same run, interleaved, and medians are
reported, both in wall-clock and in process CPU seconds: on a shared machine
the wall clock also counts the time other programs hold the cores, the CPU
time does not.

The script is longer than the package's modules (about 1,000 lines): it is
one command whose tables each sit in a section of their own with the
helpers only they use, and ``--only`` runs one table; splitting it would
split one benchmark's options and shared corpus across files.
"""

import contextlib
import copy
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
from _common import Run, make_parser, printed_tables, torch_threads
from sklearn.utils import check_random_state
from skorch.callbacks import Callback
from torch.utils.data import DataLoader, Subset

from sklearn_ser import SERClassifier, evaluate_sessions, make_ser_pipeline
from sklearn_ser._paper import (
    ATTENTION_UNITS,
    ATTENTIONS,
    BATCH_SIZE,
    DROPOUT,
    HIDDEN_UNITS,
    L2,
    LR,
    LSTM_UNITS,
    MAX_EPOCHS,
    N_FRAMES,
    NOISE_VARIANCE,
)
from sklearn_ser.datasets import make_emotional_speech
from sklearn_ser.metrics import wa_ua_score
from sklearn_ser.network._loaders import (
    LengthBucketLoader,
    TrimLoader,
    make_dataset,
    prepare_input,
)
from sklearn_ser.network._modules import SERNet
from sklearn_ser.network._precision import autocast, check_precision, run_lstm
from sklearn_ser.network._training import seeded_torch, validation_split
from sklearn_ser.pipeline._evaluation import with_speakers
from sklearn_ser.pipeline._factories import recipe_params

N_FEATURES = 32
N_CLASSES = 4
PAPER = dict(hidden_units=HIDDEN_UNITS, lstm_units=LSTM_UNITS,
             attention_units=ATTENTION_UNITS)


#: Quantiles of the durations (seconds) of the IEMOCAP utterances of the four
#: classes with excited merged into happy (5,531 utterances, 6.99 h), as
#: (probability, seconds). The median (3.58 s), the share above 5 s (31.7 %,
#: i.e. the 68.3 % quantile is 5 s), the 90th percentile (8.69 s) and the
#: maximum (34.1 s) are the published figures (from the per-utterance
#: durations that EmoBox publishes); the other points are those of the
#: log-normal with median 3.58 s and sigma 0.70 that matches them, with the
#: 95 % and 99 % points lowered so that the mean is the published 4.55 s.
#: Lengths are drawn by inverse-CDF sampling, log-linear between the points.
DURATION_QUANTILES = (
    (0.00, 0.36), (0.01, 0.70), (0.05, 1.13), (0.10, 1.46), (0.20, 1.99),
    (0.30, 2.48), (0.40, 3.00), (0.50, 3.58), (0.60, 4.27), (0.683, 5.00),
    (0.70, 5.17), (0.80, 6.45), (0.90, 8.69), (0.95, 11.0), (0.99, 16.0),
    (1.00, 34.1),
)
#: The published figures that the table reproduces.
IEMOCAP_DURATIONS = {"median s": 3.58, "mean s": 4.55, "90th percentile s": 8.69,
                     "max s": 34.1, "share above 5 s": 0.317}
#: Training utterances of one leave-one-session-out fold, and the epochs of the
#: paper's recipe, for the projected fold time.
FOLD_UTTERANCES = 3600


def iemocap_durations(n, rng):
    """``n`` utterance durations (seconds) drawn from ``DURATION_QUANTILES``."""
    p, seconds = np.array(DURATION_QUANTILES).T
    return np.exp(np.interp(rng.random(n), p, np.log(seconds)))


def iemocap_like(n, seed=0):
    """NaN-padded utterances with IEMOCAP lengths (10 ms frames, cut at 500)."""
    rng = np.random.default_rng(seed)
    frames = np.round(100 * iemocap_durations(n, rng)).astype(int)
    lengths = np.clip(frames, 1, N_FRAMES)
    y = np.arange(n) % N_CLASSES
    X = np.full((n, N_FRAMES, N_FEATURES), np.nan, dtype=np.float32)
    for i, length in enumerate(lengths):
        X[i, :length] = rng.normal(size=(length, N_FEATURES))
        X[i, :length, y[i]] += 0.5
    return X, y, lengths


def length_model_table(n_utterances):
    seconds = iemocap_durations(200_000, np.random.default_rng(0))
    frames = np.clip(np.round(100 * seconds), 1, N_FRAMES)
    _, _, lengths = iemocap_like(n_utterances)
    print("\n## Length model (IEMOCAP, 4 classes, excited merged)\n")
    print("| figure | published | length model (200,000 draws) |")
    print("|---|---|---|")
    model = {"median s": np.median(seconds), "mean s": seconds.mean(),
             "90th percentile s": np.quantile(seconds, 0.9), "max s": seconds.max(),
             "share above 5 s": np.mean(seconds > 5)}
    for name, value in IEMOCAP_DURATIONS.items():
        fmt = "{:.1%}" if "share" in name else "{:.2f}"
        print(f"| {name} | {fmt.format(value)} | {fmt.format(model[name])} |")
    print(f"\nframes per utterance after the {N_FRAMES}-frame cut: mean "
          f"{frames.mean():.0f} (ideal speed-up of cutting each batch to its "
          f"utterances: {N_FRAMES / frames.mean():.2f}x); the benchmark's "
          f"{n_utterances} utterances: mean {lengths.mean():.0f}, "
          f"{np.mean(lengths >= N_FRAMES):.0%} cut")


def _fold_hours(seconds_per_epoch, n_utterances, epochs=MAX_EPOCHS):
    """Hours of one fold: ``FOLD_UTTERANCES`` utterances x ``epochs``."""
    return seconds_per_epoch * FOLD_UTTERANCES / n_utterances * epochs / 3600


def _sync(device):
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def _median(values):
    return float(np.median(values))


# ---------------------------------------------------------------------------
# 1. parameters
# ---------------------------------------------------------------------------


def parameter_table():
    print("\n## Parameters (paper configuration: 3 x FC256, BiLSTM 128, 32 LLDs, "
          "4 classes)\n")
    print("| attention | parameters |")
    print("|---|---|")
    for attention in ATTENTIONS:
        net = SERNet(N_FEATURES, N_CLASSES, attention=attention, **PAPER)
        print(f"| {attention} | {sum(p.numel() for p in net.parameters()):,} |")


# ---------------------------------------------------------------------------
# the bare training loop
# ---------------------------------------------------------------------------


def _train_batches(net, loader, optimizer, criterion, max_batches=None,
                   device="cpu"):
    """One pass of training; returns (wall seconds, CPU seconds, batches)."""
    net.train()
    n = 0
    start = time.perf_counter(), time.process_time()
    for x, y in loader:
        x = {k: v.to(device) for k, v in x.items()}
        optimizer.zero_grad()
        loss = criterion(net(**x), y.to(device))
        loss.backward()
        optimizer.step()
        n += 1
        if max_batches is not None and n >= max_batches:
            break
    _sync(device)
    return time.perf_counter() - start[0], time.process_time() - start[1], n


# ---------------------------------------------------------------------------
# 3. per pooling: naive padding against the default path
# ---------------------------------------------------------------------------


def _naive_epoch(X, y, attention, device):
    """One epoch of the bare float32 loop: random batches padded to 500 frames."""
    Xz, lengths = prepare_input(X)
    loader = DataLoader(make_dataset(Xz, lengths, y), batch_size=BATCH_SIZE,
                        shuffle=True)
    torch.manual_seed(0)
    net = SERNet(N_FEATURES, N_CLASSES, attention=attention,
                 noise_variance=NOISE_VARIANCE, **PAPER).to(device)
    optimizer = torch.optim.Adam(net.parameters(), lr=LR, weight_decay=L2)
    wall, cpu, _ = _train_batches(net, loader, optimizer,
                                  torch.nn.CrossEntropyLoss(), device=device)
    return wall, cpu


def _classifier_epoch(X, y, device, **params):
    """Wall and CPU seconds of one training epoch of ``SERClassifier.fit``."""
    clock = _EpochClock()
    params = {"attention": "lstm", **params}
    clf = SERClassifier(max_epochs=1, validation_fraction=None, random_state=0,
                        device=device, callbacks=[clock], **PAPER, **params)
    clf.fit(X, y)
    return clock.wall[0], clock.cpu[0], clf


def _fast_epoch(X, y, attention, device):
    """One epoch of the fast recipe (its network, frames and batches)."""
    params = recipe_params("fast")
    X = X[:, : params.pop("n_frames")]
    params.update(max_epochs=1, validation_fraction=None, attention=attention)
    clock = _EpochClock()
    SERClassifier(random_state=0, device=device, callbacks=[clock],
                  **params).fit(X, y)
    return clock.wall[0], clock.cpu[0]


def pooling_table(X, y, lengths, repeats, device):
    n = len(y)
    paths = ("naive", "default", "fast recipe")
    fast_epochs = recipe_params("fast")["max_epochs"]
    times = {(a, p): ([], []) for a in ATTENTIONS for p in paths}
    # An untimed warm-up epoch, then the paths alternate, starting with each
    # one in turn.
    _classifier_epoch(X[:BATCH_SIZE], y[:BATCH_SIZE], device)
    for run in range(repeats):
        for attention in ATTENTIONS:
            for path in paths if run % 2 == 0 else paths[::-1]:
                if path == "naive":
                    wall, cpu = _naive_epoch(X, y, attention, device)
                elif path == "fast recipe":
                    wall, cpu = _fast_epoch(X, y, attention, device)
                else:
                    wall, cpu, _ = _classifier_epoch(X, y, device,
                                                     attention=attention)
                times[attention, path][0].append(wall)
                times[attention, path][1].append(cpu)
    frames = lengths.sum()
    print(f"\n## Training epoch per pooling ({n} utterances, IEMOCAP lengths, mean "
          f"{lengths.mean():.0f} frames, {np.mean(lengths >= N_FRAMES):.0%} cut at "
          f"{N_FRAMES}; paper network; batch {BATCH_SIZE}; {device}, "
          f"{torch.get_num_threads()} thread(s); median of {repeats})\n")
    print("naive: bare float32 PyTorch loop, random batches padded to 500 frames; "
          "default: SERClassifier.fit, length-bucketed batches cut to their "
          "longest utterance; fast recipe: SERClassifier.fit with the fast "
          "recipe's network (64/32/32 units), 300 frames and batches of 16. "
          "frames/s counts the utterances' frames (the same "
          f"{frames:,} for naive and default). Fold: {FOLD_UTTERANCES:,} training "
          f"utterances x {MAX_EPOCHS} epochs ({fast_epochs} for the fast recipe), "
          "from the wall clock (from CPU seconds in brackets).\n")
    print("| pooling | path | wall s / epoch | CPU s / epoch | frames/s | "
          "fold h | speed-up wall | speed-up CPU |")
    print("|---|---|---|---|---|---|---|---|")
    for attention in ATTENTIONS:
        base_wall, base_cpu = map(_median, times[attention, "naive"])
        for path in paths:
            wall, cpu = map(_median, times[attention, path])
            epochs = fast_epochs if path == "fast recipe" else MAX_EPOCHS
            n_frames = np.minimum(lengths, 300).sum() if path == "fast recipe" \
                else frames
            ratios = ("| - | - |" if path == "fast recipe" else
                      f"| {base_wall / wall:.2f}x | {base_cpu / cpu:.2f}x |")
            print(f"| {attention} | {path} | {wall:.2f} | {cpu:.2f} | "
                  f"{n_frames / wall:,.0f} | {_fold_hours(wall, n, epochs):.2f} "
                  f"({_fold_hours(cpu, n, epochs):.2f}) {ratios}")
    def table1(path, epochs=MAX_EPOCHS):
        return 10 * sum(_fold_hours(_median(times[a, path][0]), n, epochs)
                        for a in ATTENTIONS)

    print(f"\nTable 1 of the paper (4 poolings x 2 subsets x 5 folds of "
          f"{FOLD_UTTERANCES:,} training utterances; an upper bound, the "
          "improvised subset's folds are smaller), from the wall clock: naive "
          f"{table1('naive'):.0f} h, default {table1('default'):.0f} h, fast "
          f"recipe {table1('fast recipe', fast_epochs):.1f} h")
    ceiling_table(times, lengths, device)


# ---------------------------------------------------------------------------
# 3b. what the hardware allows
# ---------------------------------------------------------------------------

#: Projected fold time of the paper's recipe that the throughput goal asks for.
GOAL_FOLD_HOURS = 2.0


def training_flops(attention):
    """Floating-point operations of one training frame of the paper network.

    Returns ``(total, per_step)``: ``total`` is counted by
    :class:`torch.utils.flop_counter.FlopCounterMode` over a forward and
    backward pass with torch's LSTM kernels (oneDNN's are opaque to the
    counter; both do the same multiplications); ``per_step`` is the part that
    must run one time step after the other: the recurrent product
    ``h_{t-1} W_hh`` of the forward pass and its gradient with respect to
    ``h_{t-1}`` in the backward pass, ``2 x 2 x hidden x 4 hidden`` per frame
    and unidirectional LSTM. The rest (input projections, fully connected
    layers, weight gradients) is batched over all frames.
    """
    from torch.utils.flop_counter import FlopCounterMode

    torch.manual_seed(0)
    net = SERNet(N_FEATURES, N_CLASSES, attention=attention, **PAPER)
    batch, n_frames = 2, 40
    x = torch.randn(batch, n_frames, N_FEATURES)
    lengths = torch.full((batch,), n_frames)
    with warnings.catch_warnings():
        # Switching oneDNN off warns about TF32 on Intel GPUs.
        warnings.simplefilter("ignore", UserWarning)
        with torch.backends.mkldnn.flags(enabled=False), \
                FlopCounterMode(display=False) as counter:
            net(x, lengths).sum().backward()
    total = counter.get_total_flops() / (batch * n_frames)
    lstms = [(LSTM_UNITS, 2)] + ([(ATTENTION_UNITS, 2)] if attention == "lstm" else [])
    per_step = sum(count * 2 * 2 * units * 4 * units for units, count in lstms)
    return total, per_step


def _matmul_rate(m, k, n, device, repeats=20):
    """Median GFLOP/s of a float32 ``(m, k) @ (k, n)`` product."""
    a = torch.randn(m, k, device=device)
    b = torch.randn(k, n, device=device)
    seconds = []
    for i in range(repeats + 3):
        _sync(device)
        start = time.perf_counter()
        a @ b
        _sync(device)
        if i >= 3:
            seconds.append(time.perf_counter() - start)
    return 2 * m * k * n / _median(seconds) / 1e9


def ceiling_table(times, lengths, device):
    """How close the default path is to what this machine's matmuls allow."""
    n = len(lengths)
    rows = int(BATCH_SIZE * np.mean(lengths))
    gates = 4 * LSTM_UNITS
    # (m, k, n) of the products: input projections, weight gradients and the
    # fully connected layers over all frames; the recurrent product and its
    # gradient of one time step.
    batched_shapes = [(rows, HIDDEN_UNITS, gates), (HIDDEN_UNITS, rows, gates),
                      (rows, HIDDEN_UNITS, HIDDEN_UNITS)]
    step_shapes = [(BATCH_SIZE, LSTM_UNITS, gates), (BATCH_SIZE, gates, LSTM_UNITS)]
    rates = {shape: _matmul_rate(*shape, device)
             for shape in batched_shapes + step_shapes}
    best_batched = max(rates[shape] for shape in batched_shapes)
    best_step = max(rates[shape] for shape in step_shapes)
    print(f"\n## What the hardware allows (float32 matrix products on {device}, "
          f"{torch.get_num_threads()} thread(s), median of 20)\n")
    print("| product | kind | GFLOP/s |")
    print("|---|---|---|")
    for shape, rate in rates.items():
        kind = "batched over frames" if shape in batched_shapes else "one time step"
        print(f"| ({shape[0]}, {shape[1]}) @ ({shape[1]}, {shape[2]}) | {kind} | "
              f"{rate:.1f} |")
    frames = lengths.sum()
    fold_frames = frames / n * FOLD_UTTERANCES * MAX_EPOCHS
    print(f"\nBound: every batched product at {best_batched:.1f} GFLOP/s and "
          f"every per-step product at {best_step:.1f} GFLOP/s (the fastest "
          "measured shapes), and nothing else costing time: no gates, "
          "activations, dropout, masking, optimiser or data handling. The "
          f"goal of {GOAL_FOLD_HOURS:g} h per fold needs the frames/s of the "
          "last column.\n")
    print("| pooling | MFLOP / frame (per-step part) | default GFLOP/s | naive "
          "GFLOP/s (padded frames) | bound frames/s | bound fold h | default "
          "share of bound | bound speed-up over naive | frames/s for "
          f"{GOAL_FOLD_HOURS:g} h |")
    print("|---|---|---|---|---|---|---|---|---|")
    for attention in ATTENTIONS:
        total, per_step = training_flops(attention)
        bound = 1 / ((total - per_step) / (best_batched * 1e9)
                     + per_step / (best_step * 1e9))
        default = frames / _median(times[attention, "default"][0])
        naive_wall = _median(times[attention, "naive"][0])
        naive = n * N_FRAMES / naive_wall
        print(f"| {attention} | {total / 1e6:.2f} ({per_step / 1e6:.2f}) | "
              f"{default * total / 1e9:.1f} | {naive * total / 1e9:.1f} | "
              f"{bound:,.0f} | {fold_frames / bound / 3600:.2f} | "
              f"{default / bound:.0%} | {naive_wall / (frames / bound):.2f}x | "
              f"{fold_frames / (GOAL_FOLD_HOURS * 3600):,.0f} |")


# ---------------------------------------------------------------------------
# 4. training options of the default path
# ---------------------------------------------------------------------------


@contextlib.contextmanager
def _threads(n):
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _options(device):
    """Name -> (SERClassifier parameters, context of the fit and predict)."""
    options = {"float32 (default)": ({}, contextlib.nullcontext)}
    for precision in ("bf16", "fp16"):
        try:
            check_precision(precision, device)
        except ValueError as exc:
            print(f"\n(precision={precision!r} skipped: {exc})")
            continue
        options[f"precision={precision!r}"] = ({"precision": precision},
                                               contextlib.nullcontext)
    if torch.device(device).type == "cpu":
        if torch.get_num_threads() > 1:
            options["1 torch thread"] = ({}, lambda: _threads(1))
        options["torch LSTM kernels (oneDNN off)"] = (
            {}, lambda: torch.backends.mkldnn.flags(enabled=False))
    return options


def options_table(X, y, lengths, repeats, device):
    n = len(y)
    options = _options(device)
    times = {name: ([], []) for name in options}
    fitted = {}
    _classifier_epoch(X[:BATCH_SIZE], y[:BATCH_SIZE], device)
    names = list(options)
    for run in range(repeats):
        for name in names if run % 2 == 0 else names[::-1]:
            params, context = options[name]
            with context():
                wall, cpu, clf = _classifier_epoch(X, y, device, **params)
            times[name][0].append(wall)
            times[name][1].append(cpu)
            fitted.setdefault(name, clf)
    # Prediction differences on the weights of the float32 fit.
    reference = fitted["float32 (default)"]
    p32 = reference.predict_proba(X)
    diffs = {}
    for name, (params, context) in options.items():
        clf = copy.deepcopy(reference)
        clf.precision = params.get("precision", "float32")
        with context():
            diffs[name] = np.abs(clf.predict_proba(X) - p32).max()
    base_wall, base_cpu = map(_median, times["float32 (default)"])
    print(f"\n## Training options (SERClassifier.fit, attention='lstm', paper "
          f"network, {n} utterances, IEMOCAP lengths; {device}; one epoch, median "
          f"of {repeats}, interleaved)\n")
    print("| option | wall s / epoch | CPU s / epoch | frames/s | fold h | "
          "speed-up wall | speed-up CPU | largest |p - p_float32| |")
    print("|---|---|---|---|---|---|---|---|")
    for name in options:
        wall, cpu = map(_median, times[name])
        print(f"| {name} | {wall:.2f} | {cpu:.2f} | {lengths.sum() / wall:,.0f} | "
              f"{_fold_hours(wall, n):.2f} | {base_wall / wall:.2f}x | "
              f"{base_cpu / cpu:.2f}x | {diffs[name]:.1e} |")
    print("\nThe prediction difference is that of the trained float32 weights "
          "predicted with the option; the trained weights of the options differ "
          "further as their training steps differ.")


# ---------------------------------------------------------------------------
# 5. one LSTM layer
# ---------------------------------------------------------------------------


def _lstm_step(lstm, x, context, step=contextlib.nullcontext):
    """Wall and CPU seconds of a forward and backward pass of ``lstm``.

    ``context`` is entered around the forward pass (autocast, the choice of
    kernels, which fixes the backward's too), ``step`` around both passes
    (the number of threads).
    """
    x = x.clone().requires_grad_(True)
    with step():
        start = time.perf_counter(), time.process_time()
        with context():
            out = run_lstm(lstm, x)
        out.float().sum().backward()
        return time.perf_counter() - start[0], time.process_time() - start[1]


def _concurrent_lstm_steps(lstms, inputs, pool):
    """Two LSTM steps of one thread each, in two threads at once (autograd
    runs each backward on its own thread); wall and CPU seconds of both."""
    start = time.perf_counter(), time.process_time()
    futures = [pool.submit(_lstm_step, lstm, x, contextlib.nullcontext,
                           lambda: _threads(1))
               for lstm, x in zip(lstms, inputs, strict=True)]
    for future in futures:
        future.result()
    return time.perf_counter() - start[0], time.process_time() - start[1]


def kernel_table(lengths, repeats):
    torch.manual_seed(0)
    n_frames = int(np.mean(lengths))
    lstm = torch.nn.LSTM(HIDDEN_UNITS, LSTM_UNITS, batch_first=True)
    x = torch.randn(BATCH_SIZE, n_frames, HIDDEN_UNITS)
    x2 = torch.randn(2 * BATCH_SIZE, n_frames, HIDDEN_UNITS)
    # name -> (input, context of the forward pass, context of both passes)
    plain = contextlib.nullcontext
    variants = {
        "oneDNN, batch 32 (one direction of the default)": (x, plain, plain),
        "oneDNN, batch 64 (both directions in one call)": (x2, plain, plain),
        "torch kernels (oneDNN off), batch 32": (
            x, lambda: torch.backends.mkldnn.flags(enabled=False), plain),
    }
    concurrent = None
    if torch.get_num_threads() > 1:
        variants["oneDNN, batch 32, 1 thread"] = (x, plain, lambda: _threads(1))
        concurrent = ("two calls of 32 at once, 1 thread each (the directions "
                      "concurrently)")
        variants[concurrent] = (x2, None, None)
        pool = ThreadPoolExecutor(2)
        twin = copy.deepcopy(lstm)
    for precision in ("bf16", "fp16"):
        try:
            check_precision(precision, "cpu")
        except ValueError:
            continue
        variants[f"{precision} autocast, batch 32"] = (
            x, lambda p=precision: autocast(p, "cpu"), plain)
    times = {name: ([], []) for name in variants}
    for _ in range(repeats + 1):  # the first round warms up
        for name, (inp, context, step) in variants.items():
            if name == concurrent:
                wall, cpu = _concurrent_lstm_steps((lstm, twin), inp.chunk(2), pool)
            else:
                wall, cpu = _lstm_step(lstm, inp, context, step)
            times[name][0].append(wall)
            times[name][1].append(cpu)
    if concurrent is not None:
        pool.shutdown()
    print(f"\n## One LSTM layer ({HIDDEN_UNITS} -> {LSTM_UNITS}, {n_frames} frames, "
          f"forward + backward, {torch.get_num_threads()} thread(s), median of "
          f"{repeats})\n")
    print("| kernel | wall ms | CPU ms | wall per sequence vs default | GFLOP/s |")
    print("|---|---|---|---|---|")
    base = _median(times[next(iter(variants))][0][1:]) / BATCH_SIZE
    # Forward 2 G (I + H) per frame; backward the gradients of the input, of
    # h_{t-1} and of both weight matrices, twice that.
    flops_per_frame = 6 * 4 * LSTM_UNITS * (HIDDEN_UNITS + LSTM_UNITS)
    for name, (inp, _, _) in variants.items():
        wall, cpu = _median(times[name][0][1:]), _median(times[name][1][1:])
        rate = flops_per_frame * inp.shape[0] * n_frames / wall / 1e9
        print(f"| {name} | {1e3 * wall:.0f} | {1e3 * cpu:.0f} | "
              f"{wall / inp.shape[0] / base:.2f}x | {rate:.1f} |")


# ---------------------------------------------------------------------------
# 5b. where a training step's time goes
# ---------------------------------------------------------------------------

#: Profiler operators -> the groups of the profile table.
PROFILE_GROUPS = {
    "aten::mkldnn_rnn_layer": "LSTM forward (oneDNN)",
    "aten::mkldnn_rnn_layer_backward": "LSTM backward (oneDNN)",
    "aten::bernoulli_": "dropout masks (random draws)",
    "aten::normal_": "input noise (random draws)",
    "aten::mm": "matrix products outside the LSTMs",
    "aten::addmm": "matrix products outside the LSTMs",
    "aten::bmm": "matrix products outside the LSTMs",
}


def profile_table(lengths, steps=3):
    """Share of each kind of operator in training steps of the lstm network."""
    from torch.profiler import ProfilerActivity, profile

    torch.manual_seed(0)
    n_frames = int(np.mean(lengths))
    net = SERNet(N_FEATURES, N_CLASSES, attention="lstm",
                 noise_variance=NOISE_VARIANCE, **PAPER)
    optimizer = torch.optim.Adam(net.parameters(), lr=LR, weight_decay=L2)
    batch = ({"x": torch.randn(BATCH_SIZE, n_frames, N_FEATURES),
              "lengths": torch.full((BATCH_SIZE,), n_frames)},
             torch.arange(BATCH_SIZE) % N_CLASSES)
    criterion = torch.nn.CrossEntropyLoss()
    _train_batches(net, [batch], optimizer, criterion)  # warm-up
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        _train_batches(net, [batch] * steps, optimizer, criterion)
    shares = {}
    for event in prof.key_averages():
        group = PROFILE_GROUPS.get(event.key, "everything else")
        shares[group] = shares.get(group, 0.0) + event.self_cpu_time_total
    total = sum(shares.values())
    print(f"\n## Where a training step goes (attention='lstm', paper network, "
          f"batch {BATCH_SIZE} x {n_frames} frames, forward, backward and Adam; "
          f"self CPU time of {steps} steps under torch.profiler)\n")
    print("| operators | share |")
    print("|---|---|")
    for group, value in sorted(shares.items(), key=lambda item: -item[1]):
        print(f"| {group} | {value / total:.1%} |")


# ---------------------------------------------------------------------------
# 6. length handling
# ---------------------------------------------------------------------------


def length_table(X, y, repeats, packed_batches):
    Xz, lengths = prepare_input(X)
    dataset = make_dataset(Xz, lengths, y)
    n_batches = int(np.ceil(len(y) / 32))
    strategies = {
        "naive: pad to 500, random batches": ("masked", "naive"),
        "trim: random batches cut to their longest": ("masked", "trim"),
        "bucket: length-bucketed batches, cut (default)": ("masked", "bucket"),
        "packed: pad to 500, random batches": ("packed", "naive"),
        "packed + bucket": ("packed", "bucket"),
    }
    times = {name: ([], []) for name in strategies}
    criterion = torch.nn.CrossEntropyLoss()
    for _ in range(repeats):
        for name, (implementation, batching) in strategies.items():
            torch.manual_seed(0)
            net = SERNet(N_FEATURES, N_CLASSES, rnn_implementation=implementation,
                         noise_variance=NOISE_VARIANCE, **PAPER)
            optimizer = torch.optim.Adam(net.parameters(), lr=LR, weight_decay=L2)
            if batching == "naive":
                loader = DataLoader(dataset, batch_size=32, shuffle=True)
            else:
                loader = LengthBucketLoader(dataset, batch_size=32,
                                            bucket=batching == "bucket")
            limit = packed_batches if implementation == "packed" else None
            wall, cpu, done = _train_batches(net, loader, optimizer, criterion, limit)
            times[name][0].append(wall * n_batches / done)
            times[name][1].append(cpu * n_batches / done)

    # Same weights, naive path against the default prediction path.
    clf = SERClassifier(max_epochs=1, validation_fraction=None, random_state=0,
                        device="cpu", **PAPER).fit(X, y)
    default = clf.predict_proba(X)
    clf.module_.eval()
    with torch.no_grad():
        naive = torch.cat([
            torch.softmax(clf.module_(**x).double(), dim=1)
            for x, _ in DataLoader(make_dataset(Xz, lengths), batch_size=32)
        ]).numpy()
    diff = np.abs(default - naive).max()

    base_wall, base_cpu = map(_median, times["naive: pad to 500, random batches"])
    print(f"\n## Length handling ({len(y)} utterances, median length "
          f"{np.median(lengths):.0f} frames, {np.mean(lengths >= N_FRAMES):.0%} cut "
          f"at {N_FRAMES}; paper network, attention='lstm'; batch 32; training "
          f"epoch, median of {repeats})\n")
    print("| strategy | wall s / epoch | CPU s / epoch | speed-up (wall) | "
          "speed-up (CPU) |")
    print("|---|---|---|---|---|")
    for name, (wall, cpu) in times.items():
        note = f" (from {packed_batches} batches)" if "packed" in name else ""
        print(f"| {name}{note} | {_median(wall):.2f} | {_median(cpu):.2f} | "
              f"{base_wall / _median(wall):.2f}x | {base_cpu / _median(cpu):.2f}x |")
    print(f"\nlargest |p_naive - p_default| over {len(y)} utterances, same weights: "
          f"{diff:.2e}")
    print(f"frames processed per epoch: naive {len(y) * N_FRAMES:,}, valid "
          f"{lengths.sum():,} (ideal speed-up {len(y) * N_FRAMES / lengths.sum():.2f}x)")


# ---------------------------------------------------------------------------
# 7. skorch overhead
# ---------------------------------------------------------------------------


def _mirror_seed(random_state):
    """The torch seed SERClassifier.fit draws (after its validation split)."""
    rng = check_random_state(random_state)
    rng.randint(np.iinfo(np.int32).max)  # the validation split
    return rng.randint(np.iinfo(np.int32).max)


class _EpochClock(Callback):
    """Wall and process CPU seconds of each epoch of a skorch fit."""

    def on_train_begin(self, net, **kwargs):
        self.wall, self.cpu = [], []

    def on_epoch_begin(self, net, **kwargs):
        self._start = (time.perf_counter(), time.process_time())

    def on_epoch_end(self, net, **kwargs):
        self.wall.append(time.perf_counter() - self._start[0])
        self.cpu.append(time.process_time() - self._start[1])


def hand_fit(X, y, clf_params, valid_idx, class_weight, epochs, random_state):
    """The work of SERClassifier.fit written as a plain PyTorch loop."""
    Xz, lengths = prepare_input(X)
    dataset = make_dataset(Xz, lengths, y)
    keep = np.ones(len(y), dtype=bool)
    keep[valid_idx] = False
    valid_sorted = valid_idx[np.argsort(lengths[valid_idx], kind="stable")]
    train_loader = LengthBucketLoader(Subset(dataset, np.flatnonzero(keep)),
                                      batch_size=clf_params["batch_size"])
    valid_loader = TrimLoader(Subset(dataset, valid_sorted),
                              batch_size=clf_params["batch_size"])
    y_valid = y[valid_sorted]
    wall, cpu = [], []
    with seeded_torch(_mirror_seed(random_state), "cpu"):
        net = SERNet(N_FEATURES, N_CLASSES, attention=clf_params["attention"],
                     dropout=clf_params["dropout"],
                     noise_variance=clf_params["noise_variance"], **PAPER)
        optimizer = torch.optim.Adam(net.parameters(), lr=clf_params["lr"],
                                     weight_decay=clf_params["l2"])
        criterion = torch.nn.CrossEntropyLoss(
            weight=torch.as_tensor(class_weight, dtype=torch.float32))
        best, best_state = -np.inf, None
        for _ in range(epochs):
            start = time.perf_counter(), time.process_time()
            _train_batches(net, train_loader, optimizer, criterion)
            net.eval()
            with torch.no_grad():
                logits = torch.cat([net(**x) for x, _ in valid_loader])
                criterion(logits, torch.as_tensor(y_valid)).item()
            score = wa_ua_score(y_valid, logits.argmax(1).numpy())
            if score > best:
                best, best_state = score, copy.deepcopy(net.state_dict())
            wall.append(time.perf_counter() - start[0])
            cpu.append(time.process_time() - start[1])
        net.load_state_dict(best_state)
    return net, wall, cpu


def _mirror_split(y, clf):
    """The validation split and class weights SERClassifier.fit draws."""
    valid = validation_split(y, None, clf.validation_fraction,
                             check_random_state(clf.random_state))
    keep = np.ones(len(y), dtype=bool)
    keep[valid] = False
    counts = np.bincount(y[keep], minlength=N_CLASSES)
    return valid, keep.sum() / (N_CLASSES * counts)


def overhead_table(X, y, epochs, repeats):
    params = dict(attention="lstm", dropout=DROPOUT, noise_variance=NOISE_VARIANCE,
                  lr=LR, l2=L2, batch_size=BATCH_SIZE)
    times = {"skorch": ([], []), "hand": ([], [])}
    diffs = []
    # A first, untimed epoch of each warms up allocators and oneDNN caches; then
    # the two loops alternate, starting with each one in turn.
    for run in range(-1, repeats):
        n_epochs = 1 if run < 0 else epochs
        clock = _EpochClock()
        clf = SERClassifier(max_epochs=n_epochs, random_state=0, device="cpu",
                            callbacks=[clock], **PAPER, **params)
        for who in ("skorch", "hand") if run % 2 else ("hand", "skorch"):
            if who == "skorch":
                clf.fit(X, y)
            else:
                valid, weights = _mirror_split(y, clf)
                net, wall, cpu = hand_fit(X, y, params, valid, weights, n_epochs,
                                          random_state=0)
        if run < 0:
            continue
        for who, (w, c) in (("skorch", (clock.wall, clock.cpu)), ("hand", (wall, cpu))):
            times[who][0].extend(w)
            times[who][1].extend(c)
        diffs.append(max(
            (a - b).abs().max().item()
            for a, b in zip(net.state_dict().values(),
                            clf.module_.state_dict().values(), strict=True)
        ))
    print(f"\n## skorch overhead ({len(y)} utterances, 10 % validation, {epochs} "
          f"epochs x {repeats} alternating runs, paper network)\n")
    print("| loop | wall s / epoch (median) | CPU s / epoch (median) |")
    print("|---|---|---|")
    names = {"skorch": "SERClassifier.fit (skorch)", "hand": "hand-written PyTorch loop"}
    for who, (w, c) in times.items():
        print(f"| {names[who]} | {_median(w):.3f} | {_median(c):.3f} |")
    ratio_wall = _median(times["skorch"][0]) / _median(times["hand"][0])
    ratio_cpu = _median(times["skorch"][1]) / _median(times["hand"][1])
    print(f"\nratio skorch / hand: wall {ratio_wall:.3f}, CPU {ratio_cpu:.3f}; largest "
          f"weight difference between the two trained networks: {max(diffs):.1e}")


# ---------------------------------------------------------------------------
# 8. inference
# ---------------------------------------------------------------------------


def _onnx_session(clf, directory, threads):
    """An ONNX Runtime session of ``clf``'s network, or None without onnxruntime."""
    try:
        import onnxruntime
    except ImportError:
        return None
    from sklearn_ser import export_onnx

    path = f"{directory}/{clf.attention}.onnx"
    export_onnx(clf, path)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(path, options,
                                        providers=["CPUExecutionProvider"])


def inference_table(runs):
    rng = np.random.default_rng(0)
    X_fit = rng.normal(size=(8, 50, N_FEATURES)).astype(np.float32)
    y_fit = np.arange(8) % N_CLASSES
    one = rng.normal(size=(1, N_FRAMES, N_FEATURES)).astype(np.float32)
    threads = torch.get_num_threads()
    print(f"\n## Inference: one 5 s utterance ({N_FRAMES} frames), CPU, "
          f"{threads} thread(s), median (min) of {runs} runs\n")
    print("| attention | predict_proba ms | network forward ms | "
          "ONNX Runtime ms | parameters |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as directory:
        for attention in ATTENTIONS:
            clf = SERClassifier(attention=attention, max_epochs=1,
                                validation_fraction=None, random_state=0,
                                device="cpu", **PAPER).fit(X_fit, y_fit)
            x = torch.from_numpy(one)
            lengths = torch.tensor([N_FRAMES])
            clf.module_.eval()
            session = _onnx_session(clf, directory, threads)
            proba_ms, forward_ms, onnx_ms = [], [], []
            for i in range(runs + 5):
                start = time.perf_counter()
                clf.predict_proba(one)
                middle = time.perf_counter()
                with torch.inference_mode():
                    clf.module_(x, lengths)
                end = time.perf_counter()
                if session is not None:
                    session.run(["probabilities"], {"features": one})
                last = time.perf_counter()
                if i >= 5:
                    proba_ms.append(1e3 * (middle - start))
                    forward_ms.append(1e3 * (end - middle))
                    onnx_ms.append(1e3 * (last - end))
            onnx = (f"{_median(onnx_ms):.1f} ({min(onnx_ms):.1f})"
                    if session is not None else "n/a (no onnxruntime)")
            n_params = sum(p.numel() for p in clf.module_.parameters())
            print(f"| {attention} | {_median(proba_ms):.1f} ({min(proba_ms):.1f}) | "
                  f"{_median(forward_ms):.1f} ({min(forward_ms):.1f}) | {onnx} | "
                  f"{n_params:,} |")


# ---------------------------------------------------------------------------
# 9. accuracy of each precision
# ---------------------------------------------------------------------------


def accuracy_table(n_samples, device, requested):
    data = make_emotional_speech(n_samples=n_samples, random_state=0)
    X = with_speakers(list(data.data), data.speakers)
    precisions = ["float32"]
    for precision in [p for p in requested if p != "float32"]:
        try:
            check_precision(precision, device)
            precisions.append(precision)
        except ValueError as exc:
            print(f"\n(precision={precision!r} skipped: {exc})")
    rows = {}
    with tempfile.TemporaryDirectory() as cache:
        for precision in precisions:
            pipe = make_ser_pipeline("lstm", normalization="speaker", recipe="fast",
                                     memory=cache, random_state=0, device=device,
                                     precision=precision)
            start = time.perf_counter(), time.process_time()
            result = evaluate_sessions(pipe, X, data.target, data.groups, n_splits=5,
                                       params={"classifier__groups": data.speakers})
            rows[precision] = (result, time.perf_counter() - start[0],
                               time.process_time() - start[1])
    print(f"\n## Accuracy per precision (fast recipe, speaker normalisation, "
          f"attention='lstm', synthetic corpus of {n_samples} utterances, "
          f"leave-one-session-out; {device})\n")
    print("| precision | UA per fold | UA mean | WA mean | UA - UA float32 "
          "(points) | wall s | CPU s |")
    print("|---|---|---|---|---|---|---|")
    base = rows["float32"][0].ua_mean
    for precision, (result, wall, cpu) in rows.items():
        folds = ", ".join(f"{u:.3f}" for u in result.ua)
        print(f"| {precision} | {folds} | {result.ua_mean:.3f} | "
              f"{result.wa_mean:.3f} | {100 * (result.ua_mean - base):+.1f} | "
              f"{wall:.0f} | {cpu:.0f} |")
    print("\nThe first run also extracts the features (cached for the others).")


PARTS = ("params", "lengths", "pooling", "options", "kernels", "profile", "length",
         "overhead", "inference", "accuracy")


def main(argv=None):
    parser = make_parser(__doc__)
    parser.add_argument("--n-utterances", type=int, default=192,
                        help="utterances per training epoch")
    parser.add_argument("--option-utterances", type=int, default=32,
                        help="utterances per epoch in the training-options table "
                             "(bf16 and fp16 are slow on CPUs without such "
                             "instructions)")
    parser.add_argument("--option-repeats", type=int, default=2,
                        help="interleaved repetitions in the training-options table")
    parser.add_argument("--repeats", type=int, default=3,
                        help="interleaved repetitions of each timing")
    parser.add_argument("--epochs", type=int, default=2,
                        help="epochs per fit in the skorch-overhead comparison")
    parser.add_argument("--overhead-runs", type=int, default=4,
                        help="alternating fits of each loop in the skorch-overhead "
                             "comparison")
    parser.add_argument("--packed-batches", type=int, default=2,
                        help="batches timed for the (slow) packed strategies")
    parser.add_argument("--inference-runs", type=int, default=50)
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads (default: torch's default)")
    parser.add_argument("--device", default="cpu",
                        help="device of the pooling and options tables ('cpu', "
                             "'cuda'); the other tables run on the CPU")
    parser.add_argument("--accuracy-samples", type=int, default=400,
                        help="utterances of the synthetic corpus of the accuracy "
                             "table")
    parser.add_argument("--accuracy-precisions", nargs="+", default=["bf16"],
                        choices=["bf16", "fp16"],
                        help="precisions compared with float32 in the accuracy "
                             "table")
    parser.add_argument("--only", choices=PARTS, action="append",
                        help="run only these parts (repeatable)")
    args = parser.parse_args(argv)
    torch_threads(args.threads)
    with Run("bench_train", args) as run, printed_tables(run.results):
        _run(args)


def _run(args):
    parts = args.only or [part for part in PARTS if part != "accuracy"]
    gpu = ""
    if torch.device(args.device).type == "cuda":
        gpu = f", {torch.cuda.get_device_name()}"
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), CPU "
          f"capability {torch.backends.cpu.get_cpu_capability()}{gpu}")
    X, y, lengths = iemocap_like(args.n_utterances)
    if "params" in parts:
        parameter_table()
    if "lengths" in parts:
        length_model_table(args.n_utterances)
    if "pooling" in parts:
        pooling_table(X, y, lengths, args.repeats, args.device)
    if "options" in parts:
        m = args.option_utterances
        options_table(X[:m], y[:m], lengths[:m], args.option_repeats, args.device)
    if "kernels" in parts:
        kernel_table(lengths, args.repeats)
    if "profile" in parts:
        profile_table(lengths)
    if "length" in parts:
        length_table(X, y, args.repeats, args.packed_batches)
    if "overhead" in parts:
        overhead_table(X, y, args.epochs, args.overhead_runs)
    if "inference" in parts:
        inference_table(args.inference_runs)
    if "accuracy" in parts:
        accuracy_table(args.accuracy_samples, args.device, args.accuracy_precisions)


if __name__ == "__main__":
    main()
