"""Serve the emulator under a path prefix of the demo's own WSGI app (``demo.embed_emulator``),
so ``pserve development.ini`` alone runs the site and its ORCID sandbox."""

from __future__ import annotations


class PrefixMount:
    """Dispatch ``prefix`` and below to ``mounted`` (with SCRIPT_NAME moved), the rest to
    ``app``. The emulator builds every URL it prints from SCRIPT_NAME."""

    def __init__(self, app, prefix: str, mounted) -> None:
        self.app = app
        self.prefix = "/" + prefix.strip("/")
        self.mounted = mounted

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "") or ""
        if path == self.prefix or path.startswith(self.prefix + "/"):
            environ = dict(environ)
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + self.prefix
            environ["PATH_INFO"] = path[len(self.prefix):]
            return self.mounted(environ, start_response)
        return self.app(environ, start_response)

    def close(self) -> None:
        """Stop the mounted app's background work (the emulator's webhook thread)."""
        close = getattr(self.mounted, "close", None)
        if callable(close):
            close()
