"""A request refused for one of its fields: raised by the domain modules, answered by the routes as
`{"field", "message"}` with the status that says why."""

from fastapi import HTTPException


class FieldRefused(ValueError):
    """A request refused, naming its field (`field`), with the HTTP status that says why."""

    def __init__(self, field_name: str, message: str, status: int = 422):
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.status = status


def as_http(exc: FieldRefused) -> HTTPException:
    return HTTPException(exc.status, {"field": exc.field, "message": str(exc)})
