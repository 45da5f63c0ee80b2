"""Named cryptographic parameters (docs/design.md#cryptography) and the start-up check that enforces them.

Tests may lower the Argon2id cost only by passing a cheaper :class:`Argon2Cost` through settings; the
constants below are never edited for a test. Every wrapped blob records the cost it was made with, so a
blob made under test cost still opens, and production cost is checked where settings are built.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives import hpke

from crypto.errors import WeakParameters

# HPKE (RFC 9180) with the hybrid post-quantum KEM ML-KEM-768 + X25519 (draft-ietf-hpke-pq, "X-Wing"-style
# hybrid as shipped by `cryptography`), HKDF-SHA256 and AES-256-GCM.
HPKE_KEM = hpke.KEM.MLKEM768_X25519
HPKE_KDF = hpke.KDF.HKDF_SHA256
HPKE_AEAD = hpke.AEAD.AES_256_GCM

# AES-256-GCM (NIST SP 800-38D): 256-bit keys, 96-bit nonces, 128-bit tags.
DATA_KEY_BYTES = 32
AES_GCM_NONCE_BYTES = 12
AES_GCM_TAG_BYTES = 16

# Files and audio are encrypted in chunks of this many bytes of plaintext (the STREAM construction of
# Hoang, Reyhanitabar, Rogaway and Vizar, "Online Authenticated-Encryption and its Nonce-Reuse
# Misuse-Resistance", CRYPTO 2015: each chunk's index and a final flag are bound into its nonce).
STREAM_CHUNK_BYTES = 64 * 1024

# Report keys: 20 decimal digits is about 66 bits, enough that guessing is hopeless when each guess is
# throttled and each hit costs an Argon2id derivation; digits so a phone keypad can enter them.
REPORT_KEY_DIGITS = 20
REPORT_KEY_GROUP = 4

# Salts for Argon2id (RFC 9106 section 3.1 recommends 128 bits).
KDF_SALT_BYTES = 16

# Recovery keys: 256 bits of randomness, shown once at city creation.
RECOVERY_KEY_BYTES = 32


@dataclass(frozen=True)
class Argon2Cost:
    """Argon2id cost parameters (RFC 9106): memory in KiB, passes, and lanes."""

    memory_kib: int
    iterations: int
    lanes: int

    def at_least(self, minimum: Argon2Cost) -> bool:
        return self.memory_kib >= minimum.memory_kib and self.iterations >= minimum.iterations


# Reviewer passwords: RFC 9106 section 4, second recommended option (m=64 MiB, t=3, p=4).
REVIEWER_PASSWORD_KDF = Argon2Cost(memory_kib=64 * 1024, iterations=3, lanes=4)
REVIEWER_PASSWORD_KDF_MINIMUM = Argon2Cost(memory_kib=64 * 1024, iterations=3, lanes=1)

# Report keys: OWASP Password Storage Cheat Sheet's Argon2id floor (m=19 MiB, t=2, p=1). A report key
# already carries about 66 bits, so this cost only has to make offline guessing of a dump pointless
# while keeping intake fast (`hotline bench intake` measures the ceiling this sets).
REPORT_KEY_KDF = Argon2Cost(memory_kib=19 * 1024, iterations=2, lanes=1)
REPORT_KEY_KDF_MINIMUM = Argon2Cost(memory_kib=19 * 1024, iterations=2, lanes=1)

# The cheapest cost a blob may claim when opened. Anything cheaper is refused even under test
# settings, so a forged blob cannot ask for a zero-cost derivation.
ABSOLUTE_KDF_FLOOR = Argon2Cost(memory_kib=8, iterations=1, lanes=1)
# And the most expensive, so a forged blob cannot make the server allocate unbounded memory.
ABSOLUTE_KDF_CEILING = Argon2Cost(memory_kib=4 * 1024 * 1024, iterations=64, lanes=64)


def check_parameters(
    reviewer_cost: Argon2Cost = REVIEWER_PASSWORD_KDF,
    report_key_cost: Argon2Cost = REPORT_KEY_KDF,
    *,
    allow_weak_kdf: bool = False,
) -> None:
    """Refuse to start when a constant or a configured cost is below docs/design.md#cryptography.

    ``allow_weak_kdf`` exists for the test suite only (settings name it ``HOTLINE_INSECURE_TEST_KDF``);
    the fixed constants are checked whatever it says.
    """
    problems = []
    if REPORT_KEY_DIGITS < 20:
        problems.append("report keys must have at least 20 digits")
    if DATA_KEY_BYTES != 32 or AES_GCM_NONCE_BYTES != 12 or AES_GCM_TAG_BYTES != 16:
        problems.append("data keys must be AES-256-GCM with 96-bit nonces and 128-bit tags")
    if KDF_SALT_BYTES < 16 or RECOVERY_KEY_BYTES < 32:
        problems.append("salts must be at least 128 bits and recovery keys at least 256 bits")
    if not STREAM_CHUNK_BYTES or STREAM_CHUNK_BYTES > 1024 * 1024:
        problems.append("stream chunks must be between 1 byte and 1 MiB")
    if not REVIEWER_PASSWORD_KDF.at_least(REVIEWER_PASSWORD_KDF_MINIMUM):
        problems.append("the reviewer password KDF constant is below m=64 MiB, t=3")
    if not REPORT_KEY_KDF.at_least(REPORT_KEY_KDF_MINIMUM):
        problems.append("the report-key KDF constant is below m=19 MiB, t=2")
    if not allow_weak_kdf:
        if not reviewer_cost.at_least(REVIEWER_PASSWORD_KDF_MINIMUM):
            problems.append("the configured reviewer password KDF cost is below m=64 MiB, t=3")
        if not report_key_cost.at_least(REPORT_KEY_KDF_MINIMUM):
            problems.append("the configured report-key KDF cost is below m=19 MiB, t=2")
    for cost in (reviewer_cost, report_key_cost):
        if not within_absolute_bounds(cost):
            problems.append(f"the KDF cost {cost} is outside the bounds this software accepts")
    if problems:
        raise WeakParameters("; ".join(problems))


def within_absolute_bounds(cost: Argon2Cost) -> bool:
    floor, ceiling = ABSOLUTE_KDF_FLOOR, ABSOLUTE_KDF_CEILING
    return (
        floor.memory_kib <= cost.memory_kib <= ceiling.memory_kib
        and floor.iterations <= cost.iterations <= ceiling.iterations
        and floor.lanes <= cost.lanes <= ceiling.lanes
        and cost.memory_kib >= 8 * cost.lanes
    )
