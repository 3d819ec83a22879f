"""The JSON body the worker sends for an outbox row."""

from __future__ import annotations


def item_for(section: str, payload: dict, put_code: int | None = None) -> dict:
    """The ORCID 3.0 JSON stored with the row (the builder's content), with ``put_code``.

    The builder validated the item when the host queued it; the client sets the body's
    ``put-code`` to the URL's on PUT.
    """
    body = dict(payload or {})
    body.pop("put-code", None)
    if put_code is not None:
        body["put-code"] = put_code
    return body
