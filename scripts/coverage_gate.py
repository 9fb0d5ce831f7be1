"""Fail when line coverage of the shipped integration, or of any one of its modules,
drops below the bar: a well-tested module must not hide an untested one."""

from __future__ import annotations

import sys

import coverage

BAR = 95.0
PACKAGE = "/custom_components/tedee_bluetooth/"


def main() -> int:
    """Print the total and every module below the bar; exit 1 if any is below."""
    cov = coverage.Coverage()
    cov.load()
    total_lines = total_missing = 0
    below: list[str] = []
    for path in sorted(cov.get_data().measured_files()):
        if PACKAGE not in path:
            continue
        _, lines, _, missed, _ = cov.analysis2(path)
        total_lines += len(lines)
        total_missing += len(missed)
        if lines:
            percent = 100 * (len(lines) - len(missed)) / len(lines)
            if percent < BAR:
                name = path.split(PACKAGE, 1)[1]
                below.append(f"  {name}: {percent:.2f}%")
    if not total_lines:
        print("coverage gate: no data for the integration")
        return 1
    total = 100 * (total_lines - total_missing) / total_lines
    modules = len([p for p in cov.get_data().measured_files() if PACKAGE in p])
    print(
        f"Line coverage of custom_components/tedee_bluetooth: {total:.2f}% "
        f"(bar {BAR}% for the total and for each of its {modules} modules)"
    )
    if below:
        print("Modules below the bar:\n" + "\n".join(below))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
