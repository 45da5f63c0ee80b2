"""WAV in and out, for phone recordings. Telephone audio is small (8 kHz, 16-bit mono: about
1 MB a minute), so a recording is decoded whole; it never touches disk in clear."""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass

import numpy as np

WAV_CONTENT_TYPE = "audio/wav"


class AudioError(ValueError):
    """The bytes are not a WAV file this service can read."""


@dataclass(frozen=True)
class Audio:
    """Mono samples in -1..1 and their rate."""

    samples: np.ndarray
    sample_rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.sample_rate


def decode_wav(data: bytes) -> Audio:
    """Linear PCM WAV (8, 16 or 32 bit; any channel count, mixed down to mono)."""
    try:
        with wave.open(io.BytesIO(data), "rb") as reader:
            channels, width, rate = reader.getnchannels(), reader.getsampwidth(), reader.getframerate()
            frames = reader.getnframes()
            raw = reader.readframes(frames)
    except (wave.Error, EOFError) as error:
        raise AudioError(f"not a readable WAV file ({type(error).__name__})") from None
    if rate <= 0 or channels <= 0 or len(raw) < frames * channels * width:
        raise AudioError("the WAV file is truncated")
    if width == 1:
        samples = (np.frombuffer(raw, dtype=np.uint8).astype(np.float64) - 128.0) / 128.0
    elif width == 2:
        samples = np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0
    elif width == 4:
        samples = np.frombuffer(raw, dtype="<i4").astype(np.float64) / 2147483648.0
    else:
        raise AudioError(f"{8 * width}-bit WAV is not supported")
    samples = samples[: frames * channels].reshape(-1, channels).mean(axis=1)
    return Audio(samples=samples, sample_rate=rate)


def encode_wav(audio: Audio) -> bytes:
    """16-bit mono linear PCM WAV, the format browsers and Twilio both play."""
    clipped = np.clip(audio.samples, -1.0, 32767.0 / 32768.0)
    pcm = np.round(clipped * 32768.0).astype("<i2").tobytes()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(audio.sample_rate)
        writer.writeframes(pcm)
    return buffer.getvalue()
