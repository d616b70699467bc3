"""The voice of the synthetic corpus: speakers and one utterance at a time.

A source-filter model: a Rosenberg glottal pulse with jitter, shimmer and
aspiration noise, spectral tilt, vowel formants per syllable, unvoiced
consonant onsets and background noise; prosody (F0 level, range and
declination, pitch accents, tempo, pauses, loudness) from the speaker and
the emotion. Each step draws from the utterance's own random generator in
a fixed order, so that a seed gives the same waveform.
"""

from types import SimpleNamespace

import numpy as np
from scipy.signal import lfilter, sosfilt

from ..features._audio import frame_params
from ..features._audio import n_frames as count_frames

# Vowel formants (Hz) of an adult male voice (Peterson & Barney style), and
# the bandwidths of the four formants.
_VOWELS = np.array(
    [
        [730.0, 1090.0, 2440.0, 3400.0],  # a
        [530.0, 1840.0, 2480.0, 3500.0],  # e
        [270.0, 2290.0, 3010.0, 3700.0],  # i
        [570.0, 840.0, 2410.0, 3300.0],  # o
        [300.0, 870.0, 2240.0, 3300.0],  # u
        [660.0, 1720.0, 2410.0, 3400.0],  # ae
        [520.0, 1190.0, 2390.0, 3400.0],  # schwa
    ]
)
_BANDWIDTHS = np.array([70.0, 100.0, 140.0, 200.0])


def draw_speakers(rng, n_sessions):
    """Voice parameters of the F and M speaker of each session."""
    speakers = []
    for session in range(1, n_sessions + 1):
        # recording conditions are shared by the session's two speakers
        session_gain = rng.normal(0.0, 3.5)
        session_snr = rng.uniform(20.0, 35.0)
        for gender in "FM":
            female = gender == "F"
            speakers.append(
                dict(
                    id=f"Ses{session:02d}{gender}",
                    session=session,
                    gender=gender,
                    f0=(205.0 if female else 118.0) * np.exp(rng.normal(0.0, 0.11)),
                    f0_range=np.exp(rng.normal(0.0, 0.3)),
                    vtl=(1.17 if female else 1.0) * np.exp(rng.normal(0.0, 0.04)),
                    tempo=4.6 * np.exp(rng.normal(0.0, 0.15)),
                    tilt=rng.normal(0.0, 0.12),
                    closing=rng.normal(0.0, 0.03),
                    jitter=0.007 * np.exp(rng.normal(0.0, 0.3)),
                    breath=rng.uniform(0.03, 0.10),
                    gain=session_gain + rng.normal(0.0, 2.0),
                    snr=session_snr + rng.normal(0.0, 2.0),
                )
            )
    return speakers


def _raised_cosine_ramp(n):
    return 0.5 - 0.5 * np.cos(np.pi * (np.arange(n) + 0.5) / n)


def _formant_sos(formants, sr):
    """Cascade of unity-DC-gain two-pole resonators (Klatt), one per formant."""
    sos = []
    for f, bw in zip(formants, _BANDWIDTHS, strict=True):
        if f >= 0.45 * sr:
            continue
        r = np.exp(-np.pi * bw / sr)
        c = -2.0 * r * np.cos(2.0 * np.pi * f / sr)
        sos.append([1.0 + c + r * r, 0.0, 0.0, 1.0, c, r * r])
    return np.array(sos)


def _voice_of(rng, spk, emo):
    """Per-utterance variation of the speaker's voice."""
    f0_shift = emo["f0_shift"] + rng.normal(0.0, 1.2)
    range_factor = emo["f0_range"] * spk["f0_range"] * np.exp(rng.normal(0.0, 0.3))
    rate = spk["tempo"] * emo["tempo"] * np.exp(rng.normal(0.0, 0.09))
    level_db = -30.0 + spk["gain"] + emo["loudness"] + rng.normal(0.0, 2.0)
    tilt = np.clip(emo["tilt"] + spk["tilt"] + rng.normal(0.0, 0.06), 0.0, 0.92)
    closing = np.clip(emo["closing"] + spk["closing"], 0.06, 0.35)
    jitter = spk["jitter"] * emo["jitter"]
    breath = spk["breath"] * emo["breath"]
    return SimpleNamespace(f0_shift=f0_shift, range_factor=range_factor, rate=rate,
                           level_db=level_db, tilt=tilt, closing=closing,
                           jitter=jitter, breath=breath)


