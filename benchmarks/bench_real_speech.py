"""Benchmark on real speech: audio input, non-speech warnings, speech detection.

Real recordings from two Debian packages, fetched with ``apt-get download``
(and unpacked with ``dpkg -x``) when ``--data`` does not hold them yet:

* ``codec2-examples`` 1.0.5 (LGPL-2.1, David Rowe): 16 WAV files of several
  male and female speakers at 8 kHz (two at 16 kHz), about 5 minutes; two of
  them (``david4.wav``, ``vk2tpm_004.wav``) are modem signals of a digital
  radio mode, not speech;
* ``asterisk-core-sounds-en-wav`` 1.6.1 (CC-BY-SA-3.0, Allison Smith): 568
  telephone prompts of one professional female speaker at 8 kHz, about 25
  minutes; four are beeps or tones and ten are silence.

Tables:

* **formats**: every speech clip normalised to a peak of 0.99 (as corpora
  are mastered) and written as 16-bit WAV, FLAC, MP3, OGG Vorbis and Opus:
  the files whose decoded samples overshoot [-1, 1], the files refused, the
  clipped-recording warnings, and the files the speech check calls
  non-speech;
* **non-speech**: the warnings of the speech check (the one of ``sklearn-ser
  predict``) on the real speech clips, clean and in white noise, and on the
  non-speech files of the packages;
* **detection**: frame recall and false-alarm rate of the speech detectors
  against references, on recordings made of the clean clips (noise floor at
  least 45 dB below the peak) separated by pauses of 0.3-3 s, clean and with
  white or pink noise at 20, 10 and 5 dB SNR (SNR over the reference speech
  frames). The reference of a clip is its 10 ms frames within 40 dB of its
  loudest, pauses shorter than 0.3 s bridged. The clips are split in two
  halves (even and odd positions): the thresholds of the built-in detector
  were chosen on the first half only, the second is held out. Detectors: the
  built-in one (on the LLDs), the voicing-gated detector of earlier versions
  of the library (for comparison), and, when installed, WebRTC's VAD
  (``pip install webrtcvad-wheels``; modes 2 and 3, with the built-in
  bridging of pauses) and Silero VAD (``pip install silero-vad``; its
  model ships in the wheel and runs on torch);
* **timeline**: for every real speech clip, whether the timeline finds a
  segment where the speech check finds speech; and, on recordings of 120
  clips separated by pauses of 0.3-0.5 s (and 1-2 s), the share of clips
  whose majority timeline label is the label ``predict`` gives the clip
  alone, beside the agreement of two independent draws of those labels
  (chance) and the agreement of ``predict`` on a clip with ``predict`` on
  the same clip cut to its detected speech. The models (the lstm network
  of the fast recipe, and functionals + logistic regression) are trained on
  the synthetic corpus: their labels mean nothing on these clips, the
  agreement measures only whether the segments follow the clips;
* **speed**: extraction of all real clips (x real time) and the detector's
  cost.

Run::

    python benchmarks/bench_real_speech.py                   # all tables
    python benchmarks/bench_real_speech.py --only detection --json out.json

The script is longer than the package's modules (about 600 lines): one
command over one fetched corpus, whose tables share its clips, references
and noise; each table is a section of its own.
"""

import glob
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import soundfile as sf
from _common import Run, chance_agreement, majority_labels, make_parser

SR = 16000
PACKAGES = ("codec2-examples", "asterisk-core-sounds-en-wav")
NON_SPEECH = {"beep.wav", "beeperr.wav", "ascending-2tone.wav",
              "descending-2tone.wav", "david4.wav", "vk2tpm_004.wav"}
CONDITIONS = ("clean", "white 20 dB", "white 10 dB", "white 5 dB", "pink 10 dB",
              "pink 5 dB")


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------


