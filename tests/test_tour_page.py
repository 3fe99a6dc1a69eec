"""The tour's report in a real browser (headless Chromium driven by Playwright), with and without
Graphviz: nothing overflows a phone's width, no text is tiny, every picture loads, and the
backprop stepper's buttons move the highlight. Screenshots go to out/browser/ (CI artefacts)."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
from minigrad import viz
from minigrad.lab import page, tour
from tests.conftest import needs_dot

SIZES = {"laptop": (1366, 900), "phone": (390, 844)}
SHOTS = Path(__file__).resolve().parents[1] / "out" / "browser"

# Elements that stick out of the viewport (or shrink text below 10 px), unless they sit in a
# box that scrolls sideways on purpose.
LAYOUT_PROBLEMS = """() => {
  const W = window.innerWidth, bad = [];
  const de = document.documentElement;
  if (de.scrollWidth > W) bad.push("page scrolls sideways: " + de.scrollWidth + " > " + W);
  const scrolls = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === "auto" || o === "scroll") return true;
    }
    return false;
  };
  const name = (el) => el.tagName + "." + (el.getAttribute("class") || "");
  for (const el of document.body.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if ((r.right > W + 1 || r.left < -1) && !scrolls(el)) bad.push(name(el) + " at " + r.right);
    const text = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!text) continue;
    const size = el instanceof SVGElement ? r.height : parseFloat(getComputedStyle(el).fontSize);
    if (size < 10) bad.push(name(el) + " text " + size.toFixed(1) + " px: " + el.textContent);
  }
  return bad;
}"""

PICTURES = """() => ({
  images: [...document.images].map((i) => [i.complete && i.naturalWidth > 0,
                                           i.getBoundingClientRect().width, i.naturalWidth]),
  svgs: [...document.querySelectorAll("svg")].map((s) => {
    const box = s.parentElement.getBoundingClientRect();  // nodes seen without scrolling
    const seen = [...s.querySelectorAll("g.node")].filter((g) => {
      const r = g.getBoundingClientRect();
      return r.left >= box.left && r.right <= box.right;
    });
    return [s.getBoundingClientRect().width, s.querySelectorAll("g.node").length, seen.length];
  }),
})"""

HIGHLIGHT = """() => {
  const titles = [...document.querySelectorAll("#stepper svg g.node.current title")];
  const node = titles.find((t) => /^n[0-9]+$/.test(t.textContent));
  const row = document.querySelector("#stepper tr.current");
  return [node ? node.textContent : null, row ? row.dataset.step : null,
          document.getElementById("step-text").textContent];
}"""


def _browser():
    """Playwright with Debian's Chromium; outside CI a missing one skips, in CI it fails."""
    problem = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        problem = 'the playwright package is missing: pip install -e ".[dev]"'
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        problem = "Chromium is not installed: apt-get install chromium (Debian, Ubuntu)"
    if problem:
        (pytest.fail if os.environ.get("CI") else pytest.skip)(problem)
    return sync_playwright, executable


@pytest.fixture(scope="module", params=["dot", "no-dot"])
def report(request, tmp_path_factory):
    """The quick tour's report, drawn with Graphviz or as if `dot` were not installed."""
    if request.param == "dot":
        needs_dot()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(io.StringIO()):
        if request.param == "no-dot":
            patch.setattr(viz, "has_dot", lambda: False)
            patch.setattr(viz.output, "has_dot", lambda: False)
        path = tour.main(["--quick", "--out", str(tmp_path_factory.mktemp(request.param))])
    return request.param, path


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (the system's), once for all the tests here."""
    sync_playwright, executable = _browser()
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable)
        yield chromium
        chromium.close()


@pytest.mark.browser
def test_the_report_reads_well_in_a_browser(report, browser):
    mode, path = report
    for size, (width, height) in SIZES.items():
        tab = browser.new_page(viewport={"width": width, "height": height})
        errors = []
        tab.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        tab.goto(path.as_uri())
        assert errors == [], errors
        assert tab.evaluate(LAYOUT_PROBLEMS) == [], f"{mode} at {width} px"
        pictures = tab.evaluate(PICTURES)
        # every image loaded, shown at its natural size (in a box that scrolls)
        assert pictures["images"] and all(
            ok and shown >= natural - 1 for ok, shown, natural in pictures["images"]
        ), pictures["images"]
        if mode == "dot":  # the stepper's graph and the two gradient checks
            assert len(pictures["svgs"]) == 3
            assert all(w > 100 and nodes >= 3 and seen for w, nodes, seen in pictures["svgs"])
        else:
            assert pictures["svgs"] == []
            assert tab.locator(".banner").count() == 1
            assert "digraph" not in tab.content()
        tab.screenshot(path=SHOTS / f"tour_{mode}_{size}.png")
        tab.screenshot(path=SHOTS / f"tour_{mode}_{size}_full.png", full_page=True)
        tab.close()


