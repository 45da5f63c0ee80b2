"""Offline transcription of phone recordings (docs/design.md#transcripts): an engine interface and two engines.

- ``pocketsphinx``: CMU PocketSphinx with the US English model its wheel ships. Always there, English only,
  modest accuracy.
- ``faster-whisper``: OpenAI's Whisper in CTranslate2 form, English and Spanish, from a model directory the
  operator provides (``HOTLINE_TRANSCRIBE_MODEL_DIR``: ``model.bin``, ``config.json``, ``tokenizer.json``,
  ``vocabulary.*``). It is opened with ``local_files_only``: nothing is ever downloaded.

Audio is handed over in memory (intake.phone.audio.Audio) and resampled to the 16 kHz both engines expect; it is
never written anywhere. Whatever goes wrong becomes :class:`TranscriptUnavailable` with a reason code the case
shows (:data:`REASONS`), never a crash: a recording is worth keeping without its transcript.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from intake.messages import N_
from intake.phone.audio import Audio

logger = logging.getLogger("hotline.transcription")

ENGINE_WHISPER = "faster-whisper"
ENGINE_POCKETSPHINX = "pocketsphinx"
ENGINES = (ENGINE_WHISPER, ENGINE_POCKETSPHINX)
ENGLISH, SPANISH = "en", "es"
ENGINE_RATE = 16_000

# Why a recording has no transcript, as stored (sealed) on the case; the console words each one.
TOO_LONG = "too_long"
EMPTY = "empty"
UNREADABLE = "unreadable"
ENGINE_FAILED = "engine_failed"
LANGUAGE = "language"
REASONS = (TOO_LONG, EMPTY, UNREADABLE, ENGINE_FAILED, LANGUAGE)
# The reasons an operator can do something about, so the worker logs them; the others are facts of the call.
OPERATOR_REASONS = (UNREADABLE, ENGINE_FAILED, LANGUAGE)
# How the console words each reason (translated there, hotline.rendering).
REASON_SENTENCES = {
    TOO_LONG: N_("too long: the recording is longer than this service transcribes "
                 "(HOTLINE_TRANSCRIBE_MAX_SECONDS)."),
    EMPTY: N_("no words were heard in the recording."),
    UNREADABLE: N_("the recording could not be read as audio, so nothing of it could be transcribed or "
                   "disguised."),
    ENGINE_FAILED: N_("the transcription engine could not run (the operator should check "
                      "HOTLINE_TRANSCRIBE_MODEL_DIR and the worker's log)."),
    LANGUAGE: N_("the transcription engine does not know the caller's language (PocketSphinx is English only)."),
}


def reason_sentence(reason: str) -> str:
    return REASON_SENTENCES.get(reason, N_("unknown reason."))
# Anything quieter than this (about -60 dBFS) throughout is silence, not speech.
SILENCE_RMS = 0.001
# PocketSphinx decodes in pieces of this length, so a long recording never builds one huge lattice.
SPHINX_WINDOW_SECONDS = 20.0
WHISPER_FILES = ("model.bin", "config.json", "tokenizer.json")

KeepAlive = Callable[[], None]


class TranscriptUnavailable(Exception):
    """No transcript for this recording; ``reason`` is one of :data:`REASONS`."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class EngineUnavailable(TranscriptUnavailable):
    """The engine itself cannot run (model directory missing or corrupt, library missing): every recording
    would fail the same way until an operator fixes it."""

    def __init__(self, detail: str) -> None:
        super().__init__(ENGINE_FAILED, detail)


class Engine(Protocol):
    name: str
    languages: frozenset[str]

    def transcribe(self, samples: np.ndarray, language: str, keep_alive: KeepAlive) -> str:
        """Text of 16 kHz mono float32 ``samples`` in ``language``; EngineUnavailable when it cannot run."""
        ...


@dataclass(frozen=True)
class Transcript:
    engine: str
    language: str
    text: str


