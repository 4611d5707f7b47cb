"""`schakel bench --synthetic`: the match path on random vectors, next to a float32 scan."""

from __future__ import annotations

from typer.testing import CliRunner

from schakel.service.bench_synthetic import bench_synthetic
from schakel.service.cli import app as cli


def test_the_synthetic_bench_measures_int8_next_to_float32() -> None:
    row = bench_synthetic(5000, n_queries=20)
    assert row.members == 5000 and 0 < row.int8_scan_p50 <= row.p50 <= row.p95
    assert row.f32_scan_p50 > 0 and row.int8_mb < row.f32_mb / 3.5
    assert row.rss_f32_mb >= row.rss_int8_mb > 0


def test_the_cli_prints_the_table_and_refuses_a_million_without_synthetic() -> None:
    shown = CliRunner().invoke(cli, ["bench", "--sizes", "3000", "--synthetic",
                                     "--queries", "20"])
    assert shown.exit_code == 0, shown.output
    assert "float32-scan p50 / p95" in shown.output and "3.000 leden" in shown.output
    refused = CliRunner().invoke(cli, ["bench", "--sizes", "1000000"])
    assert refused.exit_code == 2 and "tussen 1 en 100000" in refused.output
