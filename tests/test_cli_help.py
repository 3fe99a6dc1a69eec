"""The `minigrad` command explains itself: --version, tour --help, run --help (the demos),
a demo's --help under its own name, and draw with every view."""

import re
from pathlib import Path

import pytest

import minigrad as mg
from minigrad.cli import main

DEMOS = sorted(
    p.stem
    for p in (Path(__file__).resolve().parent.parent / "demos").glob("*.py")
    if not p.stem.startswith("_")
)


def help_of(argv, capsys) -> str:
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 0
    return capsys.readouterr().out


def test_version(capsys):
    assert help_of(["--version"], capsys).strip() == f"minigrad {mg.__version__}"


def test_tour_help_lists_its_options(capsys):
    text = help_of(["tour", "--help"], capsys)
    assert text.startswith("usage: minigrad tour")
    for option in ("--out", "--quick", "--seed"):
        assert option in text


def test_run_help_lists_every_demo_with_what_it_does(capsys):
    text = help_of(["run", "--help"], capsys)
    assert text.startswith("usage: minigrad run")
    for name in DEMOS:
        (line,) = [x for x in text.splitlines() if x.split()[:1] == [name]]
        assert len(line.split()) > 2, line  # the name and a description


@pytest.mark.parametrize("name", ["figure_5_8", "numerical_diff", "batchnorm"])
def test_a_demo_help_shows_its_own_name(name, capsys):
    text = help_of(["run", name, "--help"], capsys)
    assert text.startswith(f"usage: minigrad run {name} ")
    assert help_of(["--version"], capsys)  # the name does not stick to later parsers
    with pytest.raises(SystemExit):
        main(["run", name, "--no-such-option"])
    assert f"minigrad run {name}: error" in capsys.readouterr().err


def test_draw_offers_every_view(capsys):
    text = help_of(["draw", "--help"], capsys)
    views = re.search(r"--view \{([a-z,]+)\}", text).group(1).split(",")
    assert views == ["forward", "backward", "tangent", "gradient"]
    assert "--expand" in text and "--edge-labels" in text


@pytest.mark.parametrize("view", ["forward", "backward", "tangent", "gradient"])
def test_draw_draws_each_view(view, tmp_path, capsys):
    source = tmp_path / "f.py"
    source.write_text(
        "from minigrad import nn\n\ndef f(x, w):\n    return nn.relu(x * w).sum() * x.sum()\n"
    )
    out = tmp_path / "graph"
    code = main(
        [
            "draw",
            f"{source}:f",
            "--shapes",
            "3",
            "3",
            "--view",
            view,
            "--format",
            "dot",
            "--out",
            str(out),
        ]
    )
    assert code == 0, capsys.readouterr()
    dot = (tmp_path / "graph.dot").read_text()
    shown = {"forward": "data", "backward": "grad", "tangent": "tangent", "gradient": "data"}
    assert shown[view] in dot
    assert ("relu" in dot) and ("where" not in dot or view == "gradient")
    assert (
        main(
            [
                "draw",
                f"{source}:f",
                "--shapes",
                "3",
                "3",
                "--view",
                view,
                "--expand",
                "--format",
                "dot",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert "relu" not in (tmp_path / "graph.dot").read_text()