def _syllables(rng, rate, emo):
    """Syllables, phrases and pauses: their times in seconds (at most 10 s)."""
    n_syll = int(np.clip(round(np.exp(rng.normal(np.log(9.0), 0.6))), 4, 200))
    n_syll = min(n_syll, int(rate * 7.0))
    syll_dur = np.exp(rng.normal(0.0, 0.25, n_syll)) / rate
    accented = rng.random(n_syll) < 0.4
    phrase_start = np.zeros(n_syll, dtype=bool)
    i = 0
    while i < n_syll:
        phrase_start[i] = True
        i += int(rng.integers(4, 10))
    accented |= phrase_start & (rng.random(n_syll) < 0.5)
    syll_dur *= np.where(accented, 1.2, 1.0)
    pauses = np.where(
        phrase_start,
        np.clip(0.22 * emo["pause"] * np.exp(rng.normal(0.0, 0.4, n_syll)), 0.08, 0.7),
        0.0,
    )
    lead, trail = rng.uniform(0.08, 0.3, 2)
    pauses[0] = lead
    starts = np.cumsum(pauses) + np.concatenate([[0.0], np.cumsum(syll_dur)[:-1]])
    onset = syll_dur * rng.uniform(0.15, 0.4, n_syll)  # unvoiced consonant part
    nuc_start = starts + onset
    nuc_end = starts + syll_dur
    # at most 10 s: drop the syllables that end too late
    keep = max(4, int(np.searchsorted(nuc_end + trail, 9.95)))
    if keep < n_syll:
        n_syll = keep
        syll_dur, accented, phrase_start = (
            syll_dur[:keep], accented[:keep], phrase_start[:keep]
        )
        starts, onset = starts[:keep], onset[:keep]
        nuc_start, nuc_end = nuc_start[:keep], nuc_end[:keep]
    total = nuc_end[-1] + trail
    phrase_id = np.cumsum(phrase_start) - 1
    n_phrases = phrase_id[-1] + 1
    return SimpleNamespace(n_syll=n_syll, syll_dur=syll_dur, accented=accented,
                           phrase_start=phrase_start, starts=starts, onset=onset,
                           nuc_start=nuc_start, nuc_end=nuc_end, total=total,
                           phrase_id=phrase_id, n_phrases=n_phrases)


def _f0_contour(rng, spk, voice, syl):
    """F0 in Hz at 5 ms control points: declination, accents, a final fall."""
    f0_shift, range_factor = voice.f0_shift, voice.range_factor
    starts, phrase_start, total = syl.starts, syl.phrase_start, syl.total
    nuc_start, nuc_end, accented = syl.nuc_start, syl.nuc_end, syl.accented
    n_syll, n_phrases = syl.n_syll, syl.n_phrases
    t_ctrl = np.arange(0.0, total + 0.01, 0.005)
    p_begin = starts[phrase_start]
    p_end = np.append(starts[phrase_start][1:], total)
    p_idx = np.clip(np.searchsorted(p_begin, t_ctrl, side="right") - 1, 0, None)
    pos = np.clip((t_ctrl - p_begin[p_idx]) / (p_end[p_idx] - p_begin[p_idx]), 0, 1)
    decl = 2.0 * range_factor * np.exp(rng.normal(0.0, 0.2, n_phrases))
    st = f0_shift + decl[p_idx] * (0.5 - pos)
    centre = 0.5 * (nuc_start + nuc_end)
    width = 0.35 * (nuc_end - nuc_start) + 0.03
    amp = np.where(accented, 2.2, 0.5) * range_factor * rng.uniform(0.6, 1.3, n_syll)
    st = st + (amp[:, None] * np.exp(
        -0.5 * ((t_ctrl[None, :] - centre[:, None]) / width[:, None]) ** 2
    )).sum(axis=0)
    # phrase-final fall (or a rise, as in a question)
    last = nuc_end[-1] - nuc_start[-1]
    final = np.clip((t_ctrl - nuc_start[-1]) / last, 0.0, 1.0)
    st = st + final * range_factor * (2.5 if rng.random() < 0.15 else -1.8)
    wander = rng.normal(0.0, 0.35, int(total * 8) + 2)
    st = st + np.interp(t_ctrl, np.arange(wander.size) / 8.0, wander)
    f0_ctrl = np.clip(spk["f0"] * 2.0 ** (st / 12.0), 60.0, 450.0)
    return t_ctrl, f0_ctrl


def _glottal_source(rng, f0, f0_max, voice, n, sr):
    """The glottal flow derivative with jitter, shimmer, breath and tilt."""
    jitter, closing, breath, tilt = voice.jitter, voice.closing, voice.breath, voice.tilt
    # jitter: one random period perturbation per (approximate) glottal cycle
    cycle = (np.arange(n) * (f0_max / sr)).astype(np.int64)
    n_cycles = int(n * f0_max / sr) + 2
    f0_jit = f0 * (1.0 + np.clip(rng.normal(0.0, jitter, n_cycles), -0.1, 0.1)[cycle])
    phase = np.cumsum(f0_jit) / sr
    cycle = phase.astype(np.int64)
    frac = phase - cycle
    t_open = 0.40
    opening = frac < t_open
    open_phase = frac < t_open + closing
    # one sine for both phases: rising flank while opening, falling while closing
    scale = np.where(opening, 0.5 * np.pi / t_open, -0.5 * np.pi / closing)
    arg = np.where(
        opening, (np.pi / t_open) * frac, (0.5 * np.pi / closing) * (frac - t_open)
    )
    dg = np.sin(arg) * scale * open_phase
    dg *= 1.0 + np.clip(rng.normal(0.0, 2.5 * jitter, n_cycles), -0.3, 0.3)[cycle]
    dg += open_phase * (breath * 4.0) * rng.standard_normal(n, dtype=np.float32)
    src = lfilter([1.0 - tilt], [1.0, -tilt], dg)
    return src


