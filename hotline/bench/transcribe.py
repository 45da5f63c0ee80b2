"""``hotline bench transcribe``: each transcription engine's real-time factor on all cores and word error rate
against the known text, on English and Spanish report sentences spoken by espeak-ng (hotline.bench.speech), as
wideband (16 kHz) and telephone (8 kHz) audio, before and after the voice disguise the stored copy gets.

The sentences of a language are one recording, as a caller leaves one; the real-time factor is the time to
transcribe it over its length (under 1: faster than it plays). faster-whisper reads the model in ``--model-dir``,
or by default the Whisper base model the test extra pins (hotline.bench.whisper_model). No database is used.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hotline.bench.report import DEFAULT_REPORT, BenchSection, write_section
from hotline.bench.speech import CAREFUL, ESPEAK_DEFAULT, SENTENCES, Pace, speak, word_errors
from hotline.bench.whisper_model import assemble
from intake.phone import voice_disguise
from intake.phone.audio import Audio
from intake.phone.transcription import Engine, PocketSphinxEngine, TranscriptUnavailable, WhisperEngine, transcribe

LANGUAGE_NAMES = {"en": "English", "es": "Spanish"}


@dataclass(frozen=True)
class Row:
    engine: str
    language: str
    rate: int
    pace: Pace
    disguised: bool
    errors: int
    words: int
    seconds: float
    elapsed: float

    @property
    def wer(self) -> float:
        return self.errors / max(self.words, 1)

    @property
    def rtf(self) -> float:
        return self.elapsed / max(self.seconds, 1e-9)


def register(parts: argparse._SubParsersAction) -> None:
    parser = parts.add_parser("transcribe", help="Transcription speed and word error rate per engine.",
                              description="Real-time factor and word error rate of each transcription engine on "
                                          "espeak-ng speech, before and after voice disguise, at 16 and 8 kHz.")
    parser.add_argument("--model-dir", help="A CTranslate2 Whisper model directory (default: the Whisper base "
                                            "model of the test extra, joined in a temporary directory).")
    parser.add_argument("--sentences", type=int, default=10, help="Sentences per language (default 10, at most 10).")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                        help="Cores faster-whisper may use (default: all of them).")
    parser.add_argument("--write", action="store_true", help="Record the result in the report (docs/BENCHMARKS.md).")
    parser.add_argument("--report", type=Path, default=DEFAULT_REPORT, metavar="PATH",
                        help=f"The report --write records into (default {DEFAULT_REPORT}).")
    parser.set_defaults(run=run)


def recording(language: str, count: int, rate: int, pace: Pace) -> tuple[Audio, str]:
    """The first ``count`` sentences as one recording with half a second between them, and their text."""
    sentences = SENTENCES[language][:count]
    pieces = []
    for sentence in sentences:
        pieces += [speak(sentence, language, rate=rate, pace=pace).samples, np.zeros(rate // 2)]
    return Audio(samples=np.concatenate(pieces), sample_rate=rate), " ".join(sentences)


def measure_one(engine: Engine, language: str, audio: Audio, text: str, *, rate: int, pace: Pace,
                disguised: bool) -> Row:
    started = time.perf_counter()
    try:
        heard = transcribe(engine, audio, language, max_seconds=14_400).text
    except TranscriptUnavailable:
        heard = ""
    elapsed = time.perf_counter() - started
    errors, words = word_errors(text, heard)
    return Row(engine.name, language, rate, pace, disguised, errors, words, audio.seconds, elapsed)


def measure(args: argparse.Namespace, log: Callable[[str], None] = print) -> list[Row]:
    count = max(1, min(args.sentences, 10))
    with tempfile.TemporaryDirectory(prefix="hotline-bench-whisper-") as scratch:
        model_dir = args.model_dir or str(assemble(Path(scratch)))
        whisper = WhisperEngine(model_dir, threads=args.threads)
        sphinx = PocketSphinxEngine()
        rows = []
        # The disguise draws its ratios at random, as for each real recording; seeded here so runs compare.
        disguise_random = random.Random(2026)
        for language in ("en", "es"):
            for rate in (16_000, 8_000):
                audio, text = recording(language, count, rate, CAREFUL)
                parameters = voice_disguise.choose_parameters(audio, disguise_random)
                disguised = voice_disguise.disguise(audio, parameters)
                for engine in (whisper, sphinx):
                    if language not in engine.languages:
                        continue
                    for kind, sound in (("before", audio), ("after", disguised)):
                        log(f"{engine.name}, {LANGUAGE_NAMES[language]}, {rate} Hz, {kind} disguise...")
                        rows.append(measure_one(engine, language, sound, text, rate=rate, pace=CAREFUL,
                                                disguised=kind == "after"))
            audio, text = recording(language, count, 16_000, ESPEAK_DEFAULT)
            log(f"faster-whisper, {LANGUAGE_NAMES[language]}, espeak-ng's own pace...")
            rows.append(measure_one(whisper, language, audio, text, rate=16_000, pace=ESPEAK_DEFAULT,
                                    disguised=False))
    return rows


def section(args: argparse.Namespace, rows: list[Row], load: float) -> BenchSection:
    table = ["| engine | language | audio | espeak-ng pace | voice | words | WER | real-time factor |",
             "|---|---|---|---|---|---:|---:|---:|"]
    for row in rows:
        table.append(f"| {row.engine} | {LANGUAGE_NAMES[row.language]} | {row.rate / 1000:g} kHz, "
                     f"{row.seconds:.0f} s | {row.pace.label} | {'disguised' if row.disguised else 'original'} | "
                     f"{row.words} | {row.wer:.1%} | {row.rtf:.2f} |")
    markdown = "\n".join([
        f"{args.sentences} number-free report sentences per language (hotline/bench/speech.py), spoken by espeak-ng "
        "(voices en-us and es-419) and transcribed as one recording each, by faster-whisper (Whisper base, "
        f"CTranslate2 int8, {args.threads} threads) and by PocketSphinx (its wheel's US English model; English "
        "only). WER is word error rate against the text spoken (lower case, accents and punctuation ignored); "
        "the real-time factor is transcription time over the recording's length. \"Disguised\" is the same audio "
        "after the voice disguise stored copies get (intake/phone/voice_disguise.py): the transcript is always "
        "made from the original, in memory, so these rows show what a reviewer transcribing the stored copy "
        "would get. 16 kHz is wideband audio (the simulator's uploads, HD voice); 8 kHz is what Twilio records "
        f"from an ordinary phone line. The machine's load average when the run started: {load:.1f} (other work on "
        "the same cores slows every figure).",
        "",
        *table,
        "",
        "espeak-ng is a formant synthesiser: a person is easier to follow than its Spanish voice, which sets the "
        "Spanish figures. Each run starts with the model load (a few seconds), not counted above.",
    ])
    command = f"hotline bench transcribe --sentences {args.sentences} --threads {args.threads} --write"
    return BenchSection(part="transcribe", title="Phone: transcription speed and word error rate", command=command,
                        markdown=markdown)


def run(args: argparse.Namespace) -> int:
    load = os.getloadavg()[0]
    rows = measure(args)
    result = section(args, rows, load)
    print(result.markdown)
    if args.write:
        write_section(result, args.report)
        print(f"Recorded in {args.report}.")
    return 0
