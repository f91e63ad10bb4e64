"""The server's error answers: `ApiProblem` carries a status, a code and a sentence for the client."""

from __future__ import annotations

CODES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    421: "misdirected",
    422: "invalid",
    429: "rate_limited",
    500: "internal",
    503: "unavailable",
}


def code_for(status: int) -> str:
    """The wire error code for an HTTP status."""
    return CODES.get(status, "bad_request" if status < 500 else "internal")


class RuntimeRefused(Exception):
    """The computer cannot take this work now (answered 409 with `code`)."""

    code = "conflict"


class ApiProblem(Exception):
    """An error answer: `{"error": code, "message": message}` with `status`."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or code_for(status)
        self.message = message

    def body(self) -> dict[str, str]:
        """The JSON body of the answer."""
        return {"error": self.code, "message": self.message}


def bad_request(message: str) -> ApiProblem:
    """400: the request cannot be understood."""
    return ApiProblem(400, message)


def unauthorized(message: str = "missing, wrong, revoked or expired API key") -> ApiProblem:
    """401: no valid credentials."""
    return ApiProblem(401, message)


def not_found(what: str, ident: str) -> ApiProblem:
    """404: no such thing in this org (another org's id looks exactly the same)."""
    return ApiProblem(404, f"{what} {ident} not found")


def conflict(message: str, code: str = "conflict") -> ApiProblem:
    """409: the thing is in the wrong state for this request."""
    return ApiProblem(409, message, code)


def invalid(field: str, message: str) -> ApiProblem:
    """422: a field failed validation; the message names the field."""
    return ApiProblem(422, f"{field}: {message}")


def too_large(limit: int) -> ApiProblem:
    """413: the body is over `limit` bytes."""
    return ApiProblem(413, f"the request body is larger than {limit // 1024} KiB")
