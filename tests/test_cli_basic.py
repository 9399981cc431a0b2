from click.testing import CliRunner

import pdsgen
from pdsgen.cli import main


def test_version_matches_package():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert pdsgen.__version__ in result.output
    assert pdsgen.__version__ == "0.1.0"


def test_help_lists_group():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    assert "pdsgen" in result.output


def test_open_missing_file_is_label_error(tmp_path):
    import pytest

    with pytest.raises(pdsgen.LabelError) as err:
        pdsgen.open(tmp_path / "nope.xml")
    assert "nope.xml" in str(err.value)
    assert "no such file" in str(err.value)
