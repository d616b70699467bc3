"""Benchmark of the emotion timeline: speed, memory, agreement with predict.

Three tables, each on recordings assembled from the synthetic corpus
(``make_emotional_speech``) with silences between the utterances (the
speech detector is measured on real speech by ``bench_real_speech.py``):

* **speed**: ``predict_timeline`` on a WAV file of ``--minutes`` minutes with
  the paper-size ``lstm`` network (3 x 256, BiLSTM 128, attention BiLSTM 128,
  500 frames; the weights of one short training epoch: speed does not depend
  on them), end to end (reading, features, windows, network), as a multiple
  of real time, best of ``--repeats``;
* **memory**: the peak-memory growth of ``predict_timeline`` on a file of
  ``--long-hours`` hours, measured in a fresh process (``VmHWM`` after a
  warm-up on a short file, then after the long one);
* **agreement**: a network of the ``fast`` recipe trained on ``--train``
  utterances; on a recording of held-out utterances, the share of
  utterances whose majority timeline label (by overlap) is the label
  ``predict`` gives the utterance alone, with pauses of 0.3-0.5 s and of
  1-2 s between the utterances.

Run::

    python benchmarks/bench_timeline.py                  # all tables
    python benchmarks/bench_timeline.py --only speed --minutes 2
"""

import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import soundfile as sf
from _common import Run, chance_agreement, majority_labels, make_parser

SR = 16000
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def assemble(utterances, seed=0, noise=0.0, gap=(1.0, 2.0)):
    """Utterances separated by silences; the recording and the spans (s)."""
    rng = np.random.default_rng(seed)
    parts, spans, pos = [], [], 0
    for x in utterances:
        n_gap = int(rng.uniform(*gap) * SR)
        parts += [np.zeros(n_gap, np.float32), np.asarray(x, np.float32)]
        pos += n_gap
        spans.append((pos / SR, (pos + len(x)) / SR))
        pos += len(x)
    rec = np.concatenate(parts)
    if noise:
        rec = rec + rng.normal(0, noise, rec.shape).astype(np.float32)
    return np.clip(rec, -1, 1).astype(np.float32), spans


def write_long(path, base, seconds):
    """A WAV file of ``seconds`` seconds: ``base`` repeated, written in blocks."""
    n = int(seconds * SR)
    with sf.SoundFile(path, "w", SR, 1, subtype="PCM_16") as f:
        written = 0
        while written < n:
            part = base[: n - written]
            f.write(part)
            written += len(part)


def paper_network(data):
    from sklearn_ser import make_ser_pipeline

    pipe = make_ser_pipeline("lstm", max_epochs=1, validation_fraction=None,
                             random_state=0, device="cpu")
    return pipe.fit(list(data.data[:16]), data.target[:16])


def bench_speed(args, folder, results, timed=True):
    from sklearn_ser import predict_timeline, save
    from sklearn_ser.datasets import make_emotional_speech

    data = make_emotional_speech(200, random_state=0)
    pipe = paper_network(data)
    rec, _ = assemble(data.data, seed=1)
    model = os.path.join(folder, "paper_lstm.skser")
    save(pipe, model)
    if not timed:
        return model, rec
    path = os.path.join(folder, "ten_minutes.wav")
    write_long(path, rec, 60 * args.minutes)
    duration = sf.info(path).duration
    rows = []
    cases = [("fixed", None), ("fixed", 5.0), ("vad", None)]
    times = {case: [] for case in cases}
    sizes = {}
    for _ in range(args.repeats):  # interleaved
        for segmentation, hop in cases:
            t0 = time.perf_counter()
            table = predict_timeline(pipe, path, segmentation=segmentation, hop=hop)
            times[segmentation, hop].append(time.perf_counter() - t0)
            sizes[segmentation, hop] = len(table)
    t0 = time.perf_counter()
    from sklearn_ser.timeline._frames import read_frames

    read_frames(path, None, SR)
    features = time.perf_counter() - t0
    for segmentation, hop in cases:
        best = min(times[segmentation, hop])
        rows.append((f"{segmentation}, hop {hop or 2.5:g} s", duration,
                     sizes[segmentation, hop], best, duration / best))
    rows.append(("(features only)", duration, 0, features, duration / features))
    print(f"\nSpeed: predict_timeline, paper-size lstm network, {duration / 60:.1f}-min "
          f"WAV, window 5 s, {os.cpu_count()} CPUs, torch threads "
          f"{_torch_threads()}, best of {args.repeats}")
    print(f"{'windows':<20}{'audio (s)':>10}{'segments':>10}{'time (s)':>10}"
          f"{'x real time':>13}")
    for seg, dur, n, best, ratio in rows:
        print(f"{seg:<20}{dur:>10.0f}{n:>10d}{best:>10.2f}{ratio:>13.0f}")
    results["speed"] = [dict(windows=seg, audio_s=dur, segments=n, seconds=best,
                             x_real_time=ratio) for seg, dur, n, best, ratio in rows]
    return model, rec


def _torch_threads():
    import torch

    return torch.get_num_threads()


