"""Choosing frame features: accuracy and speed of each openSMILE feature set.

Two tables from one run:

1. **Extraction speed.** For each feature set of
   :class:`sklearn_ser.LLDExtractor` (``"is09"``, the paper's 32;
   ``"egemaps"``, the 25 eGeMAPS v02 LLDs; ``"compare"``, the 65 ComParE
   2016 LLDs and their deltas): seconds of audio per second of extraction
   (x real time) on the same wav files, one process, no cache, beside the
   stock set of ``opensmile.Smile(feature_set,
   FeatureLevel.LowLevelDescriptors)`` and, for the sets with deltas, the
   two stock passes that give LLDs and deltas
   (``LowLevelDescriptors_Deltas`` as well). Alternatives are interleaved
   and the best of ``--repeats`` runs is kept. Also the number of features
   and the frame rate of each set.
2. **Accuracy.** Leave-one-session-out UA (and WA), mean +- standard
   deviation over the five folds, on the library's synthetic corpus
   (:func:`sklearn_ser.datasets.make_emotional_speech`, 1,000 utterances by
   default, 5 sessions of 2 speakers), for each feature set x {functionals +
   SVM (``make_baseline_pipeline()``), the lstm network with the fast recipe
   (``make_ser_pipeline("lstm", recipe="fast")``)} x {``"neutral"``,
   ``"speaker"`` normalisation}, with the chance level beside them. Every
   configuration is evaluated with :func:`sklearn_ser.evaluate_sessions` on
   the same folds; the only change between the sets is
   ``set_params(lld__feature_set=...)``. Nothing is tuned here: the fast
   recipe is the library's (chosen on other draws of the corpus, see
   ``bench_accuracy.py``).

Usage::

    python benchmarks/bench_features.py --json features.json   # about 45 min on 2 cores
    python benchmarks/bench_features.py --only speed            # a few minutes

The synthetic corpus is generated speech-like audio whose emotions differ
in pitch, energy, rate and spectral tilt; it says which features carry
those cues to each model, not how they rank on recorded emotional speech.
"""

import argparse
import json
import os
import tempfile
import time

import numpy as np
import soundfile as sf

from sklearn_ser import (
    LLDExtractor,
    evaluate_sessions,
    make_baseline_pipeline,
    make_ser_pipeline,
)
from sklearn_ser.datasets import make_emotional_speech
from sklearn_ser.features._feature_sets import FEATURE_SET_NAMES, get_feature_set
from sklearn_ser.pipeline._evaluation import with_speakers

NORMALIZATIONS = ("neutral", "speaker")
MODELS = ("functionals + SVM", "lstm, fast recipe")


def _fmt(values):
    return f"{np.mean(values):.3f} +- {np.std(values):.3f}"


def _write_files(data, folder, n):
    paths = []
    for i, x in enumerate(data.data[:n]):
        path = os.path.join(folder, f"utt{i:04d}.wav")
        sf.write(path, x, int(data.sampling_rate), subtype="PCM_16")
        paths.append(path)
    return paths


def _stock(spec, deltas):
    import opensmile

    level = (opensmile.FeatureLevel.LowLevelDescriptors_Deltas if deltas
             else opensmile.FeatureLevel.LowLevelDescriptors)
    return opensmile.Smile(getattr(opensmile.FeatureSet, spec.stock), level)


def bench_speed(files, audio_seconds, repeats):
    """x real time of each set and of the stock passes; one process, no cache."""
    rows = []
    for name in FEATURE_SET_NAMES:
        spec = get_feature_set(name)
        runs = {"ours": lambda n=name: LLDExtractor(feature_set=n).transform(files)}
        lld = _stock(spec, deltas=False)
        runs["stock LLD"] = lambda s=lld: [s.process_file(f) for f in files]
        if name != "egemaps":  # openSMILE defines no deltas for eGeMAPS
            de = _stock(spec, deltas=True)
            runs["stock LLD + deltas"] = lambda s=lld, d=de: (
                [s.process_file(f) for f in files], [d.process_file(f) for f in files])
        best = {key: np.inf for key in runs}
        for _ in range(repeats):  # interleaved
            for key, run in runs.items():
                t = time.perf_counter()
                run()
                best[key] = min(best[key], time.perf_counter() - t)
        row = dict(feature_set=name, stock=spec.stock, n_features=spec.n_features,
                   frame_rate=100, window_ms=round(1000 * spec.window),
                   seconds={k: float(v) for k, v in best.items()},
                   x_real_time={k: audio_seconds / v for k, v in best.items()})
        row["ratio_lld"] = best["stock LLD"] / best["ours"]
        if "stock LLD + deltas" in best:
            row["ratio_lld_deltas"] = best["stock LLD + deltas"] / best["ours"]
        rows.append(row)
        print(f"  {name:<8} ours {row['x_real_time']['ours']:6.0f}x real time; stock "
              f"LLD {row['x_real_time']['stock LLD']:6.0f}x (ratio "
              f"{row['ratio_lld']:.2f})" + (
                  f"; stock LLD + deltas {row['x_real_time']['stock LLD + deltas']:.0f}x"
                  f" (ratio {row['ratio_lld_deltas']:.2f})"
                  if "ratio_lld_deltas" in row else ""), flush=True)
    return rows


