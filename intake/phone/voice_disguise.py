"""Voice disguise for phone recordings (docs/design.md#threat-model-and-anonymity-rules, rule 5). Pure numerics,
numpy and scipy.

A voice is recognised by its pitch and by its timbre, which is mostly the spectral envelope (the formants set by
the speaker's vocal tract). Shifting only the pitch leaves the timbre, and shifting both by the same factor
(playing the tape faster) is undone by playing it slower. So the two move separately:

1. pitch: a phase vocoder stretches time by the pitch ratio and the result is resampled back to the original
   length (Laroche and Dolson, "New phase-vocoder techniques for pitch-shifting", IEEE WASPAA 1999). Duration
   is kept exactly, pitch and formants both move by the pitch ratio;
2. formants: each frame's spectral envelope (cepstral smoothing, Oppenheim and Schafer, "Discrete-Time Signal
   Processing", ch. 13) is replaced by the ORIGINAL envelope warped by a separate formant ratio, so the vocal
   tract seems to change size by a different amount than the pitch moved.

The ratios are drawn at random for each recording, in a range that keeps speech understandable (4 to 6.5
semitones of pitch, 8 to 14 % of formant shift), and are never stored: undoing the disguise means guessing both.
The direction moves the voice across the middle of the adult speaking range (low voices go up, high voices go
down), which hides more than moving it further out. This defeats recognition of a voice by someone who knows
it; it does not hide word choice, accent or background sounds, which reviewers are told (docs/phone.md).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from intake.phone.audio import Audio

# The middle of the adult speaking range (about 100-120 Hz for low voices, 190-220 Hz for high ones).
PITCH_MIDDLE_HZ = 160.0
PITCH_SHIFT_SEMITONES = (4.0, 6.5)
FORMANT_SHIFT_FRACTION = (0.08, 0.14)
# Long recordings are processed in overlapping segments so memory stays small (10 minutes at 8 kHz would
# otherwise need several hundred megabytes of spectra).
SEGMENT_SECONDS = 20.0
CROSSFADE_SECONDS = 0.25
# Cepstral lifter: quefrencies below 2 ms are the envelope, above are the harmonics of voices up to 500 Hz.
ENVELOPE_QUEFRENCY_SECONDS = 0.002
MAX_ENVELOPE_GAIN = 16.0


@dataclass(frozen=True)
class DisguiseParameters:
    pitch_ratio: float
    formant_ratio: float

    @property
    def pitch_semitones(self) -> float:
        return float(12 * np.log2(self.pitch_ratio))


def choose_parameters(audio: Audio, rng: random.Random | None = None) -> DisguiseParameters:
    """Random ratios for one recording (``rng`` defaults to the operating system's randomness)."""
    rng = rng or random.SystemRandom()
    median = median_pitch(audio)
    direction = 1.0 if median is None or median < PITCH_MIDDLE_HZ else -1.0
    semitones = rng.uniform(*PITCH_SHIFT_SEMITONES)
    formant = 1.0 + rng.uniform(*FORMANT_SHIFT_FRACTION)
    return DisguiseParameters(pitch_ratio=2.0 ** (direction * semitones / 12.0),
                              formant_ratio=formant if direction > 0 else 1.0 / formant)


def disguise(audio: Audio, parameters: DisguiseParameters | None = None) -> Audio:
    """The same speech, as long as the original to the sample, in a voice with other pitch and timbre."""
    parameters = parameters or choose_parameters(audio)
    samples = np.asarray(audio.samples, dtype=np.float64)
    if len(samples) == 0:
        return Audio(samples=samples.copy(), sample_rate=audio.sample_rate)
    rate = audio.sample_rate
    segment = max(int(SEGMENT_SECONDS * rate), 1)
    overlap = min(int(CROSSFADE_SECONDS * rate), segment // 4)
    out = np.zeros_like(samples)
    start = 0
    while True:
        end = min(start + segment, len(samples))
        piece = _shift(samples[start:end], rate, parameters)
        weight = np.ones(end - start)
        if start > 0 and overlap:
            weight[:overlap] = np.linspace(0.0, 1.0, overlap, endpoint=False)
        if end < len(samples) and overlap:
            weight[-overlap:] = 1.0 - np.linspace(0.0, 1.0, overlap, endpoint=False)
        out[start:end] += piece * weight
        if end >= len(samples):
            break
        start = end - overlap
    return Audio(samples=_match_level(out, samples), sample_rate=rate)


def _fft_size(rate: int) -> int:
    # About 64 ms: long enough to resolve the harmonics of low voices, short enough to follow speech.
    return int(2 ** np.ceil(np.log2(max(rate * 0.064, 64))))


def _stft(x: np.ndarray, window: np.ndarray, hop: int) -> np.ndarray:
    """Bins by frames; frames centred on multiples of ``hop``."""
    size = len(window)
    padded = np.pad(x, (size // 2, size // 2 + size))
    count = 1 + (len(padded) - size) // hop
    index = np.arange(size)[None, :] + hop * np.arange(count)[:, None]
    return np.fft.rfft(padded[index] * window, axis=1).T


def _istft(spectrum: np.ndarray, window: np.ndarray, hop: int, length: int) -> np.ndarray:
    size = len(window)
    frames = np.fft.irfft(spectrum.T, n=size, axis=1) * window
    count = frames.shape[0]
    blocks = size // hop
    total = hop * (count + blocks)
    out = np.zeros(total)
    norm = np.zeros(total)
    out_blocks, norm_blocks = out.reshape(-1, hop), norm.reshape(-1, hop)
    squared = window**2
    for k in range(blocks):  # overlap-add, one hop-sized slice of every frame at a time
        out_blocks[k : k + count] += frames[:, k * hop : (k + 1) * hop]
        norm_blocks[k : k + count] += squared[k * hop : (k + 1) * hop]
    out = out / np.maximum(norm, 1e-8)
    begin = size // 2
    result = out[begin : begin + length]
    return np.pad(result, (0, length - len(result)))


def _resample(x: np.ndarray, length: int) -> np.ndarray:
    # Imported here, not at the top: scipy.signal takes about half of every ``hotline`` process's start-up
    # (serve, worker, each command), and only the worker disguising a recording needs it.
    from scipy import signal

    return np.asarray(signal.resample(x, length))


def _time_stretch(x: np.ndarray, ratio: float, window: np.ndarray, hop: int) -> np.ndarray:
    """Phase vocoder: ``x`` made ``ratio`` times as long at the same pitch."""
    spectrum = _stft(x, window, hop)
    bins, count = spectrum.shape
    if count < 2:
        return _resample(x, max(1, round(len(x) * ratio)))
    steps = np.arange(0.0, count - 1, 1.0 / ratio)
    lower = np.floor(steps).astype(int)
    fraction = steps - lower
    magnitude = np.abs(spectrum)
    stretched = (1.0 - fraction) * magnitude[:, lower] + fraction * magnitude[:, lower + 1]
    expected = 2.0 * np.pi * hop * np.arange(bins) / len(window)
    phase = np.angle(spectrum)
    deviation = phase[:, 1:] - phase[:, :-1] - expected[:, None]
    deviation -= 2.0 * np.pi * np.round(deviation / (2.0 * np.pi))
    advance = expected[:, None] + deviation[:, lower]
    accumulated = np.concatenate([np.zeros((bins, 1)), np.cumsum(advance[:, :-1], axis=1)], axis=1)
    synthesized = stretched * np.exp(1j * (phase[:, :1] + accumulated))
    return _istft(synthesized, window, hop, max(1, round(len(x) * ratio)))


def _envelope(magnitude: np.ndarray, lifter: int) -> np.ndarray:
    """Spectral envelope of each frame by cepstral smoothing (the low quefrencies of the log spectrum)."""
    cepstrum = np.fft.irfft(np.log(magnitude + 1e-9), axis=0)
    size = cepstrum.shape[0]
    cepstrum[lifter : size - lifter + 1] = 0.0
    return np.exp(np.fft.rfft(cepstrum, axis=0).real)


def _warp(envelope: np.ndarray, ratio: float) -> np.ndarray:
    """The envelope with every frequency multiplied by ``ratio`` (formants move up when ratio > 1)."""
    bins = envelope.shape[0]
    source = np.arange(bins) / ratio
    lower = np.clip(np.floor(source).astype(int), 0, bins - 1)
    upper = np.clip(lower + 1, 0, bins - 1)
    fraction = np.clip(source - lower, 0.0, 1.0)[:, None]
    warped = (1.0 - fraction) * envelope[lower] + fraction * envelope[upper]
    beyond = source > bins - 1
    warped[beyond] = envelope[-1]
    return warped


def _shift(x: np.ndarray, rate: int, parameters: DisguiseParameters) -> np.ndarray:
    size = _fft_size(rate)
    if len(x) < 2 * size:  # too short to analyse: pad with silence, shift, cut back (never stored as it was)
        return _shift(np.pad(x, (0, 2 * size - len(x))), rate, parameters)[: len(x)]
    hop = size // 4
    window = np.hanning(size + 1)[:-1]  # periodic Hann: its squares overlap-add to a constant at size/4
    stretched = _time_stretch(x, parameters.pitch_ratio, window, hop)
    shifted = _resample(stretched, len(x))
    lifter = max(4, int(ENVELOPE_QUEFRENCY_SECONDS * rate))
    original = _stft(x, window, hop)
    moved = _stft(shifted, window, hop)
    frames = min(original.shape[1], moved.shape[1])
    original, moved = original[:, :frames], moved[:, :frames]
    target = _warp(_envelope(np.abs(original), lifter), parameters.formant_ratio)
    current = _envelope(np.abs(moved), lifter)
    gain = np.clip(target / np.maximum(current, 1e-9), 1.0 / MAX_ENVELOPE_GAIN, MAX_ENVELOPE_GAIN)
    return _istft(moved * gain, window, hop, len(x))


def _match_level(out: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """The loudness of the original, without clipping."""
    out_rms = float(np.sqrt(np.mean(out**2)))
    if out_rms > 0:
        out = out * (float(np.sqrt(np.mean(reference**2))) / out_rms)
    peak = float(np.max(np.abs(out))) if len(out) else 0.0
    return out * (0.98 / peak) if peak > 0.98 else out


def median_pitch(audio: Audio, *, low_hz: float = 60.0, high_hz: float = 400.0) -> float | None:
    """The median fundamental frequency of the voiced frames (normalised autocorrelation), or None when
    nothing sounds voiced. Used only to choose the direction of the shift."""
    x = np.asarray(audio.samples, dtype=np.float64)
    rate = audio.sample_rate
    size = int(0.04 * rate)
    hop = size // 2
    if len(x) < size or size < 8:
        return None
    count = 1 + (len(x) - size) // hop
    frames = x[np.arange(size)[None, :] + hop * np.arange(count)[:, None]]
    frames = frames - frames.mean(axis=1, keepdims=True)
    energy = np.sqrt(np.mean(frames**2, axis=1))
    loud = frames[energy > 0.3 * np.max(energy)] if np.max(energy) > 0 else frames[:0]
    if len(loud) == 0:
        return None
    spectrum = np.fft.rfft(loud, n=2 * size, axis=1)
    correlation = np.fft.irfft(np.abs(spectrum) ** 2, axis=1)[:, :size]
    correlation /= np.maximum(correlation[:, :1], 1e-12)
    shortest, longest = int(rate / high_hz), min(int(rate / low_hz), size - 1)
    if shortest >= longest:
        return None
    window = correlation[:, shortest:longest]
    lags = np.argmax(window, axis=1) + shortest
    voiced = window.max(axis=1) > 0.5
    if not np.any(voiced):
        return None
    return float(np.median(rate / lags[voiced]))
