"""Reading control API input (``/_emulator/``): JSON bodies and typed fields, with a clear
400 message for anything wrong instead of a traceback."""

from __future__ import annotations

import json

from webob import Request, Response

from .responses import json_response


class BadInput(Exception):
    """A control call's input is wrong; the message says how (answered 400)."""


def error(status: int, message: str) -> Response:
    """A control API error: ``{"error": message}``."""
    return json_response({"error": message}, status)


def body(request: Request) -> dict:
    """The JSON object body ({} when empty)."""
    if not request.body:
        return {}
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise BadInput("the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadInput("the body must be a JSON object")
    return data


def text(data: dict, key: str, required: bool = True) -> str | None:
    """A string field; None when absent and not required."""
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise BadInput(f"'{key}' is required")
        return None
    if not isinstance(value, str):
        raise BadInput(f"'{key}' must be a string")
    return value


def flag(data: dict, key: str) -> bool | None:
    """A true/false field; None when absent."""
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise BadInput(f"'{key}' must be true or false")
    return value


def choice(data: dict, key: str, allowed) -> str | None:
    """A string field from a fixed set; None when absent."""
    value = text(data, key, required=False)
    if value is not None and value not in allowed:
        raise BadInput(f"'{key}' must be one of {', '.join(sorted(allowed))}, not {value!r}")
    return value
