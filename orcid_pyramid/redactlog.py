"""A log handler that cannot write a secret: every formatted line (message, arguments and
traceback alike) passes through the :class:`~orcid_pyramid.client.redaction.Redactor` on its
way out.

Why a handler and not a logger filter: a filter on a logger does not see records that child
loggers propagate to it, and ``logging.config.fileConfig`` (what ``pserve`` reads) cannot
attach filters at all; a handler class it can name. The ini files use::

    [handler_console]
    class = orcid_pyramid.redactlog.RedactingStreamHandler
    args = (sys.stderr,)

It hides secrets by shape (``code=``, ``access_token``, bearer tokens, JWTs, UUIDs, the
webhook path token) and by value: ``config.include("orcid_pyramid")`` tells it the client
secret, the token keys and the webhook secret (:func:`remember_secrets`).
"""

from __future__ import annotations

import logging
import threading

from .client.redaction import Redactor

_lock = threading.Lock()
_known: set[str] = set()
_redactor = Redactor()


def remember_secrets(*values: str | None) -> None:
    """Add exact values that every :class:`RedactingStreamHandler` must hide from now on."""
    global _redactor
    with _lock:
        _known.update(v for v in values if v)
        _redactor = Redactor(_known)


class RedactingStreamHandler(logging.StreamHandler):
    """``logging.StreamHandler`` whose output is redacted (a drop-in in ini files)."""

    def format(self, record: logging.LogRecord) -> str:
        """The formatted record with every secret replaced by ``[redacted]``."""
        return _redactor.text(super().format(record))
