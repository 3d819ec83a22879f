"""End-to-end checks: the README quick start (``pserve development.ini``) in a real browser."""
