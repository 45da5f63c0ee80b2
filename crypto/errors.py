"""Exceptions raised by the crypto package. Every failure to open something fails closed with one of these."""


class CryptoError(Exception):
    """Base class for every cryptographic failure."""


class DecryptionFailed(CryptoError):
    """A ciphertext, its associated data, its key or its chunk order was wrong. Nothing was returned."""


class WrongSecret(CryptoError):
    """A password, report key or recovery key did not open what it was asked to open."""


class MalformedInput(CryptoError):
    """Bytes that should hold a key, blob or chunk header do not have the expected shape."""


class WeakParameters(CryptoError):
    """A parameter is below the minimum docs/design.md#cryptography allows."""
