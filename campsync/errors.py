"""Typed errors. Every error a user can cause is a CampsyncError whose str() is a
one-line reason; the CLI prints it and exits 1. No message may contain a secret."""

from __future__ import annotations


class CampsyncError(Exception):
    """A failure the user can act on. str(error) is the one-line reason."""


class UsageError(CampsyncError):
    """Bad command-line arguments or a bad combination of them."""


class ConfigError(CampsyncError):
    """campsync.yaml, environment or credentials are missing or wrong."""


class FilesInvalid(CampsyncError):
    """Campaign files failed validation; `problems` holds each as its one-line text
    (`file:line:column: path: message`), for the CLI to list before this summary."""

    def __init__(self, problems: tuple[str, ...]) -> None:
        count = len(problems)
        super().__init__(f"{count} problem(s) in the campaign files; run 'campsync validate'")
        self.problems = problems


class ApiError(CampsyncError):
    """The platform refused or failed a call (after any retries)."""

    def __init__(self, message: str, *, status: int | None = None, campaign: str | None = None):
        self.status = status
        self.campaign = campaign
        self.platform_message = message
        where = f"campaign {campaign!r}: " if campaign else ""
        code = f" (HTTP {status})" if status is not None else ""
        super().__init__(f"{where}{message}{code}")


class AuthError(ApiError):
    """401/403: the credentials or the app's API scope are wrong."""


class NotFoundError(ApiError):
    """404: no such campaign."""


class RateLimitedError(ApiError):
    """429 that could not be waited out within the overall time limit."""


class ServerError(ApiError):
    """5xx after all retries."""


class BadResponseError(ApiError):
    """The platform answered something that is not the documented shape."""


class TransportError(ApiError):
    """Connection refused, dropped or timed out, after all retries."""


class WriteNotSent(CampsyncError):
    """A write that was never sent: the apply was stopped while it waited for its turn."""


class PlanFileError(CampsyncError):
    """A saved plan is unreadable, altered or of another format version."""


class StalePlanError(CampsyncError):
    """A saved plan no longer matches the platform: nothing was written."""


class PullError(CampsyncError):
    """Pull cannot go on (an unreadable campaign file, PATH not a folder, ...)."""
