"""bench/run.py's sliced comparison: a page loaded in slices, each between two baseline runs,
is reported with the median of its slices' ratios (the machine's speed can halve for seconds
at a time, and a single slice caught in such a moment must not decide the page's figure)."""

from bench.run import combine_slices


def row(page: str, rps: float, ratio: float = 0.0, p95: int = 100_000) -> dict:
    return {
        "page": page,
        "path": f"/{page}/",
        "connections": 16,
        "rps": rps,
        "p50": p95 // 2,
        "p95": p95,
        "p99": p95 * 2,
        "baseline_rps": rps / ratio if ratio else 0.0,
        "ratio": ratio,
    }


def test_a_page_in_slices_gets_the_median_of_its_slices_ratios():
    level = [
        row("baseline", 400),
        row("home", 100, 0.25, p95=300_000),
        row("baseline", 400),
        row("home", 40, 0.10, p95=900_000),  # caught while the machine was slow
        row("baseline", 200),
        row("home", 120, 0.30, p95=280_000),
        row("baseline", 400),
        row("course", 80, 0.20),
        row("baseline", 400),
    ]
    combined = combine_slices(level)
    assert [r["page"] for r in combined] == ["baseline"] * 5 + ["home", "course"]
    home = combined[5]
    assert home["ratio"] == 0.25
    assert home["p95"] == 300_000
    assert home["rps"] == round((100 + 40 + 120) / 3, 1)
    assert [s["ratio"] for s in home["slices"]] == [0.25, 0.10, 0.30]
    # A page loaded once is reported as it was measured, without slices.
    assert combined[6] == level[7]
    assert "slices" not in combined[6]