_MEMORY_CHILD = r"""
import json, sys, time
from sklearn_ser import load, predict_timeline


def status(key):
    # This interpreter's own memory (VmHWM is its peak; ru_maxrss would also
    # hold the parent's at the exec, which Linux keeps across exec).
    with open("/proc/self/status") as f:
        return [int(line.split()[1]) for line in f if line.startswith(key + ":")][0]


model, short, long = sys.argv[1:4]
pipe = load(model)
predict_timeline(pipe, short, segmentation="fixed")
before = status("VmHWM")
rss = status("VmRSS")
t0 = time.perf_counter()
table = predict_timeline(pipe, long, segmentation="fixed")
elapsed = time.perf_counter() - t0
after = status("VmHWM")
print(json.dumps({"before_kib": before, "after_kib": after, "rss_kib": rss,
                  "segments": len(table),
                  "seconds": elapsed}))
"""


def bench_memory(args, folder, model, rec, results):
    short = os.path.join(folder, "short.wav")
    write_long(short, rec, 60)
    long = os.path.join(folder, "long.wav")
    write_long(long, rec, 3600 * args.long_hours)
    duration = sf.info(long).duration
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-c", _MEMORY_CHILD, model, short, long],
                         capture_output=True, text=True, env=env, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    growth = (result["after_kib"] - result["rss_kib"]) / 1024
    audio_mib = duration * SR * 4 / 2 ** 20
    results["memory"] = dict(result, hours=duration / 3600, growth_mib=growth,
                             float32_audio_mib=audio_mib)
    print(f"\nMemory: predict_timeline on a {duration / 3600:.1f}-hour WAV "
          "(fixed windows, paper-size lstm), in a fresh process")
    print("(growth: the peak during the long file above the memory in use just "
          "before it; the peak after a warm-up on a 1-minute file is shown too)")
    print(f"{'in use (MiB)':>13}{'peak 1 min (MiB)':>18}{'peak long (MiB)':>16}"
          f"{'growth (MiB)':>14}{'float32 audio (MiB)':>21}{'x real time':>13}")
    print(f"{result['rss_kib'] / 1024:>13.0f}{result['before_kib'] / 1024:>18.0f}"
          f"{result['after_kib'] / 1024:>16.0f}"
          f"{growth:>14.0f}{audio_mib:>21.0f}"
          f"{duration / result['seconds']:>13.0f}")


def bench_agreement(args, results):
    from sklearn_ser import make_ser_pipeline, predict_timeline
    from sklearn_ser.datasets import make_emotional_speech

    n_test = 40
    data = make_emotional_speech(args.train + n_test, random_state=0)
    t0 = time.perf_counter()
    pipe = make_ser_pipeline("lstm", recipe="fast", max_epochs=args.epochs,
                             random_state=0, device="cpu")
    pipe.fit(list(data.data[:args.train]), data.target[:args.train])
    fit = time.perf_counter() - t0
    utterances = list(data.data[args.train:])
    truth = data.target[args.train:]
    alone = pipe.predict(utterances)
    print(f"\nAgreement: lstm network, fast recipe, {args.epochs} epochs on "
          f"{args.train} utterances ({fit:.0f} s); {n_test} held-out utterances "
          "in a recording, with pauses between them")
    print(f"{'pauses (s)':<12}{'segmentation':<14}{'segments':>10}"
          f"{'agree with predict':>20}{'accuracy':>10}")
    print(f"{'':<12}{'(alone)':<14}{'':>10}{'':>20}{np.mean(alone == truth):>10.2f}")
    for gap in ((0.3, 0.5), (1.0, 2.0)):
        rec, spans = assemble(utterances, seed=2, gap=gap)
        for segmentation in ("vad", "fixed"):
            table = predict_timeline(pipe, rec, segmentation=segmentation)
            labels = majority_labels(table, spans)
            agree = np.mean([a == b for a, b in zip(labels, alone, strict=True)])
            acc = np.mean([a == b for a, b in zip(labels, truth, strict=True)])
            print(f"{f'{gap[0]}-{gap[1]}':<12}{segmentation:<14}{len(table):>10d}"
                  f"{agree:>20.1%}{acc:>10.2f}")
            results.setdefault("agreement", []).append(dict(
                pauses=list(gap), segmentation=segmentation, segments=len(table),
                agree=agree, accuracy=acc, chance=chance_agreement(alone)))


def main():
    parser = make_parser(__doc__)
    parser.add_argument("--only", choices=("speed", "memory", "agreement"),
                        action="append", help="tables to run (default: all)")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--long-hours", type=float, default=2.0)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--train", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()
    only = set(args.only or ("speed", "memory", "agreement"))
    with Run("bench_timeline", args) as run, \
            tempfile.TemporaryDirectory() as folder:
        if only & {"speed", "memory"}:
            model, rec = bench_speed(args, folder, run.results,
                                     timed="speed" in only)
            if "memory" in only:
                bench_memory(args, folder, model, rec, run.results)
        if "agreement" in only:
            bench_agreement(args, run.results)


if __name__ == "__main__":
    main()
