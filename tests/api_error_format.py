"""Reading the API's one error format in tests (see config/api_errors.py)."""


def error_of(response) -> dict:
    """The `error` object of an error response."""
    body = response.json()
    assert list(body) == ["error"], body
    return body["error"]


def error_fields(response) -> dict[str | None, list[str]]:
    """The invalid fields by dotted path (None: the request as a whole), with their messages."""
    fields: dict[str | None, list[str]] = {}
    for entry in error_of(response)["fields"]:
        fields.setdefault(entry["field"], []).append(entry["message"])
    return fields


def error_roots(response) -> list[str | None]:
    """The top-level fields named by the errors: `norms` for `norms.0.age_max`."""
    roots = (field.split(".")[0] if field else None for field in error_fields(response))
    return list(dict.fromkeys(roots))
