import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args, **env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "SECURE_SSL_REDIRECT"}
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = run_manage("check", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_it_starts_without_a_secret_key_in_debug():
    result = run_manage("check", DEBUG="1")
    assert result.returncode == 0, result.stderr


def test_it_refuses_a_malformed_boolean():
    result = run_manage("check", DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be one of" in result.stderr


def test_it_passes_the_deployment_checks_in_production():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="a-long-random-production-secret-" + "x7Qp2Lm9" * 6,
        ALLOWED_HOSTS="annotations.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stdout + result.stderr


def _scheme_seen(**env):
    """Return the status of a GET sent with ``X-Forwarded-Proto: https``."""
    code = (
        "from django.test import Client; "
        "print(Client().get('/accounts/login/', "
        "headers={'X-Forwarded-Proto': 'https'}).status_code)"
    )
    result = run_manage(
        "shell",
        "-c",
        code,
        DEBUG="0",
        SECRET_KEY="a-long-random-production-secret-" + "x7Qp2Lm9" * 6,
        ALLOWED_HOSTS="testserver",
        **env,
    )
    assert result.returncode == 0, result.stderr
    return int(result.stdout.strip().splitlines()[-1])


def test_it_ignores_x_forwarded_proto_unless_told_a_proxy_sets_it():
    # Not trusted: the plain-http request is redirected to https.
    assert _scheme_seen() == 301
    assert _scheme_seen(PROXY_SETS_X_FORWARDED_PROTO="0") == 301


def test_it_trusts_x_forwarded_proto_when_a_proxy_sets_it():
    assert _scheme_seen(PROXY_SETS_X_FORWARDED_PROTO="1") == 200