def fetch(folder):
    """The unpacked packages under ``folder``; downloaded when missing."""
    root = os.path.join(folder, "root")
    if glob.glob(os.path.join(root, "usr/share/codec2/wav/*.wav")) and glob.glob(
            os.path.join(root, "usr/share/asterisk/sounds/en_US_f_Allison/*.wav")):
        return root
    if shutil.which("apt-get") is None or shutil.which("dpkg") is None:
        sys.exit("apt-get and dpkg are needed to fetch the real speech "
                 f"({', '.join(PACKAGES)}); unpack them into {root} by hand.")
    os.makedirs(folder, exist_ok=True)
    print(f"fetching {', '.join(PACKAGES)} into {folder} ...", flush=True)
    subprocess.run(["apt-get", "download", *PACKAGES], cwd=folder, check=True)
    for deb in glob.glob(os.path.join(folder, "*.deb")):
        subprocess.run(["dpkg", "-x", deb, root], check=True)
    return root


def clips(root):
    """``(speech, non_speech)`` lists of paths."""
    share = os.path.join(root, "usr/share")
    paths = sorted(glob.glob(os.path.join(
        share, "asterisk/sounds/en_US_f_Allison/**/*.wav"), recursive=True))
    paths += sorted(glob.glob(os.path.join(share, "codec2/wav/*.wav")))
    paths.append(os.path.join(share, "codec2/raw/speech_orig_16k.wav"))
    speech, other = [], []
    for path in paths:
        name = os.path.basename(path)
        if "/silence/" in path or name in NON_SPEECH:
            other.append(path)
        else:
            speech.append(path)
    return speech, other


def read16(path):
    """A file at 16 kHz, as the extractor reads it (clipped: resampling a clip
    that peaks at full scale overshoots it a little)."""
    from sklearn_ser.features._audiofile import read_waveform

    return np.clip(read_waveform(path, SR), -1, 1)


def frame_levels(x):
    n = len(x) // 160
    return 10 * np.log10((x[:n * 160].reshape(n, 160).astype(np.float64) ** 2)
                         .mean(axis=1) + 1e-12)


def reference(x, min_pause=0.3):
    """Speech runs of a clean clip (samples): frames within 40 dB of its
    loudest, pauses shorter than ``min_pause`` bridged."""
    level = frame_levels(x)
    active = np.flatnonzero(level > level.max() - 40)
    gaps = np.flatnonzero(np.diff(active) > round(100 * min_pause))
    starts = np.r_[active[0], active[gaps + 1]]
    stops = np.r_[active[gaps], active[-1]] + 1
    return [(160 * a, 160 * b) for a, b in zip(starts, stops, strict=True)]


def is_clean(x):
    level = frame_levels(x)
    return level.max() - np.percentile(level, 5) >= 45


def assemble(xs, seed, gap=(0.3, 3.0)):
    """Clips separated by pauses; the recording, reference runs, clip spans."""
    rng = np.random.default_rng(seed)
    parts, runs, spans, pos = [], [], [], 0
    for x in xs:
        n_gap = int(rng.uniform(*gap) * SR)
        parts += [np.zeros(n_gap, np.float32), x]
        pos += n_gap
        ref = reference(x)
        runs += [(pos + a, pos + b) for a, b in ref]
        spans.append((pos, pos + len(x)))
        pos += len(x)
    parts.append(np.zeros(int(rng.uniform(*gap) * SR), np.float32))
    return np.clip(np.concatenate(parts), -1, 1), runs, spans


def add_noise(rec, runs, snr, seed, kind="white"):
    rng = np.random.default_rng(seed)
    mask = np.zeros(len(rec), bool)
    for a, b in runs:
        mask[a:b] = True
    power = float((rec[mask].astype(np.float64) ** 2).mean())
    noise = rng.standard_normal(len(rec))
    if kind == "pink":
        spectrum = np.fft.rfft(noise)
        spectrum /= np.sqrt(np.maximum(np.arange(len(spectrum)), 1))
        noise = np.fft.irfft(spectrum, len(rec))
    noise *= np.sqrt(power / 10 ** (snr / 10) / (noise ** 2).mean())
    return np.clip(rec + noise, -1, 1).astype(np.float32)


def frame_truth(runs, n_frames, n_samples):
    mask = np.zeros(n_samples, bool)
    for a, b in runs:
        mask[a:b] = True
    return mask[np.minimum(np.arange(n_frames) * 160 + 200, n_samples - 1)]


def condition(rec, runs, name, seed):
    if name == "clean":
        return rec
    kind, snr, _ = name.split()
    return add_noise(rec, runs, int(snr), seed=1 if kind == "white" else 2, kind=kind)


