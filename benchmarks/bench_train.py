"""Training and inference speed of SERClassifier.

Prints four tables:

1. parameters of each pooling variant (paper configuration);
2. length handling: seconds per training epoch on an IEMOCAP-like length
   distribution (log-normal, median 2.7 s, about 10 % longer than 5 s, cut at
   500 frames) for naive padding to 500 frames, trimming each batch to its
   longest utterance, length-bucketed batches (the default) and packed
   sequences, with the largest difference of the predicted probabilities
   between the naive path and the default one (same weights);
3. skorch overhead: epoch time of ``SERClassifier.fit`` against a hand-written
   PyTorch loop doing the same work (same module, data, batches, seed,
   validation pass and best-epoch copy);
4. inference: ``predict_proba`` of one 5 s utterance (500 frames), the
   network only, per pooling variant, and the same network exported with
   :func:`sklearn_ser.export_onnx` and run by ONNX Runtime (when installed)
   with the same number of threads.

Run ``python benchmarks/bench_train.py --help`` for the options; the defaults
take about ten minutes on a 2-core CPU. Alternatives are timed in the same
run, interleaved, and medians are reported, both in wall-clock and in process
CPU seconds: on a shared machine the wall clock also counts the time other
programs hold the cores, the CPU time does not.
"""

import argparse
import copy
import tempfile
import time

import numpy as np
import torch
from sklearn.utils import check_random_state
from skorch.callbacks import Callback
from torch.utils.data import DataLoader, Subset

from sklearn_ser import SERClassifier
from sklearn_ser._loaders import (
    LengthBucketLoader,
    TrimLoader,
    make_dataset,
    prepare_input,
)
from sklearn_ser._network import SERNet
from sklearn_ser._paper import (
    ATTENTION_UNITS,
    ATTENTIONS,
    BATCH_SIZE,
    DROPOUT,
    HIDDEN_UNITS,
    L2,
    LR,
    LSTM_UNITS,
    N_FRAMES,
    NOISE_VARIANCE,
)
from sklearn_ser._training import seeded_torch, validation_split
from sklearn_ser.metrics import wa_ua_score

N_FEATURES = 32
N_CLASSES = 4
PAPER = dict(hidden_units=HIDDEN_UNITS, lstm_units=LSTM_UNITS,
             attention_units=ATTENTION_UNITS)


def iemocap_like(n, seed=0):
    """NaN-padded utterances with IEMOCAP-like lengths (10 ms frames)."""
    rng = np.random.default_rng(seed)
    sigma = np.log(500 / 270) / 1.2816  # P(length > 5 s) = 10 %
    lengths = np.clip(rng.lognormal(np.log(270), sigma, n).astype(int), 50, N_FRAMES)
    y = np.arange(n) % N_CLASSES
    X = np.full((n, N_FRAMES, N_FEATURES), np.nan, dtype=np.float32)
    for i, length in enumerate(lengths):
        X[i, :length] = rng.normal(size=(length, N_FEATURES))
        X[i, :length, y[i]] += 0.5
    return X, y, lengths


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
# 2. length handling
# ---------------------------------------------------------------------------


def _train_batches(net, loader, optimizer, criterion, max_batches=None):
    """One pass of training; returns (wall seconds, CPU seconds, batches)."""
    net.train()
    n = 0
    start = time.perf_counter(), time.process_time()
    for x, y in loader:
        optimizer.zero_grad()
        loss = criterion(net(**x), y)
        loss.backward()
        optimizer.step()
        n += 1
        if max_batches is not None and n >= max_batches:
            break
    return time.perf_counter() - start[0], time.process_time() - start[1], n


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
# 3. skorch overhead
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
# 4. inference
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-utterances", type=int, default=320)
    parser.add_argument("--repeats", type=int, default=3,
                        help="interleaved repetitions of each timing")
    parser.add_argument("--epochs", type=int, default=2,
                        help="epochs per fit in the skorch-overhead comparison")
    parser.add_argument("--overhead-runs", type=int, default=6,
                        help="alternating fits of each loop in the skorch-overhead "
                             "comparison")
    parser.add_argument("--packed-batches", type=int, default=2,
                        help="batches timed for the (slow) packed strategies")
    parser.add_argument("--inference-runs", type=int, default=50)
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads (default: torch's default)")
    parser.add_argument("--only", choices=["params", "length", "overhead", "inference"],
                        action="append", help="run only these parts")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    parts = args.only or ["params", "length", "overhead", "inference"]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)")
    X, y, _ = iemocap_like(args.n_utterances)
    if "params" in parts:
        parameter_table()
    if "length" in parts:
        length_table(X, y, args.repeats, args.packed_batches)
    if "overhead" in parts:
        overhead_table(X, y, args.epochs, args.overhead_runs)
    if "inference" in parts:
        inference_table(args.inference_runs)


if __name__ == "__main__":
    main()
