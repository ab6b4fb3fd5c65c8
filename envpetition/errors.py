"""Domain errors. Routes map them to HTTP in one place (dashboard/app.py); the CLI prints them."""


class DomainError(Exception):
    """Base: a request the rules refuse, with a message a person can act on."""

    status = 400


class InvalidInput(DomainError):
    status = 422


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class Forbidden(DomainError):
    status = 403
