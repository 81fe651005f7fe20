"""Typed errors. Every error a user can cause is a CampsyncError whose str() is a
one-line reason; the CLI prints it and exits 1. No message may contain a secret."""

from __future__ import annotations

from collections.abc import Sequence

from campsync.text import quoted


class CampsyncError(Exception):
    """A failure the user can act on. str(error) is the one-line reason."""

    @property
    def listed(self) -> tuple[str, ...]:
        """Lines the CLI lists before the reason (every located problem), if any."""
        return ()


class UsageError(CampsyncError):
    """Bad command-line arguments or a bad combination of them."""


class ConfigError(CampsyncError):
    """campsync.yaml, environment or credentials are missing or wrong."""


class ConfigInvalid(ConfigError):
    """campsync.yaml breaks its schema or rules. `problems` are located problems (each
    `file:line:column: path: message` as text); str() is the first, with a count of the rest
    (the CLI lists them all when there are several)."""

    def __init__(self, problems: Sequence[object]) -> None:
        self.located = tuple(problems)  # as given (validate lists them with the file problems)
        self.problems = tuple(str(problem) for problem in problems)
        more = len(self.problems) - 1
        super().__init__(self.problems[0] + (f" (and {more} more)" if more > 0 else ""))

    @property
    def listed(self) -> tuple[str, ...]:
        return self.problems if len(self.problems) > 1 else ()


class FilesInvalid(CampsyncError):
    """Campaign files failed validation; `problems` holds each as its one-line text
    (`file:line:column: path: message`), for the CLI to list before this summary."""

    def __init__(self, problems: tuple[str, ...]) -> None:
        count = len(problems)
        super().__init__(f"{count} problem(s) in the campaign files; run 'campsync validate'")
        self.problems = problems

    @property
    def listed(self) -> tuple[str, ...]:
        return self.problems


class UnreadablePath(CampsyncError):
    """A folder or file under PATH cannot be read, or may not be (a symbolic link to a file
    outside PATH): the run stops before anything is planned or written, since the campaigns
    its files describe would otherwise look unmanaged (and be pruned)."""


class ApiError(CampsyncError):
    """The platform refused or failed a call (after any retries). `outcome_unknown`: a write
    was sent and its answer lost (a dropped connection, a timeout; for a create, also a 5xx),
    so the platform may have made the change all the same."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        campaign: str | None = None,
        outcome_unknown: bool = False,
    ):
        self.status = status
        self.campaign = campaign
        self.outcome_unknown = outcome_unknown
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


class RepeatingListError(BadResponseError):
    """A paged list that repeats itself (a page bringing no new id while more are said to
    follow): it ends the run, whichever list it is (contract, "Trust boundaries"), rather
    than being one more answer out of shape."""


class TransportError(ApiError):
    """Connection refused, dropped or timed out, after all retries."""


class WriteNotSent(CampsyncError):
    """A write that was never sent: the apply was stopped while it waited for its turn."""


class NotReady(CampsyncError):
    """A campaign to start was still Preparing when the wait for it ran out: not started
    (the next apply starts it)."""


class PlanFileError(CampsyncError):
    """A saved plan is unreadable, altered or of another format version."""

    @classmethod
    def other_environment(cls, planned: str, chosen: str | None) -> PlanFileError:
        """A plan made for the environment `planned`, to be applied to `chosen` (or to none):
        a plan is applied to its own environment only."""
        now = f"not for {quoted(chosen)}" if chosen else "and no environment is chosen"
        return cls(
            f"the plan was made for environment {quoted(planned)}, {now}; nothing was applied"
        )


class StalePlanError(CampsyncError):
    """A saved plan no longer matches the platform: nothing was written."""


class PullError(CampsyncError):
    """Pull cannot go on (an unreadable campaign file, PATH not a folder, ...)."""


class PlanSignatureError(PlanFileError):
    """A saved plan's signature is missing, wrong, or cannot be checked: nothing is sent."""


class UnsafePlan(CampsyncError):
    """A plan crosses a safety threshold (campsync.yaml `safety:`) and --force was not given:
    nothing was written. `reasons` holds one short reason per crossed threshold."""

    def __init__(self, reasons: Sequence[str], fix: str) -> None:
        self.reasons = tuple(reasons)
        super().__init__("apply refuses this plan: " + "; ".join(self.reasons) + f"; {fix}")
