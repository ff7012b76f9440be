"""scripts/audit_dependencies.py: a vulnerable pin fails, an unchecked one is named (and fails
only when PIP_AUDIT=strict), a clean report passes."""

import importlib.util
import json
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "audit_dependencies.py"
spec = importlib.util.spec_from_file_location("audit_dependencies", SCRIPT)
audit = importlib.util.module_from_spec(spec)
spec.loader.exec_module(audit)

CLEAN = {"name": "django", "version": "5.2.19", "vulns": []}
VULNERABLE = {"name": "oldlib", "version": "1.0", "vulns": [{"id": "PYSEC-2026-1"}]}
UNCHECKED = {"name": "amqp", "version": "5.4.2", "skip_reason": "Dependency not found on PyPI"}


@pytest.fixture
def report(monkeypatch):
    def returns(*packages):
        output = json.dumps({"dependencies": list(packages), "fixes": []})
        monkeypatch.setattr(
            subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(a, 0, output, "")
        )

    return returns


def test_a_clean_report_passes(report, capsys):
    report(CLEAN)
    assert audit.main() == 0
    assert "1 of 1 pinned packages checked, 0 with known vulnerabilities" in capsys.readouterr().out


def test_a_known_vulnerability_fails_naming_the_package(report, capsys):
    report(CLEAN, VULNERABLE)
    assert audit.main() == 1
    assert "VULNERABLE oldlib==1.0: PYSEC-2026-1" in capsys.readouterr().err


def test_an_unchecked_package_is_named_and_fails_only_when_strict(report, capsys, monkeypatch):
    report(CLEAN, UNCHECKED)
    monkeypatch.delenv("PIP_AUDIT", raising=False)
    assert audit.main() == 0
    assert "1 packages NOT CHECKED" in capsys.readouterr().err

    monkeypatch.setenv("PIP_AUDIT", "strict")
    assert audit.main() == 1
