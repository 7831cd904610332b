"""`make bench`: the benchmarks recorded in docs/BENCHMARKS.md."""

import sys


def main() -> int:
    print("No benchmarks yet.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
