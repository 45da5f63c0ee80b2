"""Padding before sealing, so a ciphertext's size says little about its content's
(docs/design.md#sealing-content).

Every sealed item is padded to at least MIN_PADDED_BYTES (1 KiB), so every short text (most narratives, messages,
notes, answer sets, identities, exit answers) seals to the same size, and beyond that to a Padmé length: Nikitin,
Barman, Lueks, Underwood, Hubaux and Ford, "Reducing Metadata Leakage from Encrypted Files and Communication with
PURBs", PETS 2019. A Padmé length keeps only the top ⌊log2 E⌋ + 1 bits of the length's E = ⌊log2 L⌋ (the rest are
rounded up), so the padding costs at most about 12 % and a padded size reveals O(log log L) bits of L.
"""

from __future__ import annotations

MIN_PADDED_BYTES = 1024


def padme(length: int) -> int:
    """The Padmé length for ``length`` bytes (the paper's algorithm 1)."""
    if length < 2:
        return length
    exponent = length.bit_length() - 1  # E = floor(log2 L)
    size_bits = exponent.bit_length()  # S = floor(log2 E) + 1
    mask = (1 << (exponent - size_bits)) - 1
    return (length + mask) & ~mask


def padded_length(length: int) -> int:
    """What ``length`` bytes are padded to before sealing: at least 1 KiB, then Padmé."""
    return padme(max(length, MIN_PADDED_BYTES))
