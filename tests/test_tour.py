"""`minigrad tour` (the main job) runs offline and writes its HTML report."""

from __future__ import annotations

from minigrad import viz
from minigrad.cli import main


def test_tour_quick_writes_the_report(tmp_path, capsys):
    assert main(["tour", "--quick", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "df/dw = 0.2500 (seed 004: 0.25)" in out
    report = (tmp_path / "report.html").read_text()
    for heading in ("1. sigmoid(w x + b)", "2. Checking a custom op", "3. Why deep sigmoid"):
        assert heading in report
    assert "gradcheck passed" in report and "gradcheck FAILED" in report
    assert "culprit" in report and "SoftsignWrong" in report
    assert "data:image/png;base64," in report
    assert report.count("<tr><td>") == 4  # the four networks
    if viz.has_dot():
        assert report.count("<svg") == 3
