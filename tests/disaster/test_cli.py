"""`mimamori disaster`: import a CAP file as a draft, list the alerts."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from cloud.cli import app

DATA = Path(__file__).resolve().parents[1] / "data" / "cap"


def test_a_cap_file_imports_once_as_a_draft(tmp_path: Path) -> None:
    """Importing the same file twice leaves one draft, which the list shows."""
    runner = CliRunner()
    arguments = ["disaster", "import-cap", str(DATA / "earthquake.cap"), "--data-dir", str(tmp_path)]

    first = runner.invoke(app, arguments)
    second = runner.invoke(app, arguments)
    listed = runner.invoke(app, ["disaster", "list", "--data-dir", str(tmp_path)])

    assert first.exit_code == second.exit_code == listed.exit_code == 0
    assert "disaster alert 1: earthquake draft" in first.output
    assert "disaster alert 1: earthquake draft" in second.output
    assert listed.output.count("draft") == 1


def test_a_file_that_is_not_cap_is_refused(tmp_path: Path) -> None:
    """A file that is not a CAP alert exits 1 with one line."""
    (tmp_path / "note.xml").write_text("<note/>")

    result = CliRunner().invoke(
        app, ["disaster", "import-cap", str(tmp_path / "note.xml"), "--data-dir", str(tmp_path)]
    )

    assert result.exit_code == 1
    assert "not a CAP alert" in result.output
