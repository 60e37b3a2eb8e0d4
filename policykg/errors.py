"""One error hierarchy, one exit-status contract.

Every error a user can cause is a `PolicyKGError` with a one-line message and an exit status; the CLI
prints the message on stderr and exits with the status, never a traceback. HTTP statuses for the
endpoint are chosen from the same classes.

| status | class             | meaning                                               |
|--------|-------------------|-------------------------------------------------------|
| 2      | UsageError        | bad arguments or parameters (malformed code, age, date) |
| 2      | UnknownCodeError  | a well-formed code that the code system does not have  |
| 3      | DataError         | a file or graph that cannot be read or is invalid      |
| 5      | QueryTimeout      | a query or reasoner run hit its time, memory or row limit |
| 6      | StoreError        | the store cannot be built, opened or written           |
| 7      | RemoteError       | a remote SPARQL endpoint failed or answered partially  |
| 8      | ValidationFailed  | `validate` found violations                            |
"""

from __future__ import annotations


class PolicyKGError(Exception):
    """Base class: a one-line, user-facing message and the exit status it maps to."""

    exit_code = 1
    http_status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(PolicyKGError):
    exit_code = 2
    http_status = 400


class DataError(PolicyKGError):
    exit_code = 3
    http_status = 422


class UnknownCodeError(UsageError):
    """A well-formed code the code system does not have: bad input like any other (exit 2), kept apart
    from "exists but not listed", which is an answer (not_medically_necessary), not an error."""

    exit_code = 2
    http_status = 422


class QueryTimeout(PolicyKGError):
    exit_code = 5
    http_status = 503


class StoreError(PolicyKGError):
    exit_code = 6
    http_status = 503


class RemoteError(PolicyKGError):
    exit_code = 7
    http_status = 502


class ValidationFailed(PolicyKGError):
    exit_code = 8
    http_status = 422
