"""The minimum scores of suggestions come from the environment, checked at start."""

from .test_settings import run_manage


def test_it_reads_a_minimum_score_from_the_environment():
    result = run_manage(
        "shell", "-c", "from django.conf import settings; print(settings.SUGGEST_MIN_SCORES)",
        DEBUG="1", SUGGEST_MIN_SCORE_CLAIM="0.7",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "'claim': 0.7" in result.stdout
    assert "'quote': 0.5" in result.stdout


def test_it_refuses_a_score_that_is_not_a_number():
    result = run_manage("check", DEBUG="1", SUGGEST_MIN_SCORE_QUOTE="high")
    assert result.returncode != 0
    assert "SUGGEST_MIN_SCORE_QUOTE must be a number" in result.stderr


def test_it_refuses_a_score_outside_zero_to_one():
    result = run_manage("check", DEBUG="1", SUGGEST_MIN_SCORE_OPINION="1.5")
    assert result.returncode != 0
    assert "SUGGEST_MIN_SCORE_OPINION must be between 0 and 1" in result.stderr
