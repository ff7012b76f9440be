"""pip-audit over the pinned requirements, reported honestly.

A known vulnerability in a pinned package fails (exit 1). A package pip-audit could not look up
(its vulnerability service unreachable from this machine) is not a pass: it is counted and named
in the output; with PIP_AUDIT=strict (a machine that reaches the service, e.g. a release check)
it fails too, so nobody mistakes "not checked" for "clean".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ["requirements/base.txt", "requirements/dev.txt"]


def main() -> int:
    command = [
        str(Path(sys.executable).with_name("pip-audit")),
        "--no-deps",
        "--disable-pip",
        "--progress-spinner",
        "off",
        "--format",
        "json",
    ]
    for requirement in REQUIREMENTS:
        command += ["-r", requirement]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        print(run.stderr.strip() or run.stdout.strip(), file=sys.stderr)
        print("pip-audit failed to run", file=sys.stderr)
        return 1
    packages = report.get("dependencies", [])
    vulnerable = [p for p in packages if p.get("vulns")]
    unchecked = [p for p in packages if p.get("skip_reason")]
    checked = len(packages) - len(unchecked)
    for package in vulnerable:
        ids = ", ".join(v["id"] for v in package["vulns"])
        print(f"VULNERABLE {package['name']}=={package['version']}: {ids}", file=sys.stderr)
    print(
        f"pip-audit: {checked} of {len(packages)} pinned packages checked, "
        f"{len(vulnerable)} with known vulnerabilities"
    )
    if unchecked:
        reason = unchecked[0]["skip_reason"]
        print(
            f"pip-audit: WARNING {len(unchecked)} packages NOT CHECKED (the vulnerability "
            f"service did not answer for them, e.g. {unchecked[0]['name']}: {reason})",
            file=sys.stderr,
        )
    if vulnerable:
        return 1
    if unchecked and os.environ.get("PIP_AUDIT") == "strict":
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