def quiet():
    """Silence the AudioWarnings (all of these clips are 8 kHz)."""
    from sklearn_ser import AudioWarning

    ctx = warnings.catch_warnings()
    ctx.__enter__()
    warnings.simplefilter("ignore", AudioWarning)
    return ctx


# ---------------------------------------------------------------------------
# Detectors
# ---------------------------------------------------------------------------


def bridge(speech, max_gap=25, min_len=10, pad=3):
    """The built-in bridging of pauses, for the decisions of another detector."""
    from sklearn_ser.features._speech import _runs

    starts, stops = _runs(np.asarray(speech, bool))
    if starts.size == 0:
        return []
    cut = (starts[1:] - stops[:-1]) > max_gap
    starts = np.concatenate([starts[:1], starts[1:][cut]])
    stops = np.concatenate([stops[:-1][cut], stops[-1:]])
    n = len(speech)
    return [(max(0, a - pad), min(n, b + pad))
            for a, b in zip(starts.tolist(), stops.tolist(), strict=True)
            if b - a >= min_len]


def voicing_gated(frames):
    """The detector of earlier versions: voiced frames (openSMILE's voicing
    probability at least 0.55 or a pitch), energy above twice the quietest
    10 %, or MFCCs far from theirs; a region needs 5 voiced frames; pauses up
    to 0.5 s bridged, regions of 0.25 s or more, widened by 0.1 s."""
    from sklearn_ser.features._opensmile import FEATURE_NAMES

    f0 = frames[:, FEATURE_NAMES.index("F0_sma")]
    energy = frames[:, FEATURE_NAMES.index("pcm_RMSenergy_sma")].astype(np.float64)
    voicing = frames[:, FEATURE_NAMES.index("voiceProb_sma")]
    first = FEATURE_NAMES.index("pcm_fftMag_mfcc_sma[1]")
    mfcc = frames[:, first:first + 12].astype(np.float64)
    voiced = (voicing >= 0.55) | (f0 > 0)
    if voiced.sum() < 5:
        return []
    floor = np.percentile(energy, 10)
    quiet_frames = energy <= floor
    z = (mfcc - mfcc[quiet_frames].mean(0)) / (mfcc[quiet_frames].std(0) + 1e-3)
    distance = np.convolve((z ** 2).mean(axis=1), np.ones(5) / 5, mode="same")
    speech = voiced | (distance > 4.0) | (energy > max(1e-4, 2.0 * floor))
    regions = []
    for a, b in bridge(speech, max_gap=50, min_len=25, pad=10):
        if voiced[a:b].sum() >= 5:
            if regions and a <= regions[-1][1]:
                regions[-1] = (regions[-1][0], b)
            else:
                regions.append((a, b))
    return regions


