"""Known speech for measuring transcription: number-free report sentences in English and Spanish, spoken by
``espeak-ng`` (Debian's package), and the word error rate of a transcript against them.

espeak-ng speaks at 150 words a minute with 30 ms between words (``-s 150 -g 3``), a caller leaving a careful
message; its own pace (175, no gap) is measured too by ``hotline bench transcribe``. Its Spanish voice
(``es-419``) is the limit of the Spanish figures: a formant synthesiser, harder to follow than a person.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import unicodedata
import wave
from dataclasses import dataclass
from math import gcd

import numpy as np

from intake.phone.audio import Audio, encode_wav

ENGLISH_SENTENCES = (
    "My supervisor asked me to sign for hours I never worked.",
    "The safety railing on the loading dock has been broken for weeks.",
    "A manager is giving city contracts to his brother in law.",
    "Someone in the finance office is taking money from the parking fund.",
    "They told us to ignore the gas leak near the water plant.",
    "I saw a worker drinking alcohol before driving the city truck.",
    "Our crew leader keeps yelling at the new employees.",
    "The building inspector accepted a gift from a builder.",
    "Please look at the overtime records for the street department.",
    "Nobody checks the fire extinguishers in the library.",
)
SPANISH_SENTENCES = (
    "Mi jefe me pidió mentir sobre el accidente.",
    "El camión de la basura no tiene frenos buenos.",
    "Hay un hombre que roba gasolina de la ciudad todos los días.",
    "Mi compañera sufre acoso en el trabajo.",
    "Nadie limpia el agua sucia en la planta.",
    "El director paga a sus amigos con dinero público.",
    "Nos obligan a trabajar sin equipo de protección.",
    "Quiero reportar un problema de seguridad en la oficina.",
    "El inspector aceptó un regalo de una empresa.",
    "Por favor revisen las horas extra del departamento de calles.",
)
SENTENCES = {"en": ENGLISH_SENTENCES, "es": SPANISH_SENTENCES}
VOICES = {"en": "en-us", "es": "es-419"}


@dataclass(frozen=True)
class Pace:
    words_per_minute: int
    gap_10ms: int

    @property
    def label(self) -> str:
        return f"{self.words_per_minute} wpm" + (f", {self.gap_10ms * 10} ms gaps" if self.gap_10ms else "")


CAREFUL = Pace(150, 3)
ESPEAK_DEFAULT = Pace(175, 0)


class SpeechUnavailable(Exception):
    """espeak-ng is not installed (apt-get install espeak-ng)."""


def speak(text: str, language: str, *, rate: int = 16_000, pace: Pace = CAREFUL) -> Audio:
    """``text`` spoken by espeak-ng in ``language``, resampled to ``rate`` (16 kHz wideband, or the
    telephone's 8 kHz)."""
    program = shutil.which("espeak-ng")
    if program is None:
        raise SpeechUnavailable("espeak-ng is not installed: apt-get install espeak-ng")
    spoken = subprocess.run([program, "-v", VOICES[language], "-s", str(pace.words_per_minute),
                             "-g", str(pace.gap_10ms), "--stdout", text],
                            capture_output=True, check=True, timeout=60).stdout
    with wave.open(io.BytesIO(spoken)) as reader:
        native = reader.getframerate()
        samples = np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2").astype(np.float64) / 32768
    from scipy import signal

    divisor = gcd(rate, native)
    return Audio(samples=signal.resample_poly(samples, rate // divisor, native // divisor), sample_rate=rate)


def speak_wav(sentences: tuple[str, ...] | list[str], language: str, *, rate: int = 16_000,
              pace: Pace = CAREFUL) -> bytes:
    """The sentences one after another, with half a second between them, as a 16-bit mono WAV."""
    pieces = []
    for sentence in sentences:
        pieces += [speak(sentence, language, rate=rate, pace=pace).samples, np.zeros(rate // 2)]
    return encode_wav(Audio(samples=np.concatenate(pieces), sample_rate=rate))


def words(text: str) -> list[str]:
    """Lower case, accents and punctuation gone: "¿Quién?" and "quien" are the same word."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return re.findall(r"[a-z0-9']+", plain)


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(substitutions + deletions + insertions, words in the reference): Levenshtein distance over words."""
    ref, hyp = words(reference), words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i in range(1, len(ref) + 1):
        diagonal, row[0] = row[0], i
        for j in range(1, len(hyp) + 1):
            diagonal, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diagonal + (ref[i - 1] != hyp[j - 1]))
    return row[len(hyp)], len(ref)


def word_error_rate(reference: str, hypothesis: str) -> float:
    errors, total = word_errors(reference, hypothesis)
    return errors / max(total, 1)
