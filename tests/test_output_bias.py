"""minigrad.lab.output_bias against Glorot and Bengio's section 3.1 (seed 000): in a 4-layer
sigmoid net with the standard init, the output's class scores come from b (and Wh's constant
part), not from the input through h; b grows while the top layer's mean falls towards 0."""

from __future__ import annotations

import numpy as np
import pytest

from minigrad.lab.output_bias import output_bias_run, summarize


@pytest.fixture(scope="module")
def run() -> dict:
    return output_bias_run(width=128, steps=1500, record_every=50, seed=0)


def test_the_top_layer_falls_towards_0_while_the_lower_layers_do_not(run):
    s = summarize(run)
    assert s["init"]["top_mean"] == pytest.approx(0.5, abs=0.02)
    assert s["end"]["top_mean"] < 0.5 * s["init"]["top_mean"]
    assert np.all(np.diff(run["top_mean"][:5]) < 0)  # falling from the first records on
    assert min(s["end"]["layer_means"][:-1]) > 0.45  # the other layers stay near or above 0.5


def test_the_output_relies_on_b_not_on_the_input_through_h(run):
    s = summarize(run)
    assert s["init"]["b_spread"] == 0 and s["init"]["b_norm"] == 0  # biases start at 0
    assert 0 < s["early"]["b_spread"] < s["end"]["b_spread"]  # b is learned
    assert s["wh_spread_max"] < 0.05 * s["end"]["b_spread"]  # Wh hardly depends on the input
    # the class offsets move from Wh's constant part to b while h falls
    assert s["end"]["b_share"] > s["early"]["b_share"] > 0
    assert s["end"]["wh_class_spread"] < 0.8 * max(run["wh_class_spread"])


def test_records_and_determinism():
    a = output_bias_run(width=8, steps=5, record_every=2, probe=20)
    b = output_bias_run(width=8, steps=5, record_every=2, probe=20)
    assert a["steps"] == [0, 2, 4, 5] and len(a["loss"]) == 5
    assert len(a["layer_means"][0]) == 4 and a["top_mean"] == [m[-1] for m in a["layer_means"]]
    assert a["b_norm"] == b["b_norm"] and a["loss"] == b["loss"]
    assert a["w_change"][0] == 0 and a["w_change"][-1] > 0


@pytest.mark.parametrize(
    "kwargs, kind, words",
    [
        ({"width": 0}, ValueError, "width must be"),
        ({"width": 2.5}, TypeError, "width"),
        ({"steps": -1}, ValueError, "steps must be"),
        ({"record_every": 0}, ValueError, "record_every must be"),
        ({"lr": 0}, ValueError, "lr must be in"),
        ({"lr": float("nan")}, ValueError, "lr must be finite"),
        ({"lr": "0.1"}, TypeError, "lr must be a number"),
        ({"depth": 0}, ValueError, "depth must be"),
        ({"probe": 1}, ValueError, "probe must be"),
        ({"seed": -1}, ValueError, "seed must be"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, kind, words):
    with pytest.raises(kind, match=words):
        output_bias_run(**{"width": 4, "steps": 2, **kwargs})