def to_engine_rate(audio: Audio) -> np.ndarray:
    """The samples at 16 kHz, float32, as both engines take them."""
    samples = np.asarray(audio.samples, dtype=np.float32)
    if audio.sample_rate == ENGINE_RATE or len(samples) == 0:
        return samples
    from math import gcd

    from scipy import signal  # imported here: see intake.phone.voice_disguise._resample

    divisor = gcd(ENGINE_RATE, audio.sample_rate)
    return np.asarray(signal.resample_poly(samples, ENGINE_RATE // divisor, audio.sample_rate // divisor),
                      dtype=np.float32)


def transcribe(engine: Engine, audio: Audio, language: str, *, max_seconds: float,
               keep_alive: KeepAlive = lambda: None) -> Transcript:
    """The transcript of ``audio``, or TranscriptUnavailable saying why there is none."""
    if audio.seconds > max_seconds:
        raise TranscriptUnavailable(TOO_LONG, f"{audio.seconds:.0f} s is over the {max_seconds:.0f} s cap")
    if len(audio.samples) == 0 or float(np.sqrt(np.mean(np.square(audio.samples)))) < SILENCE_RMS:
        raise TranscriptUnavailable(EMPTY, "no sound in the recording")
    if language not in engine.languages:
        raise TranscriptUnavailable(LANGUAGE, f"{engine.name} does not transcribe {language!r}")
    text = engine.transcribe(to_engine_rate(audio), language, keep_alive)
    text = " ".join(text.split())
    if not text:
        raise TranscriptUnavailable(EMPTY, "no words recognised")
    return Transcript(engine.name, language, text)


class WhisperEngine:
    """faster-whisper with a CTranslate2 Whisper model from an operator's directory, loaded once, on first use."""

    name = ENGINE_WHISPER
    languages = frozenset({ENGLISH, SPANISH})

    def __init__(self, model_dir: str, *, threads: int = 0) -> None:
        self.model_dir = Path(model_dir)
        self.threads = threads or (os.cpu_count() or 1)
        self._model: Any = None
        self._lock = threading.Lock()

    def check(self) -> None:
        """EngineUnavailable unless the directory holds a model's files (read at start-up and before use)."""
        if not self.model_dir.is_dir():
            raise EngineUnavailable(f"the model directory {self.model_dir} does not exist")
        missing = [name for name in WHISPER_FILES if not (self.model_dir / name).is_file()]
        if missing:
            raise EngineUnavailable(f"the model directory {self.model_dir} lacks {', '.join(missing)}")

    def _loaded(self) -> Any:
        with self._lock:
            if self._model is None:
                self.check()
                try:
                    from faster_whisper import WhisperModel
                except ImportError:
                    raise EngineUnavailable("the faster-whisper library is not installed") from None
                try:
                    self._model = WhisperModel(str(self.model_dir), device="cpu", compute_type="int8",
                                               cpu_threads=self.threads, local_files_only=True)
                except Exception as error:  # CTranslate2 raises RuntimeError or ValueError on a bad model
                    raise EngineUnavailable(f"the model in {self.model_dir} cannot be loaded "
                                            f"({type(error).__name__})") from None
            return self._model

    def transcribe(self, samples: np.ndarray, language: str, keep_alive: KeepAlive) -> str:
        model = self._loaded()
        try:
            # Greedy decoding falls back to sampling only on failure; the previous text is not fed back, which
            # keeps one misheard phrase from repeating through a long recording.
            segments, _info = model.transcribe(samples, language=language, beam_size=5, vad_filter=False,
                                               condition_on_previous_text=False)
            parts = []
            for segment in segments:  # a generator: each 30-second window is decoded as it is asked for
                parts.append(segment.text.strip())
                keep_alive()
        except Exception as error:
            raise EngineUnavailable(f"the model failed while transcribing ({type(error).__name__})") from None
        return " ".join(parts)


class PocketSphinxEngine:
    """CMU PocketSphinx with the US English acoustic model, dictionary and language model its wheel ships."""

    name = ENGINE_POCKETSPHINX
    languages = frozenset({ENGLISH})

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._decoder: Any = None

    def transcribe(self, samples: np.ndarray, language: str, keep_alive: KeepAlive) -> str:
        pcm = np.round(np.clip(samples, -1.0, 32767 / 32768) * 32768).astype("<i2")
        window = int(SPHINX_WINDOW_SECONDS * ENGINE_RATE)
        words = []
        with self._lock:  # one decoder, loaded once (half a second), used by one thread at a time
            try:
                if self._decoder is None:
                    try:
                        from pocketsphinx import Decoder
                    except ImportError:
                        raise EngineUnavailable("the pocketsphinx library is not installed") from None
                    self._decoder = Decoder(samprate=float(ENGINE_RATE), logfn=os.devnull)
                decoder = self._decoder
                for start in range(0, len(pcm), window):
                    decoder.start_utt()
                    decoder.process_raw(pcm[start:start + window].tobytes(), no_search=False, full_utt=True)
                    decoder.end_utt()
                    hypothesis = decoder.hyp()
                    if hypothesis is not None and hypothesis.hypstr:
                        words.append(hypothesis.hypstr)
                    keep_alive()
            except RuntimeError as error:
                raise EngineUnavailable(f"PocketSphinx failed ({type(error).__name__})") from None
        return " ".join(words)


def make_engine(name: str, model_dir: str, *, threads: int = 0) -> Engine:
    """The engine a deployment uses: faster-whisper when named, else PocketSphinx."""
    if name == ENGINE_WHISPER:
        return WhisperEngine(model_dir, threads=threads)
    if name == ENGINE_POCKETSPHINX:
        return PocketSphinxEngine()
    raise ValueError(f"unknown transcription engine {name!r}")
