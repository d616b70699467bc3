"""Benchmark of LLDExtractor: speed, parallel speed-up, cache and memory.

Compares, on the same speech-like audio files and in the same run:

* ``LLDExtractor`` in one process and with ``n_jobs=2``;
* openSMILE's stock ``IS09`` set in two passes (LLDs, then deltas), through
  the ``opensmile`` package;
* an equivalent librosa implementation (MFCC 1-12, yin F0, an autocorrelation
  voicing probability, RMS, ZCR, 3-frame smoothing and deltas);
* a cache hit of ``LLDExtractor(memory=...)``;

and measures the peak memory of ``LLDExtractor`` on one long file in a fresh
process. Timings are repeated, interleaved, and the best of each is used for
the ratios (absolute times on a shared machine are noisy).

Run::

    python benchmarks/bench_lld.py                 # 60 files x 5 s, 10-min file
    python benchmarks/bench_lld.py --files 12 --repeats 2 --long-minutes 1
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import soundfile as sf
from _common import Run, busy_loop, make_parser

SR = 16000


def speech_like(seconds, seed, sr=SR):
    """Harmonic 'syllables' with a gliding F0, pauses and a little noise."""
    rng = np.random.default_rng(seed)
    n = int(round(seconds * sr))
    t = np.arange(n) / sr
    f0 = rng.uniform(110, 220) * (1 + 0.25 * np.sin(2 * np.pi * rng.uniform(0.2, 0.8) * t))
    phase = 2 * np.pi * np.cumsum(f0) / sr
    voiced = sum(np.sin(k * phase) / k for k in range(1, 8))
    syllables = np.clip(np.sin(2 * np.pi * rng.uniform(2, 5) * t + rng.uniform(0, 6)),
                        0, None) ** 0.5
    fricative = rng.standard_normal(n) * (syllables < 0.1) * 0.05
    x = 0.2 * voiced * syllables + fricative + 0.003 * rng.standard_normal(n)
    return np.clip(x, -1, 1)


def make_corpus(folder, n_files, seconds):
    paths = []
    for i in range(n_files):
        path = os.path.join(folder, f"utt{i:03d}.wav")
        sf.write(path, speech_like(seconds * (0.6 + 0.8 * (i % 5) / 4), seed=i), SR,
                 subtype="PCM_16")
        paths.append(path)
    total = sum(sf.info(p).duration for p in paths)
    return paths, total


# -- the methods ----------------------------------------------------------------

def ours(paths, n_jobs=None, memory=None):
    from sklearn_ser import LLDExtractor

    return LLDExtractor(n_jobs=n_jobs, memory=memory).transform(paths)


_STOCK = {}


def stock_two_pass(paths):
    import opensmile

    if not _STOCK:
        _STOCK["lld"] = opensmile.Smile(opensmile.FeatureSet.IS09,
                                        opensmile.FeatureLevel.LowLevelDescriptors)
        _STOCK["de"] = opensmile.Smile(
            opensmile.FeatureSet.IS09, opensmile.FeatureLevel.LowLevelDescriptors_Deltas)
    out = []
    for path in paths:
        lld = _STOCK["lld"].process_file(path).to_numpy()
        de = _STOCK["de"].process_file(path).to_numpy()
        out.append((lld, de))
    return out


def librosa_features(x, sr=SR):
    """The 16 LLDs + deltas with librosa, on the 25 ms / 10 ms frame grid."""
    import librosa
    from scipy.ndimage import uniform_filter1d

    win, hop = 400, 160
    pre = librosa.effects.preemphasis(x, coef=0.97)
    mfcc = librosa.feature.mfcc(y=pre, sr=sr, n_mfcc=13, n_fft=512, win_length=win,
                                hop_length=hop, window="hamming", center=False,
                                n_mels=26, fmax=8000, htk=True, lifter=22)[1:13]
    rms = librosa.feature.rms(y=pre, frame_length=win, hop_length=hop, center=False)
    zcr = librosa.feature.zero_crossing_rate(x, frame_length=win, hop_length=hop,
                                             center=False)
    f0 = librosa.yin(x, fmin=85, fmax=500, sr=sr, frame_length=win, hop_length=hop,
                     center=False)[None]
    frames = librosa.util.frame(x, frame_length=win, hop_length=hop)
    frames = frames * np.hamming(win)[:, None]
    ac = librosa.autocorrelate(frames, axis=0)
    lo, hi = sr // 500, sr // 85
    voicing = (ac[lo:hi].max(axis=0) / np.maximum(ac[0], 1e-10))[None]
    T = min(a.shape[1] for a in (mfcc, rms, zcr, f0, voicing))
    lld = np.concatenate([f0[:, :T], rms[:, :T], zcr[:, :T], voicing[:, :T],
                          mfcc[:, :T]])
    lld = uniform_filter1d(lld, size=3, axis=1, mode="nearest")
    deltas = librosa.feature.delta(lld, width=5, axis=1, mode="nearest")
    return np.concatenate([lld, deltas]).T.astype(np.float32)


def librosa_impl(paths):
    out = []
    for path in paths:
        x, sr = sf.read(path, dtype="float32")
        out.append(librosa_features(x, sr))
    return out


# -- memory on a long file (fresh process) ---------------------------------------

_MEMORY_SCRIPT = r"""
import json, sys
import numpy as np
from sklearn_ser import LLDExtractor

