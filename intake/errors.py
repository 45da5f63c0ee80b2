"""Domain errors. The delivery layer turns each into a page or a spoken message; none is a 500."""

from __future__ import annotations


class IntakeError(Exception):
    """Base class for every expected failure of a domain service."""


class NotFound(IntakeError):
    """The thing does not exist, or the caller may not know that it does (the two look the same)."""


class InvalidInput(IntakeError):
    """Input failed validation. ``problems`` maps a field name to a plain sentence about it."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in problems.items()))
        self.problems = problems


class WrongCredentials(IntakeError):
    """An email and password, or a report key, did not match. Says nothing about which part was wrong."""


class AlreadyExists(IntakeError):
    """A city slug or reviewer email is taken."""


class TooManyAttempts(IntakeError):
    """A limit was reached: the same request may be tried again after ``retry_after_seconds`` (at least 1)."""

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(f"try again in {retry_after_seconds} seconds")
        self.retry_after_seconds = max(1, retry_after_seconds)
