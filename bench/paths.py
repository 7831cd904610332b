from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VAR = REPO / "var" / "bench"
DOCS = REPO / "docs" / "BENCHMARKS.md"