def webrtc(rec, n, mode):
    import webrtcvad

    vad = webrtcvad.Vad(mode)
    pcm = (np.clip(rec, -1, 1) * 32767).astype(np.int16)
    decisions = np.array([vad.is_speech(pcm[i * 160:(i + 1) * 160].tobytes(), SR)
                          for i in range(len(pcm) // 160)])
    return bridge(decisions[np.minimum(np.arange(n) + 1, len(decisions) - 1)])


_SILERO = []


def silero(rec, n):
    import torch
    from silero_vad import get_speech_timestamps, load_silero_vad

    if not _SILERO:
        _SILERO.append(load_silero_vad())
    stamps = get_speech_timestamps(torch.from_numpy(rec), _SILERO[0],
                                   sampling_rate=SR, min_silence_duration_ms=250,
                                   min_speech_duration_ms=100, speech_pad_ms=30)
    return [(s["start"] // 160, min(n, -(-s["end"] // 160))) for s in stamps]


def detectors():
    from sklearn_ser.features._speech import speech_regions

    found = [("built-in (LLDs)", lambda rec, frames: speech_regions(frames)),
             ("voicing-gated (earlier)", lambda rec, frames: voicing_gated(frames))]
    try:
        import webrtcvad  # noqa: F401

        for mode in (2, 3):
            found.append((f"webrtcvad mode {mode}",
                          lambda rec, frames, m=mode: webrtc(rec, len(frames), m)))
    except ImportError:
        print("(webrtcvad not installed: pip install webrtcvad-wheels)")
    try:
        import silero_vad  # noqa: F401

        found.append(("silero-vad", lambda rec, frames: silero(rec, len(frames))))
    except ImportError:
        print("(silero-vad not installed: pip install silero-vad)")
    return found


# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------


def _encode(x, rate, fmt, subtype):
    buffer = io.BytesIO()
    if subtype == "OPUS":  # Opus runs at 48 kHz
        from scipy.signal import resample_poly

        x = resample_poly(x, 48000 // rate, 1).astype(np.float32) \
            if 48000 % rate == 0 else x
        rate = 48000 if 48000 % rate == 0 else rate
    sf.write(buffer, x, rate, format=fmt, subtype=subtype)
    return buffer.getvalue()


def _silent_stderr():
    """Redirect file descriptor 2 (libmpg123 reports on it) to /dev/null."""
    saved = os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    os.close(null)
    return saved


def bench_formats(speech, folder, results):
    from sklearn_ser import LLDExtractor
    from sklearn_ser.features._speech import speech_problem

    formats = [("WAV", "PCM_16", "wav"), ("FLAC", "PCM_16", "flac"),
               ("MP3", "MPEG_LAYER_III", "mp3"), ("OGG", "VORBIS", "ogg"),
               ("OGG", "OPUS", "opus")]
    print(f"\nFormats: {len(speech)} real speech clips, peak normalised to 0.99, "
          "encoded and read back")
    print(f"{'format':<10}{'files':>7}{'overshoot':>11}{'refused':>9}"
          f"{'clipped warning':>17}{'non-speech':>12}{'extract x RT':>14}")
    rows = {}
    for fmt, subtype, ext in formats:
        if fmt not in sf.available_formats():
            print(f"{ext:<10} (libsndfile without {fmt})")
            continue
        paths, overshoot, seconds = [], 0, 0.0
        for k, path in enumerate(speech):
            x, rate = sf.read(path, dtype="float32")
            x = 0.99 * x / max(float(np.abs(x).max()), 1e-9)
            saved = _silent_stderr()
            try:
                data = _encode(x, rate, fmt, subtype)
                decoded, _ = sf.read(io.BytesIO(data), dtype="float32")
            finally:
                os.dup2(saved, 2)
                os.close(saved)
            overshoot += bool(np.abs(decoded).max() > 1.0)
            seconds += len(x) / rate
            out = os.path.join(folder, f"{k:04d}.{ext}")
            with open(out, "wb") as f:
                f.write(data)
            paths.append(out)
        refused = clipped = non_speech = 0
        t0 = time.perf_counter()
        frames = []
        saved = _silent_stderr()
        for path in paths:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    frames.append(LLDExtractor().transform([path])[0])
                except ValueError:
                    refused += 1
                    continue
            clipped += any("clipped recording" in str(w.message) for w in caught)
        os.dup2(saved, 2)
        os.close(saved)
        elapsed = time.perf_counter() - t0
        non_speech = sum(speech_problem(f) is not None for f in frames)
        rows[ext] = dict(files=len(paths), overshoot=overshoot, refused=refused,
                         clipped_warning=clipped, non_speech=non_speech,
                         x_real_time=seconds / elapsed)
        print(f"{ext:<10}{len(paths):>7}{overshoot:>11}{refused:>9}{clipped:>17}"
              f"{non_speech:>12}{seconds / elapsed:>14.0f}")
        for path in paths:
            os.unlink(path)
    results["formats"] = rows


def bench_non_speech(speech, other, results):
    from sklearn_ser import LLDExtractor
    from sklearn_ser.features._speech import speech_problem

    ctx = quiet()
    try:
        waves = [read16(p) for p in speech]
        print(f"\nNon-speech warnings: {len(speech)} real speech clips "
              f"({sum(len(x) for x in waves) / SR / 60:.1f} min)")
        print(f"{'condition':<14}{'warned':>8}{'share':>8}  reasons")
        rows = {}
        lld = LLDExtractor()
        for name in ("clean", "white 20 dB", "white 10 dB", "white 5 dB"):
            reasons = {}
            for k, x in enumerate(waves):
                if name != "clean":
                    x = add_noise(x, reference(x), int(name.split()[1]), seed=k)
                problem = speech_problem(lld.transform([x])[0])
                if problem is not None:
                    key = problem.split("(")[0].strip()
                    reasons[key] = reasons.get(key, 0) + 1
            n = sum(reasons.values())
            rows[name] = dict(warned=n, share=n / len(waves), reasons=reasons)
            print(f"{name:<14}{n:>8}{n / len(waves):>8.1%}  {reasons or ''}")
        print("\nThe packages' non-speech files:")
        other_rows = {}
        for path in other:
            problem = speech_problem(lld.transform([path])[0])
            other_rows[os.path.basename(path)] = problem
            if "/silence/" not in path:
                print(f"  {os.path.basename(path):<24}{problem or '(passes as speech)'}")
        silent = [p for p in other if "/silence/" in p]
        flagged = sum(other_rows[os.path.basename(p)] is not None for p in silent)
        print(f"  silence/*.wav ({len(silent)} files){'':<6}{flagged} flagged as "
              "silence or non-speech")
        results["non_speech"] = dict(speech=rows, other=other_rows)
    finally:
        ctx.__exit__(None, None, None)


def bench_detection(speech, results):
    from sklearn_ser.timeline._frames import read_frames

    ctx = quiet()
    try:
        waves = [read16(p) for p in speech]
        clean = [x for x in waves if is_clean(x)]
        found = detectors()
        rows = []
        for part, name in ((0, "tuning half"), (1, "held-out half")):
            rec, runs, _ = assemble(clean[part::2], seed=part)
            speech_share = sum(b - a for a, b in runs) / len(rec)
            print(f"\nSpeech detection, {name}: {len(clean[part::2])} clean clips, "
                  f"{len(rec) / SR / 60:.1f} min, {speech_share:.0%} speech "
                  f"({len(runs)} reference runs)")
            print(f"{'condition':<13}{'detector':<25}{'recall':>8}{'false alarm':>13}"
                  f"{'regions':>9}{'s per h':>9}")
            for cond in CONDITIONS:
                x = condition(rec, runs, cond, seed=part)
                frames, _, _ = read_frames(x, None, SR)
                truth = frame_truth(runs, len(frames), len(x))
                for det_name, detect in found:
                    t0 = time.perf_counter()
                    regions = detect(x, frames)
                    elapsed = time.perf_counter() - t0
                    mask = np.zeros(len(frames), bool)
                    for a, b in regions:
                        mask[a:b] = True
                    recall, false_alarm = mask[truth].mean(), mask[~truth].mean()
                    per_hour = elapsed / (len(x) / SR / 3600)
                    rows.append(dict(part=name, condition=cond, detector=det_name,
                                     recall=float(recall),
                                     false_alarm=float(false_alarm),
                                     regions=len(regions), seconds_per_hour=per_hour))
                    print(f"{cond:<13}{det_name:<25}{recall:>8.3f}{false_alarm:>13.3f}"
                          f"{len(regions):>9d}{per_hour:>9.1f}")
        results["detection"] = rows
    finally:
        ctx.__exit__(None, None, None)


def bench_timeline(speech, results):
    from sklearn.linear_model import LogisticRegression

    from sklearn_ser import (
        LLDExtractor,
        make_baseline_pipeline,
        make_ser_pipeline,
        predict_timeline,
    )
    from sklearn_ser.datasets import make_emotional_speech
    from sklearn_ser.features._speech import speech_problem, speech_regions

    ctx = quiet()
    try:
        data = make_emotional_speech(400, random_state=0)
        models = {
            "lstm, fast recipe": make_ser_pipeline(
                "lstm", recipe="fast", max_epochs=10, random_state=0, device="cpu"),
            "functionals + logistic regression": make_baseline_pipeline(
                LogisticRegression(max_iter=2000)),
        }
        for model in models.values():
            model.fit(list(data.data), data.target)
        waves = [read16(p) for p in speech]
        lld = LLDExtractor()
        model = models["lstm, fast recipe"]
        missed = both = 0
        for x in waves:
            speech_found = speech_problem(lld.transform([x])[0]) is None
            segments = len(predict_timeline(model, x))
            both += speech_found
            missed += speech_found and segments == 0
        print(f"\nTimeline and predict: of {len(waves)} real speech clips, "
              f"{both} pass predict's speech check; the timeline finds no segment "
              f"in {missed} of them")
        rows = dict(clips=len(waves), pass_check=both, no_segment=missed)
        rng = np.random.default_rng(0)
        chosen = [waves[i] for i in rng.permutation(len(waves))[:120]]
        trimmed = []  # each clip cut to its detected speech
        for x in chosen:
            regions = speech_regions(lld.transform([x])[0])
            trimmed.append(x[regions[0][0] * 160:regions[-1][1] * 160 + 240])
        print("Agreement of the timeline with predict on each clip alone "
              "(models trained on the synthetic corpus: their labels mean nothing "
              "on these clips)")
        print(f"{'model':<35}{'pauses (s)':<12}{'segmentation':<14}{'segments':>9}"
              f"{'agree':>8}{'chance':>8}")
        for name, model in models.items():
            alone = model.predict(chosen)
            chance = chance_agreement(alone)
            same = float(np.mean(alone == model.predict(trimmed)))
            rows[f"{name}: clip without its silent edges"] = same
            print(f"{name:<35}{'(predict on the clip without its silent edges)':<43}"
                  f"{same:>8.1%}{chance:>8.1%}")
            for gap in ((0.3, 0.5), (1.0, 2.0)):
                rec, _, spans = assemble(chosen, seed=3, gap=gap)
                spans_s = [(a / SR, b / SR) for a, b in spans]
                for segmentation in ("vad", "fixed"):
                    table = predict_timeline(model, rec, segmentation=segmentation)
                    labels = majority_labels(table, spans_s)
                    agree = float(np.mean([a == b for a, b in zip(labels, alone,
                                                                  strict=True)]))
                    rows[f"{name}: {segmentation} {gap[0]}-{gap[1]}"] = agree
                    print(f"{name:<35}{f'{gap[0]}-{gap[1]}':<12}{segmentation:<14}"
                          f"{len(table):>9}{agree:>8.1%}{chance:>8.1%}")
        results["timeline"] = rows
    finally:
        ctx.__exit__(None, None, None)


def bench_speed(speech, results):
    from sklearn_ser import LLDExtractor
    from sklearn_ser.features._speech import speech_regions

    ctx = quiet()
    try:
        seconds = sum(sf.info(p).duration for p in speech)
        t0 = time.perf_counter()
        frames = LLDExtractor().transform(speech)
        extract = time.perf_counter() - t0
        t0 = time.perf_counter()
        for f in frames:
            speech_regions(f)
        detect = time.perf_counter() - t0
        print(f"\nSpeed: {len(speech)} real files, {seconds / 60:.1f} min (8 kHz "
              "files resampled to 16 kHz), one process")
        print(f"  extraction: {extract:.1f} s, {seconds / extract:.0f}x real time")
        print(f"  speech detector on their frames: {detect:.2f} s, "
              f"{seconds / detect:.0f}x real time")
        results["speed"] = dict(audio_s=seconds, extract_s=extract, detect_s=detect)
    finally:
        ctx.__exit__(None, None, None)


def main():
    parser = make_parser(__doc__)
    parser.add_argument("--data", default=os.path.join(
        os.path.expanduser("~"), ".cache", "sklearn-ser", "real-speech"),
        help="folder of the downloaded packages (default: %(default)s)")
    parser.add_argument("--only", action="append",
                        choices=("formats", "non-speech", "detection", "timeline",
                                 "speed"),
                        help="tables to run (default: all)")
    args = parser.parse_args()
    only = set(args.only or ("formats", "non-speech", "detection", "timeline",
                             "speed"))
    speech, other = clips(fetch(args.data))
    print(f"{len(speech)} speech clips, {len(other)} non-speech files")
    with Run("bench_real_speech", args) as run:
        results = run.results
        with tempfile.TemporaryDirectory() as folder:
            if "formats" in only:
                bench_formats(speech, folder, results)
        if "non-speech" in only:
            bench_non_speech(speech, other, results)
        if "detection" in only:
            bench_detection(speech, results)
        if "timeline" in only:
            bench_timeline(speech, results)
        if "speed" in only:
            bench_speed(speech, results)


if __name__ == "__main__":
    main()
