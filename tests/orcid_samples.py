"""ORCID's own sample bodies (orcid-model, MIT) kept with the tests in ``tests/data``."""

from pathlib import Path

SAMPLES = Path(__file__).resolve().parent / "data" / "orcid-model" / "record_3.0" / "samples"
#: every write sample ORCID publishes for the member API (XML and JSON)
WRITE_SAMPLES = SAMPLES / "write_samples"
#: a full record as the member API reads it
RECORD_FULL = SAMPLES / "read_samples" / "record-full-3.0.json"
