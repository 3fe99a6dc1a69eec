"""docs/seeds.md, the coverage table of the seeds, cannot drift: every demo, figure and test file
it names exists, every status is one of the four (with its reason where one is due) and the
summary counts are the counts of the rows."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "seeds.md"
SEEDS = ("000", "001", "002", "003", "004")
STATUSES = ("reproduced and tested", "shown", "partial", "out of scope")
HEADER = ["item", "seed location", "what it says", "demo / figure", "test", "status"]
SUMMARY = ["seed", *STATUSES, "items"]


def cells(line: str) -> list[str]:
    """The cells of a markdown table row; `\\|` inside a cell is not a separator."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


def parse(text: str) -> tuple[list[dict], dict[str, list[int]]]:
    """The item rows (each with the seed of the section it is in) and the summary table."""
    rows, summary = [], {}
    seed, table = None, None
    for number, line in enumerate(text.splitlines(), 1):
        heading = re.match(r"## (Seed (\d{3})|Summary)\b", line)
        if heading:
            seed, table = heading.group(2), None
            continue
        if not line.startswith("|"):
            table = None
            continue
        row = cells(line)
        if table is None:  # a header row
            table = "items" if row == HEADER else "summary" if row == SUMMARY else "other"
            assert table != "other", f"line {number}: unknown table header {row}"
            continue
        if set("".join(row)) <= set("-: "):
            continue  # the separator row
        if table == "summary":
            assert len(row) == len(SUMMARY), f"line {number}: {row}"
            summary[row[0].split()[0]] = [int(c) for c in row[1:]]
        else:
            assert seed is not None, f"line {number}: an item row outside a seed's section"
            assert len(row) == len(HEADER), f"line {number}: {len(row)} cells, not 6: {row}"
            rows.append({"line": number, "seed": seed, **dict(zip(HEADER, row, strict=True))})
    return rows, summary


@pytest.fixture(scope="module")
def doc() -> tuple[list[dict], dict[str, list[int]]]:
    return parse(DOC.read_text(encoding="utf-8"))


def status_of(row: dict) -> tuple[str, str]:
    """(status, reason): the cell is `status` or `status: reason`."""
    status, _, reason = row["status"].partition(":")
    return status.strip(), reason.strip()


def test_every_seed_has_rows(doc):
    rows, _ = doc
    found = Counter(r["seed"] for r in rows)
    assert set(found) == set(SEEDS)
    assert sum(found.values()) >= 100  # the seeds hold about 130 items
    assert all(r["item"] and r["what it says"] and r["seed location"] for r in rows)


def test_statuses_are_the_four_with_their_reasons(doc):
    rows, _ = doc
    for r in rows:
        status, reason = status_of(r)
        where = f"line {r['line']} ({r['item']})"
        assert status in STATUSES, f"{where}: status {r['status']!r}"
        if status in ("partial", "out of scope"):
            assert reason, f"{where}: {status} needs its reason after a colon"
        if status == "reproduced and tested":
            assert re.search(r"test_\w+\.py", r["test"]), f"{where}: no test file named"
        if status == "shown":
            assert "`" in r["demo / figure"] or "](figures/" in r["demo / figure"], where


def test_named_demos_exist(doc):
    rows, _ = doc
    for r in rows:
        for name in re.findall(r"`([^`]+)`", r["demo / figure"]):
            assert (ROOT / "demos" / f"{name}.py").is_file(), f"line {r['line']}: demos/{name}.py"


def test_linked_figures_exist():
    links = re.findall(r"\]\((figures/[^)]+)\)", DOC.read_text(encoding="utf-8"))
    assert links
    for link in links:
        assert link.endswith(".png") and (ROOT / "docs" / link).is_file(), link


def test_named_test_files_exist(doc):
    rows, _ = doc
    for r in rows:
        text = " ".join(v for v in r.values() if isinstance(v, str))
        for name in re.findall(r"\btest_\w+\.py\b", text):
            assert (ROOT / "tests" / name).is_file(), f"line {r['line']}: tests/{name}"


def test_summary_counts_are_the_rows(doc):
    rows, summary = doc
    assert list(summary) == [*SEEDS, "all"]
    total = [0] * (len(STATUSES) + 1)
    for seed in SEEDS:
        counts = Counter(status_of(r)[0] for r in rows if r["seed"] == seed)
        expected = [counts[s] for s in STATUSES] + [sum(counts.values())]
        assert summary[seed] == expected, f"seed {seed}: summary {summary[seed]}, rows {expected}"
        total = [a + b for a, b in zip(total, expected, strict=True)]
    assert summary["all"] == total


def test_parse_reads_escaped_pipes_and_refuses_a_bad_row():
    text = "\n".join(
        [
            "## Seed 001: x",
            "| " + " | ".join(HEADER) + " |",
            "|---|---|---|---|---|---|",
            r"| a | b | \|w\| >= 4 | `seed_checks` | test_seed_checks.py | shown |",
        ]
    )
    rows, _ = parse(text)
    assert rows[0]["what it says"] == r"\|w\| >= 4" and rows[0]["seed"] == "001"
    with pytest.raises(AssertionError, match="not 6"):
        parse(text + "\n| a | b | c | d | e |")