def status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024

path, warm, memory = sys.argv[1], sys.argv[2], sys.argv[3] or None
LLDExtractor().transform([warm])  # imports, config and openSMILE loaded
before = status("VmRSS")
try:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the peak (VmHWM) to the current RSS
    reset = True
except OSError:
    reset = False
[feats] = LLDExtractor(memory=memory).transform([path])
peak = status("VmHWM")
print(json.dumps({"before": before, "peak": peak, "reset": reset,
                  "frames": feats.shape[0], "feature_bytes": feats.nbytes}))
"""


def measure_memory(folder, minutes):
    import json

    path = os.path.join(folder, "long.wav")
    x = np.concatenate([speech_like(60, seed=1000 + k) for k in range(int(minutes))])
    sf.write(path, x, SR, subtype="PCM_16")
    warm = os.path.join(folder, "utt000.wav")
    infos = {}
    for label, memory in (("memory=None", ""),
                          ("memory=<dir>", os.path.join(folder, "memcache"))):
        result = subprocess.run([sys.executable, "-c", _MEMORY_SCRIPT, path, warm,
                                 memory], check=True, capture_output=True, text=True)
        info = json.loads(result.stdout.strip().splitlines()[-1])
        info["n_samples"] = x.shape[0]
        info["file_bytes"] = os.path.getsize(path)
        infos[label] = info
    return infos


def busy(n_jobs):
    import joblib

    joblib.Parallel(n_jobs=n_jobs)(joblib.delayed(busy_loop)() for _ in range(4))


# -- main -------------------------------------------------------------------------

def timed(func, *args, **kwargs):
    start = time.perf_counter()
    func(*args, **kwargs)
    return time.perf_counter() - start


def main(argv=None):
    parser = make_parser(__doc__)
    parser.add_argument("--files", type=int, default=60)
    parser.add_argument("--seconds", type=float, default=5.0,
                        help="mean file duration in seconds")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--long-minutes", type=int, default=10,
                        help="length of the file for the memory measurement (0: skip)")
    args = parser.parse_args(argv)
    with Run("bench_lld", args) as run:
        _run(args, run.results)


def _run(args, results):
    import joblib

    with tempfile.TemporaryDirectory() as folder:
        paths, total = make_corpus(folder, args.files, args.seconds)
        print(f"corpus: {len(paths)} files, {total:.1f} s of speech-like audio "
              f"at {SR} Hz; {os.cpu_count()} CPUs; best of {args.repeats} "
              "interleaved repeats")
        cache_dir = os.path.join(folder, "cache")
        methods = {
            "ours, 1 process": lambda: ours(paths),
            "ours, n_jobs=2": lambda: ours(paths, n_jobs=2),
            "openSMILE IS09, 2 passes": lambda: stock_two_pass(paths),
            "librosa": lambda: librosa_impl(paths),
            "ours, cache hit": lambda: ours(paths, memory=cache_dir),
            "calibration: busy loop, n_jobs=1": lambda: busy(1),
            "calibration: busy loop, n_jobs=2": lambda: busy(2),
        }
        # warm-up: imports, JIT, worker pool, and fill the cache
        for func in methods.values():
            func()
        miss_dir = os.path.join(folder, "cache_miss")
        times = {name: [] for name in methods}
        times["ours, cache miss (extract + store)"] = []
        for r in range(args.repeats):
            for name, func in methods.items():
                times[name].append(timed(func))
            times["ours, cache miss (extract + store)"].append(
                timed(ours, paths, memory=os.path.join(miss_dir, str(r))))
        joblib.externals.loky.get_reusable_executor().shutdown(wait=True)

        best = {name: min(t) for name, t in times.items()}
        ref = best["ours, 1 process"]
        print()
        print(f"{'method':38s} {'best s':>8s} {'median s':>9s} {'x real time':>12s} "
              f"{'time / ours':>12s}")
        for name, t in times.items():
            if name.startswith("calibration"):
                continue
            print(f"{name:38s} {best[name]:8.3f} {statistics.median(t):9.3f} "
                  f"{total / best[name]:12.0f} {best[name] / ref:12.3f}")
        pairs = [(a / b) for a, b in zip(times["ours, 1 process"],
                                         times["ours, n_jobs=2"], strict=True)]
        machine = [(a / b) for a, b in zip(times["calibration: busy loop, n_jobs=1"],
                                           times["calibration: busy loop, n_jobs=2"],
                                           strict=True)]
        print()
        print("speed-up n_jobs=2 / n_jobs=1 per repeat (same repeat): ours "
              + ", ".join(f"{r:.2f}" for r in pairs) + "; pure-Python busy loop "
              "through the same joblib backend (what this machine allows now): "
              + ", ".join(f"{r:.2f}" for r in machine))

        checks = [
            ("ours 1 process vs stock 2-pass openSMILE (>= 1.5x)",
             best["openSMILE IS09, 2 passes"] / ref, 1.5),
            ("ours 1 process vs librosa (> 1x)", best["librosa"] / ref, 1.0),
            ("n_jobs=2 vs n_jobs=1 (>= 1.7x)", ref / best["ours, n_jobs=2"], 1.7),
            ("cache hit vs extraction (>= 50x)", ref / best["ours, cache hit"], 50.0),
        ]
        print()
        print(f"ours, 1 process: {total / ref:.0f}x real time "
              "(target on an idle machine: about 250x)")
        for label, ratio, target in checks:
            verdict = "met" if ratio >= target else "NOT met"
            print(f"{label:52s} {ratio:7.2f}x  {verdict}")
        results.update(audio_seconds=total, times=times, best=best,
                       x_real_time=total / ref, speed_up_n_jobs_2=pairs,
                       busy_loop_speed_up=machine,
                       checks=[dict(check=c, ratio=r, target=t) for c, r, t in checks])

        if args.long_minutes > 0:
            print()
            memory = measure_memory(folder, args.long_minutes)
            results["memory"] = memory
            for label, info in memory.items():
                audio32 = info["n_samples"] * 4
                extra = info["peak"] - info["before"]
                print(f"memory, {args.long_minutes}-min file, {label} "
                      f"({info['n_samples']} samples, {info['frames']} frames): peak "
                      f"RSS increase {extra / 2**20:.1f} MiB = {extra / audio32:.2f}x "
                      f"the float32 audio ({audio32 / 2**20:.1f} MiB), "
                      f"{extra / info['file_bytes']:.2f}x the 16-bit file "
                      f"({info['file_bytes'] / 2**20:.1f} MiB)"
                      + ("" if info["reset"] else " [peak not reset: upper bound]"))


if __name__ == "__main__":
    main()
