"""Fail when line coverage of the shipped integration drops below the bar."""

from __future__ import annotations

import sys

import coverage

BAR = 95.0
PACKAGE = "/custom_components/tedee_bluetooth/"


def main() -> int:
    """Print the line coverage of the integration; exit 1 below the bar."""
    cov = coverage.Coverage()
    cov.load()
    statements = missing = 0
    for path in cov.get_data().measured_files():
        if PACKAGE in path:
            _, lines, _, missed, _ = cov.analysis2(path)
            statements += len(lines)
            missing += len(missed)
    if not statements:
        print("coverage gate: no data for the integration")
        return 1
    percent = 100 * (statements - missing) / statements
    print(
        f"Line coverage of custom_components/tedee_bluetooth: {percent:.2f}% (bar {BAR}%)"
    )
    return 0 if percent >= BAR else 1


if __name__ == "__main__":
    sys.exit(main())