def _vowels(rng, src, spk, syl, n, sr):
    """The voiced nuclei through their vowel formants, and their envelope."""
    n_syll, accented = syl.n_syll, syl.accented
    nuc_start, nuc_end = syl.nuc_start, syl.nuc_end
    ramp_n = max(2, int(0.02 * sr))
    ramp = _raised_cosine_ramp(ramp_n)
    tail = int(0.03 * sr)
    vowels = rng.integers(0, len(_VOWELS), n_syll)
    formants = _VOWELS[vowels] * spk["vtl"] * np.exp(rng.normal(0.0, 0.04, (n_syll, 4)))
    syll_amp = np.where(accented, 1.0, 0.7) * np.exp(rng.normal(0.0, 0.15, n_syll))
    env = np.zeros(n)
    voiced = np.zeros(n)
    a_idx = np.round(nuc_start * sr).astype(np.int64)
    b_idx = np.minimum(np.round(nuc_end * sr).astype(np.int64), n)
    for k in range(n_syll):
        a, b = a_idx[k], b_idx[k]
        m = b - a
        e = np.full(m, syll_amp[k])
        r = min(ramp_n, m // 2)
        rr = ramp if r == ramp_n else _raised_cosine_ramp(r)
        e[:r] *= rr
        e[m - r:] *= rr[::-1]
        env[a:b] = e / syll_amp[k]
        seg = np.concatenate([src[a:b] * e, np.zeros(tail)])
        out = sosfilt(_formant_sos(formants[k], sr), seg)
        stop = min(n, b + tail)
        voiced[a:stop] += out[: stop - a]
    return voiced, env


def _consonants(rng, syl, level, n, sr):
    """Unvoiced consonant onsets: fricative noise, or silent closures."""
    n_syll, starts = syl.n_syll, syl.starts
    a_idx = np.round(syl.nuc_start * sr).astype(np.int64)
    fric = lfilter([1.0, -0.95], [1.0], rng.standard_normal(n, dtype=np.float32))
    fric *= level / np.std(fric)
    c_amp = rng.uniform(0.05, 0.35, n_syll) * (rng.random(n_syll) < 0.7)
    c_start = np.round(starts * sr).astype(np.int64)
    cons_env = np.zeros(n)
    for k in range(n_syll):
        a, b = c_start[k], a_idx[k]
        m = b - a
        if m < 4 or c_amp[k] == 0.0:
            continue
        cons_env[a:b] = c_amp[k] * np.sin(np.pi * (np.arange(m) + 0.5) / m)
    return fric * cons_env


def _frames_f0(f0, env, n, sr):
    """Ground-truth F0 on openSMILE's frame grid (0 unless fully voiced)."""
    flen, hop = frame_params(sr)
    n_frames = count_frames(n, sr)
    starts_f = np.arange(n_frames) * hop
    csum = np.concatenate([[0], np.cumsum(env >= 0.5)])
    fully_voiced = (csum[starts_f + flen] - csum[starts_f]) == flen
    f0_frames = np.where(fully_voiced, f0[starts_f + flen // 2], 0.0)
    return f0_frames.astype(np.float32)


def utterance(rng, spk, emo, sr):
    """One utterance: (waveform float32, ground-truth F0 per 10 ms frame)."""
    voice = _voice_of(rng, spk, emo)
    syl = _syllables(rng, voice.rate, emo)
    n = int(round(syl.total * sr))
    t_ctrl, f0_ctrl = _f0_contour(rng, spk, voice, syl)
    f0 = np.interp(np.arange(n) / sr, t_ctrl, f0_ctrl)
    src = _glottal_source(rng, f0, float(f0_ctrl.max()), voice, n, sr)
    voiced, env = _vowels(rng, src, spk, syl, n, sr)
    active = voiced[env > 0.5]
    speech_rms = np.sqrt(np.mean(active**2)) if active.size else 1.0
    level = 10.0 ** (voice.level_db / 20.0)
    signal = voiced * (level / speech_rms)
    signal += _consonants(rng, syl, level, n, sr)
    noise = lfilter([1.0], [1.0, -0.7], rng.standard_normal(n, dtype=np.float32))
    noise *= level * 10.0 ** (-spk["snr"] / 20.0) / np.std(noise)
    signal += noise
    wave = np.clip(signal, -1.0, 1.0).astype(np.float32)
    return wave, _frames_f0(f0, env, n, sr)
