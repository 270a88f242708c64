"""Settings come from the environment: strict readers, read in one place, every variable in README's table."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from annotate.settings import env_bool, env_choice, env_float, env_int, env_list, env_str
from projects.management.commands.connect_labelstudio import Command as ConnectLabelStudio

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_PY = ROOT / "annotate" / "settings.py"
READERS = {"env_str", "env_bool", "env_int", "env_float", "env_list", "env_choice"}


# -- the readers, as pure functions of a given environment ------------------------------------------


@pytest.mark.parametrize("value", ["true", "TRUE", " True ", "1", "yes", "Yes", "on", "ON\n"])
def test_a_yes_word_reads_as_true(value):
    assert env_bool("FLAG", False, environ={"FLAG": value}) is True


@pytest.mark.parametrize("value", ["false", "False", " FALSE ", "0", "no", "NO", "off", "Off\t"])
def test_a_no_word_reads_as_false(value):
    assert env_bool("FLAG", True, environ={"FLAG": value}) is False


@pytest.mark.parametrize("environ", [{}, {"FLAG": ""}, {"FLAG": "   "}])
def test_an_unset_or_empty_boolean_is_its_default(environ):
    assert env_bool("FLAG", True, environ=environ) is True
    assert env_bool("FLAG", False, environ=environ) is False


@pytest.mark.parametrize("value", ["maybe", "2", "-1", "y", "n", "t", "enabled", "tru e", "none"])
def test_any_other_boolean_is_refused_naming_the_variable_and_the_value(value):
    with pytest.raises(ImproperlyConfigured) as refused:
        env_bool("EMAIL_USE_TLS", True, environ={"EMAIL_USE_TLS": value})
    assert (
        str(refused.value) == f"EMAIL_USE_TLS must be true or false (also yes/no, on/off, 1/0), got {value.strip()!r}."
    )


def test_a_whole_number_is_read_trimmed_and_anything_else_is_refused():
    assert env_int("PORT", 587, environ={"PORT": " 2525 "}) == 2525
    assert env_int("PORT", 587, environ={"PORT": ""}) == 587
    assert env_int("PORT", 587, environ={}) == 587
    for value in ("25.5", "twenty", "1e3", "0x19"):
        with pytest.raises(ImproperlyConfigured, match=rf"^PORT must be a whole number, got '{re.escape(value)}'\.$"):
            env_int("PORT", 587, environ={"PORT": value})


def test_a_number_below_its_minimum_is_refused_naming_the_variable():
    assert env_int("CHUNK", 2000, minimum=1, environ={"CHUNK": "1"}) == 1
    with pytest.raises(ImproperlyConfigured, match=r"^CHUNK must be at least 1, got 0\.$"):
        env_int("CHUNK", 2000, minimum=1, environ={"CHUNK": "0"})
    assert env_float("BACKOFF", 0.5, minimum=0, environ={"BACKOFF": "0"}) == 0.0
    with pytest.raises(ImproperlyConfigured, match=r"^BACKOFF must be at least 0, got -0\.5\.$"):
        env_float("BACKOFF", 0.5, minimum=0, environ={"BACKOFF": "-0.5"})


def test_a_decimal_number_is_read_and_text_or_infinity_is_refused():
    assert env_float("TIMEOUT", 30, environ={"TIMEOUT": " 2.5 "}) == 2.5
    assert env_float("TIMEOUT", 30, environ={"TIMEOUT": "45"}) == 45.0
    assert env_float("TIMEOUT", 30, environ={}) == 30.0
    for value in ("fast", "nan", "inf", "-Infinity", "1,5"):
        with pytest.raises(ImproperlyConfigured, match=rf"^TIMEOUT must be a number, got '{re.escape(value)}'\.$"):
            env_float("TIMEOUT", 30, environ={"TIMEOUT": value})


def test_a_list_is_comma_separated_without_blanks():
    assert env_list("HOSTS", ["localhost"], environ={"HOSTS": " a.example, ,b.example ,"}) == ["a.example", "b.example"]
    assert env_list("HOSTS", ["localhost"], environ={"HOSTS": " "}) == ["localhost"]


def test_a_choice_is_matched_case_insensitively_and_anything_else_is_refused():
    levels = ("DEBUG", "INFO", "WARNING")
    assert env_choice("LOG_LEVEL", "INFO", levels, environ={"LOG_LEVEL": " warning "}) == "WARNING"
    assert env_choice("LOG_LEVEL", "INFO", levels, environ={}) == "INFO"
    with pytest.raises(ImproperlyConfigured, match=r"^LOG_LEVEL must be one of DEBUG, INFO, WARNING, got 'LOUD'\.$"):
        env_choice("LOG_LEVEL", "INFO", levels, environ={"LOG_LEVEL": "LOUD"})


def test_a_string_is_kept_as_set_and_empty_is_its_default():
    assert env_str("EMAIL_HOST_PASSWORD", environ={"EMAIL_HOST_PASSWORD": " pass word "}) == " pass word "
    assert env_str("TIME_ZONE", "UTC", environ={"TIME_ZONE": ""}) == "UTC"
    assert env_str("TIME_ZONE", "UTC", environ={}) == "UTC"


# -- the settings module, started in a fresh interpreter ---------------------------------------------


def _variables_settings_reads() -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(SETTINGS_PY.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in READERS:
            first = node.args[0] if node.args else None
            assert isinstance(first, ast.Constant) and isinstance(first.value, str), (
                f"annotate/settings.py line {node.lineno}: a reader is called without a literal variable name"
            )
            names.add(first.value)
    return names


def _start_django(tmp_path: Path, variables: dict[str, str], code: str = "") -> subprocess.CompletedProcess:
    # Only the variables under test: whatever the shell running the suite exports must not leak in.
    known = _variables_settings_reads()
    environment = {name: value for name, value in os.environ.items() if name not in known}
    environment |= {"DJANGO_SETTINGS_MODULE": "annotate.settings", "ANNOTATE_VAR_DIR": str(tmp_path), **variables}
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup()\n{code}"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG must be true or false (also yes/no, on/off, 1/0), got 'maybe'."),
        ({"LABEL_STUDIO_RETRIES": "four"}, "LABEL_STUDIO_RETRIES must be a whole number, got 'four'."),
        ({"LABEL_STUDIO_TIMEOUT": "0"}, "LABEL_STUDIO_TIMEOUT must be at least 1, got 0.0."),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got 'loud'."),
        (
            {"EMAIL_USE_SSL": "true", "EMAIL_USE_TLS": "true"},
            "EMAIL_USE_SSL and EMAIL_USE_TLS cannot both be true: set one of them.",
        ),
    ],
)
def test_a_bad_value_in_the_environment_stops_start_up_naming_the_variable(tmp_path, variables, message):
    started = _start_django(tmp_path, variables)

    assert started.returncode != 0
    assert f"django.core.exceptions.ImproperlyConfigured: {message}" in started.stderr, started.stderr


def test_values_in_the_environment_become_the_settings(tmp_path):
    started = _start_django(
        tmp_path,
        {
            "DEBUG": " Off ",
            "SECRET_KEY": "k" * 50,
            "ALLOWED_HOSTS": "annotate.example.com, admin.example.com",
            "EMAIL_USE_SSL": "YES",
            "LABEL_STUDIO_BACKOFF": "1.5",
            "LABEL_STUDIO_SYNC_SECONDS": "120",
            "LOG_LEVEL": "warning",
            "FIELD_ENCRYPTION_KEY": "field-key",
            "EVALUATION_ENDPOINT_API_KEY": "sk-eval",
            "DEMO_PASSWORD": "demo-secret",
        },
        code="""
