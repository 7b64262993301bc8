"""The sample systems' subcommands, run through the one `c360` command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from c360.cli import main


def test_generate_writes_a_sample_ending_at_the_reference_date(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "sample"
    assert main(["generate", "--customers", "25", "--seed", "5", "--out", str(out), "--reference-date", "2030-01-02"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["reference_time"] == "2030-01-02T00:00:00Z"
    assert manifest["customers"] == 25 and manifest["seed"] == 5
    assert "wrote sample source systems (batch 0" in capsys.readouterr().out
    assert main(["generate", "--out", str(out), "--increment"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["batches"][1]["window"] == {"start": "2030-01-02T00:00:00Z", "end": "2030-01-03T00:00:00Z"}


@pytest.mark.parametrize("args, message", [
    (["generate", "--reference-date", "2030-13-02"], "argument --reference-date: expected a date YYYY-MM-DD"),
    (["generate", "--customers", "0"], "argument --customers: expected a whole number of at least 1"),
    (["generate", "--messiness", "-1"], "argument --messiness: expected a number of at least 0"),
    (["zendesk-server", "--rate-limit", "x"], "argument --rate-limit: expected a whole number"),
])
def test_bad_arguments_name_the_argument(args: list[str], message: str, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_evaluate_without_a_truth_file_names_it(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    missing = tmp_path / "truth.csv"
    assert main(["evaluate", "--truth", str(missing)]) == 2
    assert f"--truth {missing} does not exist" in capsys.readouterr().err