@pytest.mark.browser
@pytest.mark.parametrize("size", SIZES)
def test_the_stepper_walks_the_reverse_sweep(report, browser, size):
    mode, path = report
    width, height = SIZES[size]
    tab = browser.new_page(viewport={"width": width, "height": height})
    tab.goto(path.as_uri())
    previous, following = tab.locator("#step-prev"), tab.locator("#step-next")
    first = tab.evaluate(HIGHLIGHT)
    assert first[1] == "1" and previous.is_disabled()
    assert "upstream" in first[2] and "local" in first[2]
    if mode == "dot":
        assert first[0] == "n8"  # h6 = 1 / h5, the output
    seen = [first]
    while following.is_enabled():
        following.click()
        seen.append(tab.evaluate(HIGHLIGHT))
    assert [s[1] for s in seen] == [str(k) for k in range(1, 8)]  # seven edges swept
    assert len({s[2] for s in seen}) == 7
    if mode == "dot":  # h6 h5 h4 h3 h2 h2 h1, as the engine takes them
        assert [s[0] for s in seen] == ["n8", "n7", "n6", "n5", "n4", "n4", "n2"]
    for _ in range(4):
        previous.click()
    assert tab.evaluate(HIGHLIGHT) == seen[2]
    tab.evaluate("document.getElementById('stepper-section').scrollIntoView()")
    following.click()  # step 4, scrolled into sight (smoothly) with the buttons stuck on top
    tab.wait_for_timeout(1000)
    assert tab.evaluate(HIGHLIGHT) == seen[3]
    tab.screenshot(path=SHOTS / f"stepper_{mode}_{size}.png")
    tab.close()


@pytest.mark.parametrize("section", sorted(page.CODE))
def test_the_code_shown_on_the_page_runs(section, capsys):
    exec(compile(page.CODE[section], f"<page code {section}>", "exec"), {})
    out = capsys.readouterr().out
    assert {"autodiff": "df/dw = 0.25", "gradcheck": "FAILED", "deep": "["}[section] in out


def test_the_third_section_states_chance_and_every_run():
    speeds = {n: np.array([[1e-5, 1e-3], [1e-4, 1e-2]]) for n in ("plain", "fixed")}
    deep = page.deep_results(
        {
            "data": "10 Gaussian clusters",
            "classes": 10,
            "chance": 88.4,  # in percent, as deep_network gives it
            "speeds": speeds,
            "errors": {"plain": 0.912, "fixed": 0.0},
            "figure": "",
            "seeds": {
                "test_error": {"plain": [91.2, 90.0], "fixed": [0.0, 1.5]},
                "chance": [88.4, 89.0],
            },
            "depths": {"depth": [1, 2], "test_error": [0.0, 91.2], "first_speeds": [[1], [1, 9]]},
        }
    )
    assert deep["chance"] == pytest.approx(0.884)
    html = " ".join(page.page("", "", [], deep).split())
    assert "a test error of 88.4%" in html and "among the 10 classes 90.0%" in html
    assert "chance (most frequent class)</td>" in html and "10 Gaussian clusters" in html
    assert "<td>91.2%</td><td>90.0%</td>" in html  # every run
    assert "<td>88.4%</td><td>89.0%</td>" in html  # and its chance level
    assert "<td>0.0%</td><td>91.2%</td>" in html and "<td>9×</td>" in html  # by depth


def test_names_cannot_break_the_stepper(monkeypatch):
    monkeypatch.setattr(viz, "has_dot", lambda: False)  # the table and the script's data only
    x = mg.tensor(2.0, requires_grad=True, name="</script><b>x")
    y = x * x
    y.name = "<i>y"
    html = page.stepper(viz.trace(y))
    assert "</script><b>" not in html and "<i>" not in html
    assert "&lt;i&gt;y" in html and "\\u003c/script>" in html