def _print_speed(rows, n_files, audio_seconds):
    print(f"\nExtraction speed, x real time (best of the repeats), {n_files} files, "
          f"{audio_seconds:.0f} s of audio, one process:")
    print(f"{'set':<9}{'features':>9}{'frames/s':>9}{'window':>8}{'ours':>8}"
          f"{'stock LLD':>11}{'ratio':>7}{'stock LLD+de':>14}{'ratio':>7}")
    for r in rows:
        x = r["x_real_time"]
        de = (f"{x['stock LLD + deltas']:>14.0f}{r['ratio_lld_deltas']:>7.2f}"
              if "ratio_lld_deltas" in r else f"{'-':>14}{'-':>7}")
        print(f"{r['feature_set']:<9}{r['n_features']:>9}{r['frame_rate']:>9}"
              f"{r['window_ms']:>6}ms{x['ours']:>8.0f}{x['stock LLD']:>11.0f}"
              f"{r['ratio_lld']:>7.2f}{de}")
    print("ratio: stock seconds / ours. eGeMAPS has no deltas; the stock set gives "
          "LLDs and deltas at two feature levels, i.e. two passes.")


def bench_accuracy(data, cache, n_jobs, sets):
    """Leave-one-session-out WA/UA of every set x model x normalisation."""
    X = list(data.data)
    X_speakers = with_speakers(X, data.speakers)
    rows = []
    for name in sets:
        t = time.perf_counter()
        LLDExtractor(feature_set=name, memory=cache).transform(X)
        extraction = time.perf_counter() - t
        print(f"  {name}: features of {len(X)} utterances extracted in "
              f"{extraction:.0f} s (cached for the folds)", flush=True)
        for normalization in NORMALIZATIONS:
            for model in MODELS:
                if model.startswith("lstm"):
                    pipe = make_ser_pipeline("lstm", normalization=normalization,
                                             recipe="fast", memory=cache,
                                             random_state=0)
                    params = {"classifier__groups": data.speakers}
                else:
                    pipe = make_baseline_pipeline(normalization=normalization,
                                                  memory=cache)
                    params = None
                pipe.set_params(lld__feature_set=name)
                t = time.perf_counter()
                result = evaluate_sessions(
                    pipe, X_speakers if normalization == "speaker" else X,
                    data.target, data.groups, n_splits=5, n_jobs=n_jobs,
                    params=params)
                seconds = time.perf_counter() - t
                rows.append(dict(feature_set=name, model=model,
                                 normalization=normalization,
                                 ua=[float(v) for v in result.ua],
                                 wa=[float(v) for v in result.wa], seconds=seconds))
                print(f"    {model:<19}{normalization:<9} UA {_fmt(result.ua)}  "
                      f"WA {_fmt(result.wa)}  per fold "
                      f"{np.round(result.ua, 3).tolist()}  {seconds:.0f} s",
                      flush=True)
    return rows


def _print_accuracy(rows, majority):
    print("\nLeave-one-session-out UA and WA, mean +- std over the 5 folds:")
    print(f"{'set':<9}{'model':<20}{'normalization':<15}{'UA':>16}{'WA':>16}"
          f"{'seconds':>9}")
    print(f"{'chance':<44}{0.25:>16.3f}{majority:>16.3f}")
    for r in rows:
        print(f"{r['feature_set']:<9}{r['model']:<20}{r['normalization']:<15}"
              f"{_fmt(r['ua']):>16}{_fmt(r['wa']):>16}{r['seconds']:>9.0f}")
    print("chance: UA of any constant prediction; WA of always the largest class.")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0,
                        help="draw of the synthetic corpus (default: %(default)s)")
    parser.add_argument("--n-jobs", type=int, default=2,
                        help="folds in parallel, one torch thread each")
    parser.add_argument("--speed-files", type=int, default=100,
                        help="files of the speed table (default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sets", nargs="+", choices=FEATURE_SET_NAMES,
                        default=list(FEATURE_SET_NAMES))
    parser.add_argument("--only", nargs="+", choices=("speed", "accuracy"),
                        default=["speed", "accuracy"])
    parser.add_argument("--json", default=None, help="write the results here")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    data = make_emotional_speech(n_samples=args.n_samples, random_state=args.seed)
    results = dict(n_samples=args.n_samples, seed=args.seed, cpus=os.cpu_count())
    print(f"Synthetic corpus: {args.n_samples} utterances, draw {args.seed}; "
          f"{os.cpu_count()} CPU(s).")
    with tempfile.TemporaryDirectory(prefix="bench_features_") as tmp:
        if "speed" in args.only:
            files = _write_files(data, tmp, args.speed_files)
            seconds = sum(sf.info(f).duration for f in files)
            rows = bench_speed(files, seconds, args.repeats)
            results["speed"] = dict(files=len(files), audio_seconds=seconds, rows=rows)
            _print_speed(rows, len(files), seconds)
        if "accuracy" in args.only:
            rows = bench_accuracy(data, os.path.join(tmp, "cache"), args.n_jobs,
                                  args.sets)
            counts = np.unique(data.target, return_counts=True)[1]
            majority = float(counts.max() / counts.sum())
            results["accuracy"] = dict(rows=rows, chance_ua=0.25, chance_wa=majority)
            if "speed" in results:
                _print_speed(results["speed"]["rows"], results["speed"]["files"],
                             results["speed"]["audio_seconds"])
            _print_accuracy(rows, majority)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