import json
from django.conf import settings as s
print(json.dumps([s.DEBUG, s.ALLOWED_HOSTS, s.EMAIL_USE_SSL, s.EMAIL_USE_TLS, s.EMAIL_PORT, s.LABEL_STUDIO_BACKOFF,
    s.CELERY_BEAT_SCHEDULE["sync-labelstudio"]["schedule"], s.LOGGING["root"]["level"], s.FIELD_ENCRYPTION_KEY,
    s.EVALUATION_ENDPOINT_API_KEY, s.DEMO_PASSWORD]))
""",
    )

    assert started.returncode == 0, started.stderr
    assert json.loads(started.stdout) == [
        False,
        ["annotate.example.com", "admin.example.com"],
        True,
        False,  # implicit TLS alone: STARTTLS goes off with it
        465,
        1.5,
        120.0,
        "WARNING",
        "field-key",
        "sk-eval",
        "demo-secret",
    ]


# -- one place, one table ------------------------------------------------------------------------------


ENVIRONMENT_NAMES = {"environ", "environb", "getenv", "getenvb"}


def _touches_environment(node: ast.AST) -> bool:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return node.value.id == "os" and node.attr in ENVIRONMENT_NAMES
    if isinstance(node, ast.ImportFrom):
        return node.module == "os" and any(alias.name in ENVIRONMENT_NAMES for alias in node.names)
    return False


def _direct_environment_reads(path: Path) -> list[int]:
    """Lines of `path` touching os.environ or os.getenv, outside settings.py's own readers."""
    statements = ast.parse(path.read_text()).body
    if path == SETTINGS_PY:
        # The readers' `environ=os.environ` default is the one place the environment is taken from.
        statements = [node for node in statements if not isinstance(node, ast.FunctionDef)]
    return [node.lineno for statement in statements for node in ast.walk(statement) if _touches_environment(node)]


def test_the_app_reads_the_environment_only_in_settings():
    allowed = {
        # Point Django at the settings before there are any.
        "annotate/asgi.py",
        "annotate/wsgi.py",
        "annotate/celery.py",
        # A connection's token_env_var names a variable in data, one per server: read where the token is used.
        "projects/models/labelstudio.py",
    }
    found = {}
    for path in sorted([*ROOT.glob("annotate/**/*.py"), *ROOT.glob("projects/**/*.py")]):
        relative = path.relative_to(ROOT).as_posix()
        if relative not in allowed and (lines := _direct_environment_reads(path)):
            found[relative] = lines
    assert found == {}, "read these through annotate/settings.py and django.conf.settings"


def _readme_configuration_table() -> dict[str, list[str]]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        assert len(cells) == 3 and all(cells), f"README configuration row needs variable, default, meaning: {line}"
        for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", cells[0]):
            rows[name] = cells
    return rows


def test_every_variable_settings_reads_is_in_the_readme_configuration_table():
    table = _readme_configuration_table()
    missing = sorted(_variables_settings_reads() - set(table))
    assert missing == [], "add these to README.md's configuration table, with their default and meaning"


def test_the_readme_configuration_table_lists_only_variables_annotate_reads():
    # The one listed variable settings does not read: the default a new connection reads its token from.
    token_variable = ConnectLabelStudio().create_parser("manage.py", "connect_labelstudio").get_default("token_env_var")
    unread = sorted(set(_readme_configuration_table()) - _variables_settings_reads() - {token_variable})
    assert unread == [], "README.md's configuration table lists variables nothing reads"
