"""One typed settings object, read from the THINFILE_* variables users already set."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from pydantic import ValidationError

import thinfile
from thinfile.errors import InvalidInputError
from thinfile.settings import DEFAULT_HOME, Settings, load_settings
from thinfile.store.db import database_url

SRC = Path(thinfile.__file__).parent
README = SRC.parents[1] / "README.md"

ENVIRONMENT_READS_ALLOWED: dict[str, str] = {
    "thinfile/spark/session.py": (
        "Spark's own variables (PYSPARK_PYTHON, SPARK_LOCAL_IP) are set for the JVM and its"
        " Python workers when unset; they are Spark's settings, not thinfile's"
    ),
}
"""Modules that may still read the environment themselves, and why."""


@pytest.fixture(autouse=True)
def no_thinfile_variables(monkeypatch):
    import os

    for name in list(os.environ):
        if name.startswith("THINFILE_"):
            monkeypatch.delenv(name)


def _documented_variables() -> set[str]:
    section = README.read_text(encoding="utf-8").split("## Configuration", 1)[1]
    section = section.split("\n## ", 1)[0]
    return set(re.findall(r"`(THINFILE_[A-Z0-9_]+)`", section))


def test_every_variable_the_readme_documents_is_a_field_of_the_one_settings_object():
    documented = _documented_variables()
    assert {
        "THINFILE_DATABASE_URL",
        "THINFILE_HOME",
        "THINFILE_MODEL_DIR",
        "THINFILE_THREADS",
    } <= documented
    fields = {"THINFILE_" + name.upper() for name in Settings.model_fields}
    assert documented <= fields


@pytest.mark.parametrize(
    ("variable", "value", "field", "expected"),
    [
        ("THINFILE_HOME", "/srv/lender", "home", Path("/srv/lender")),
        (
            "THINFILE_DATABASE_URL",
            "postgresql+psycopg://u@h/db",
            "database_url",
            "postgresql+psycopg://u@h/db",
        ),
        ("THINFILE_MODEL_DIR", "/srv/models/2025-01", "model_dir", Path("/srv/models/2025-01")),
        ("THINFILE_THREADS", "12", "threads", 12),
        ("THINFILE_MIGRATE_ON_START", "false", "migrate_on_start", False),
        ("THINFILE_MAX_BODY_BYTES", "4096", "max_body_bytes", 4096),
        ("THINFILE_AUTO_DEBIT_RETRY_DAYS", "[2, 5]", "auto_debit_retry_days", (2, 5)),
        ("THINFILE_AUTO_DEBIT_RETRY_DAYS", "[]", "auto_debit_retry_days", ()),
    ],
)
def test_each_variable_sets_its_field(monkeypatch, variable, value, field, expected):
    monkeypatch.setenv(variable, value)
    assert getattr(Settings.from_environment(), field) == expected


def test_defaults_are_a_development_lender_in_var():
    settings = Settings.from_environment()
    assert settings.is_development and settings.home == DEFAULT_HOME == Path("var")
    assert settings.threads == 4 and settings.model_dir is None
    assert settings.effective_database_url() == "sqlite:///var/thinfile.sqlite"


def test_a_bad_variable_is_one_readable_error_naming_it(monkeypatch):
    monkeypatch.setenv("THINFILE_THREADS", "0")
    monkeypatch.setenv("THINFILE_TOKEN_TTL_SECONDS", "soon")
    with pytest.raises(InvalidInputError) as refused:
        load_settings()
    assert {p.field for p in refused.value.problems} == {
        "THINFILE_THREADS",
        "THINFILE_TOKEN_TTL_SECONDS",
    }


@pytest.mark.parametrize(
    "url", ["garbage", "mysql://lender:s3cret@db/thinfile", "sqlite:/no-slashes.db", ""]
)
def test_a_database_url_of_no_store_thinfile_runs_on_is_refused_without_repeating_it(
    monkeypatch, url
):
    monkeypatch.setenv("THINFILE_DATABASE_URL", url)
    with pytest.raises(InvalidInputError) as refused:
        load_settings()
    assert [p.field for p in refused.value.problems] == ["THINFILE_DATABASE_URL"]
    assert "s3cret" not in str(refused.value.details())


@pytest.mark.parametrize(
    "url", ["sqlite:///var/thinfile.db", "postgresql+psycopg://postgres@127.0.0.1:5432/test"]
)
def test_the_two_stores_urls_are_taken(monkeypatch, url):
    monkeypatch.setenv("THINFILE_DATABASE_URL", url)
    assert load_settings().database_url == url


def test_starting_in_production_refuses_the_development_secrets(monkeypatch):
    monkeypatch.setenv("THINFILE_ENV", "production")
    with pytest.raises(InvalidInputError) as refused:
        load_settings()
    assert {p.field for p in refused.value.problems} == {
        "token_secret",
        "lookup_key",
        "payment_gateway_key",
        "pii_keys.dev",
    }


def test_starting_in_production_with_real_secrets_succeeds(monkeypatch):
    monkeypatch.setenv("THINFILE_ENV", "production")
    monkeypatch.setenv("THINFILE_TOKEN_SECRET", "t" * 40)
    monkeypatch.setenv("THINFILE_LOOKUP_KEY", "l" * 40)
    monkeypatch.setenv("THINFILE_PAYMENT_GATEWAY_KEY", "g" * 40)
    monkeypatch.setenv("THINFILE_PII_KEYS", '{"k1": "' + "a" * 43 + '="}')
    monkeypatch.setenv("THINFILE_PII_ACTIVE_KEY_ID", "k1")
    assert load_settings().env == "production"


def test_the_engine_factory_reads_the_database_from_the_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("THINFILE_HOME", str(tmp_path / "home"))
    assert database_url() == f"sqlite:///{tmp_path / 'home' / 'thinfile.sqlite'}"
    assert (tmp_path / "home").is_dir()
    monkeypatch.setenv("THINFILE_DATABASE_URL", "postgresql+psycopg://u@h/db")
    assert database_url() == "postgresql+psycopg://u@h/db"


def _sources() -> list[tuple[str, ast.Module]]:
    return [
        (str(path.relative_to(SRC.parent)), ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted(SRC.rglob("*.py"))
    ]


def _reads_environment(node: ast.AST) -> bool:
    """``os.environ.get(…)``, ``os.getenv(…)`` or ``os.environ[…]`` read (not assigned)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        target = ast.unparse(node.func)
        return target in {"os.environ.get", "os.getenv", "environ.get", "getenv"}
    return (
        isinstance(node, ast.Subscript)
        and isinstance(node.ctx, ast.Load)
        and ast.unparse(node.value) in {"os.environ", "environ"}
    )


