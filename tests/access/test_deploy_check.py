"""Production settings pass Django's deployment checklist without a single warning."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_check_deploy_with_production_settings_reports_no_issues(tmp_path):
    environment = {
        **{name: value for name, value in os.environ.items() if name != "DATABASE_URL"},
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "annotate.example.com",
        "ANNOTATE_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "annotate.settings",
    }
    for knob in ("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS"):
        environment.pop(knob, None)
    checked = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "System check identified no issues" in checked.stdout
