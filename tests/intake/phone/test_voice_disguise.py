"""Voice disguise (docs/design.md#threat-model-and-anonymity-rules, rule 5): the pitch moves at least 3 semitones,
the formants move by their own ratio (not the pitch's), and the duration stays the same, measured with estimators
written here, independently of the module's own."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
import scipy.linalg
from scipy import signal

from intake.phone.audio import Audio, AudioError, decode_wav, encode_wav
from intake.phone.voice_disguise import (
    FORMANT_SHIFT_FRACTION,
    PITCH_SHIFT_SEMITONES,
    DisguiseParameters,
    choose_parameters,
    disguise,
)

RATE = 8000


def voiced(f0: float, seconds: float = 2.0, formants=((700, 130), (1220, 70), (2600, 160))) -> Audio:
    """An /a/-like vowel: a glottal pulse train with a slow vibrato through three formant resonators."""
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    phase = np.cumsum(f0 * (1 + 0.05 * np.sin(2 * math.pi * 1.5 * t))) / RATE
    pulses = np.zeros(n)
    pulses[np.nonzero(np.diff(np.floor(phase)) > 0)[0]] = 1.0
    x = signal.lfilter([1.0], [1.0, -0.97], pulses)
    for centre, bandwidth in formants:
        r = math.exp(-math.pi * bandwidth / RATE)
        theta = 2 * math.pi * centre / RATE
        x = signal.lfilter([1 - r], [1, -2 * r * math.cos(theta), r * r], x)
    return Audio(samples=0.5 * x / np.max(np.abs(x)), sample_rate=RATE)


def yin_pitch(x: np.ndarray, rate: int = RATE, low: float = 50.0, high: float = 500.0) -> float:
    """Median f0 by YIN (de Cheveigné and Kawahara, JASA 111(4), 2002): cumulative mean normalised difference,
    absolute threshold 0.15, parabolic interpolation."""
    size = int(0.05 * rate)
    estimates = []
    for start in range(0, len(x) - 2 * size, size // 2):
        frame = x[start : start + 2 * size]
        # d(tau) = sum (x_j - x_{j+tau})^2, expanded into energies and a cross-correlation.
        squares = np.concatenate([[0.0], np.cumsum(frame**2)])
        shifted_energy = squares[size : 2 * size] - squares[:size]
        correlation = np.correlate(frame[: 2 * size - 1], frame[:size], "valid")
        difference = np.maximum(squares[size] + shifted_energy - 2 * correlation, 0.0)
        normalised = np.ones(size)
        normalised[1:] = difference[1:] * np.arange(1, size) / np.maximum(np.cumsum(difference[1:]), 1e-12)
        shortest, longest = int(rate / high), int(rate / low)
        below = np.nonzero(normalised[shortest:longest] < 0.15)[0]
        if len(below) == 0:
            continue
        tau = below[0] + shortest
        while tau + 1 < longest and normalised[tau + 1] < normalised[tau]:
            tau += 1
        a, b, c = normalised[tau - 1], normalised[tau], normalised[tau + 1]
        shift = 0.5 * (a - c) / (a - 2 * b + c) if (a - 2 * b + c) else 0.0
        estimates.append(rate / (tau + shift))
    assert estimates, "no voiced frame found"
    return float(np.median(estimates))


def lpc_formants(x: np.ndarray, rate: int = RATE, order: int = 10) -> np.ndarray:
    """The first formants of a steady vowel, from the roots of an LPC polynomial (autocorrelation method)."""
    x = signal.lfilter([1, -0.63], [1], x) * np.hamming(len(x))
    r = np.correlate(x, x, "full")[len(x) - 1 : len(x) + order]
    a = scipy.linalg.solve_toeplitz(r[:order], -r[1 : order + 1])
    roots = np.roots(np.concatenate([[1], a]))
    frequencies = np.sort(np.angle(roots[np.imag(roots) > 0]) * rate / (2 * math.pi))
    return frequencies[frequencies > 200][:2]


def semitones(after: float, before: float) -> float:
    return 12 * math.log2(after / before)


@pytest.mark.parametrize("f0", [105.0, 125.0, 190.0, 230.0])
@pytest.mark.parametrize("seed", [1, 2])
def test_pitch_moves_at_least_three_semitones_and_duration_stays(f0, seed):
    original = voiced(f0)
    disguised = disguise(original, choose_parameters(original, random.Random(seed)))
    before, after = yin_pitch(original.samples), yin_pitch(disguised.samples)
    assert abs(before - f0) < 0.05 * f0  # the estimator hears the original right
    assert abs(semitones(after, before)) >= 3.0
    assert abs(disguised.seconds - original.seconds) <= 0.02 * original.seconds
    assert disguised.sample_rate == original.sample_rate and np.max(np.abs(disguised.samples)) <= 1.0


def test_low_voices_go_up_and_high_voices_go_down():
    low, high = voiced(105.0), voiced(230.0)
    assert choose_parameters(low, random.Random(3)).pitch_ratio > 1
    assert choose_parameters(high, random.Random(3)).pitch_ratio < 1


def test_formants_move_by_their_own_ratio_not_the_pitchs():
    original = voiced(120.0)
    parameters = DisguiseParameters(pitch_ratio=2 ** (5 / 12), formant_ratio=1.12)
    disguised = disguise(original, parameters)
    middle = slice(RATE // 2, RATE)  # a steady half second
    ratios = lpc_formants(disguised.samples[middle]) / lpc_formants(original.samples[middle])
    for ratio in ratios:  # F1 and F2
        assert abs(ratio - parameters.formant_ratio) < abs(ratio - parameters.pitch_ratio)
        assert 1.03 < ratio < 1.25


def test_parameters_are_random_within_the_intelligible_range():
    audio = voiced(120.0, seconds=0.5)
    drawn = {choose_parameters(audio) for _ in range(20)}
    assert len(drawn) == 20  # fresh for every recording, never the same inversion twice
    for parameters in drawn:
        assert PITCH_SHIFT_SEMITONES[0] <= abs(parameters.pitch_semitones) <= PITCH_SHIFT_SEMITONES[1]
        assert FORMANT_SHIFT_FRACTION[0] <= abs(parameters.formant_ratio - 1) <= FORMANT_SHIFT_FRACTION[1] + 0.01


def test_a_long_recording_is_disguised_in_segments_without_losing_a_sample():
    original = voiced(115.0, seconds=45.0)  # three segments of SEGMENT_SECONDS
    disguised = disguise(original, DisguiseParameters(pitch_ratio=2 ** (4.5 / 12), formant_ratio=1.1))
    assert len(disguised.samples) == len(original.samples)
    for start in (1.0, 19.9, 39.0):  # either side of each seam
        window = slice(int(start * RATE), int((start + 1.0) * RATE))
        assert semitones(yin_pitch(disguised.samples[window]), yin_pitch(original.samples[window])) > 3.0


@pytest.mark.parametrize("length", [0, 1, 100, 511, 1500])
def test_empty_and_tiny_recordings_keep_their_length_and_are_still_changed(length):
    assert len(disguise(Audio(samples=np.zeros(length), sample_rate=RATE)).samples) == length
    sound = voiced(120.0, seconds=0.5).samples[:length]
    disguised = disguise(Audio(samples=sound, sample_rate=RATE)).samples
    assert len(disguised) == length
    if length > 1:
        assert not np.allclose(disguised, sound, atol=1e-3)  # even a fragment is never kept as it was


def test_wav_round_trip_and_refusals():
    audio = voiced(120.0, seconds=0.3)
    again = decode_wav(encode_wav(audio))
    assert again.sample_rate == RATE and np.max(np.abs(again.samples - audio.samples)) < 1e-4
    whole = encode_wav(audio)
    for broken in (b"", b"RIFF", b"not audio at all", whole[: len(whole) // 2]):
        with pytest.raises(AudioError):
            decode_wav(broken)