def test_only_the_settings_object_reads_the_environment():
    readers = {name for name, tree in _sources() if any(map(_reads_environment, ast.walk(tree)))}
    assert readers <= set(ENVIRONMENT_READS_ALLOWED)


def test_there_is_one_settings_class():
    classes = [
        f"{name}:{node.name}"
        for name, tree in _sources()
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        and any(ast.unparse(base).endswith("BaseSettings") for base in node.bases)
    ]
    assert classes == ["thinfile/settings.py:Settings"]


def test_the_environment_check_sees_a_read():
    assert _reads_environment(ast.parse('os.environ.get("THINFILE_HOME", "var")', mode="eval").body)
    assert _reads_environment(ast.parse('os.environ["THINFILE_HOME"]', mode="eval").body)
    assignment = ast.parse('os.environ["X"] = "1"').body[0]
    assert isinstance(assignment, ast.Assign)
    assert not _reads_environment(assignment.targets[0])


_IMPORT_EVERYTHING_OFFLINE = textwrap.dedent("""
    import pkgutil, socket, sqlite3, importlib
    def refuse(*args, **kwargs):
        raise RuntimeError("connected at import time")
    socket.socket.connect = refuse
    socket.create_connection = refuse
    sqlite3.connect = refuse
    import thinfile
    names = [info.name for info in pkgutil.walk_packages(thinfile.__path__, "thinfile.")
             if ".migrations" not in info.name and not info.name.endswith(".__main__")]
    for name in names:
        importlib.import_module(name)
    print(len(names))
""")


def test_nothing_connects_at_import_time():
    env = {
        "PATH": "/usr/bin:/bin",
        "THINFILE_DATABASE_URL": "postgresql+psycopg://x@127.0.0.1/x",
        "PYTHONPATH": str(SRC.parent),
    }
    done = subprocess.run(
        [sys.executable, "-c", _IMPORT_EVERYTHING_OFFLINE],
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout) > 150


def test_trusted_proxies_are_addresses_or_networks() -> None:
    settings = Settings(trusted_proxies=("10.0.0.0/8", " 192.0.2.7 ", "2001:db8::/32"))
    assert settings.trusted_proxies == ("10.0.0.0/8", "192.0.2.7", "2001:db8::/32")
    assert Settings().trusted_proxies == ()
    with pytest.raises(ValidationError, match="not an address or network"):
        Settings(trusted_proxies=("the load balancer",))


def test_auto_debit_retries_default_to_days_1_3_7_as_close_of_business_does():
    from thinfile.services.cob import AUTO_DEBIT_RETRY_DAYS

    assert Settings.from_environment().auto_debit_retry_days == AUTO_DEBIT_RETRY_DAYS == (1, 3, 7)


@pytest.mark.parametrize("days", ["[3, 1]", "[1, 1]", "[0]", "[366]", "[1,2,3,4,5,6,7,8,9,10,11]"])
def test_a_retry_schedule_that_does_not_increase_within_a_year_is_refused(monkeypatch, days):
    monkeypatch.setenv("THINFILE_AUTO_DEBIT_RETRY_DAYS", days)
    with pytest.raises(InvalidInputError) as refused:
        load_settings()
    assert {p.field for p in refused.value.problems} == {"THINFILE_AUTO_DEBIT_RETRY_DAYS"}


def test_close_of_business_from_the_command_line_reads_the_retry_days(tmp_path):
    """``thinfile cob run`` takes its retry schedule from the settings: a bad one stops it
    before it touches the database, naming the variable."""
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(SRC.parent),
        "THINFILE_HOME": str(tmp_path),
        "THINFILE_AUTO_DEBIT_RETRY_DAYS": "[7, 3]",
    }
    done = subprocess.run(
        [sys.executable, "-m", "thinfile", "cob", "run", "--date", "2026-01-01"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "THINFILE_AUTO_DEBIT_RETRY_DAYS" in done.stderr
    assert not (tmp_path / "thinfile.sqlite").exists()
