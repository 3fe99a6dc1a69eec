"""`minigrad tour` (the main job) runs offline and writes its HTML report."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from minigrad import viz
from minigrad.cli import main
from minigrad.lab import deep_sigmoid


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


@pytest.fixture(scope="module")
def deep() -> dict:
    """Section 3 in its quick version, with the tour's default seed."""
    return deep_sigmoid.experiment(quick=True, rng=np.random.default_rng(0))


def test_deep_network_results_have_the_keys_the_page_reads(deep):
    depth, steps = deep["settings"]["depth"], deep["settings"]["steps"]
    assert deep["networks"] == list(deep_sigmoid.NETWORKS)
    assert deep["classes"] == 10 and "Gaussian clusters" in deep["data"]
    for name in deep["networks"]:
        assert deep["speeds"][name].shape == (steps, depth)
        assert deep["first_speeds"][name] == deep["speeds"][name][0].tolist()
        assert deep["test_error"][name] == pytest.approx(100 * deep["errors"][name])
        assert deep["curves"][name][-1] == (steps, deep["test_error"][name])
        assert deep["seeds"]["test_error"][name] == [deep["test_error"][name]]
    assert deep["depths"]["depth"] == list(range(1, depth + 1))
    assert deep["depths"]["test_error"][-1] == deep["test_error"]["sigmoid, standard init"]
    assert base64.b64decode(deep["figure"]).startswith(b"\x89PNG")


def test_standard_init_stays_at_chance_while_each_fix_learns(deep):
    chance, errors, ratio = deep["chance"], deep["test_error"], deep["seeds"]["ratio"]
    assert 85 < chance < 91  # 10 nearly balanced classes
    assert errors["sigmoid, standard init"] > chance - 5
    assert ratio["sigmoid, standard init"][0] > 300  # orders of magnitude between layers
    for name in deep["networks"][1:]:
        assert errors[name] < chance / 3, name
        assert ratio[name][0] < 50, name
    # the data is easy: with one hidden layer the same standard network learns it
    assert deep["depths"]["test_error"][0] < chance / 3


def test_chance_error_is_that_of_answering_the_most_frequent_class():
    assert deep_sigmoid.chance_error(np.array([0, 0, 1, 2])) == 50.0
    assert deep_sigmoid.chance_error(np.arange(20) % 10) == 90.0
