"""Operations settings: the metrics token is a secret (environment or file, at least 32 characters) and the
worker's poll interval is a number of seconds."""

import pytest

from hotline.settings import Settings, SettingsError

BASE = {"HOTLINE_PEPPER": "p" * 40, "HOTLINE_SESSION_KEY": "s" * 40}


def test_metrics_token_from_a_file(tmp_path):
    token = tmp_path / "metrics_token"
    token.write_text("t" * 40 + "\n")
    settings = Settings.from_env({**BASE, "HOTLINE_METRICS_TOKEN_FILE": str(token),
                                  "HOTLINE_WORKER_POLL_SECONDS": "0.5"})
    assert settings.metrics_token == b"t" * 40 and settings.worker_poll_seconds == 0.5
    assert "t" * 40 not in repr(settings)
    settings.check()


def test_a_short_metrics_token_is_refused_and_none_is_allowed():
    with pytest.raises(SettingsError, match="HOTLINE_METRICS_TOKEN is shorter than 32"):
        Settings.from_env({**BASE, "HOTLINE_METRICS_TOKEN": "short"}).check()
    Settings.from_env(BASE).check()


@pytest.mark.parametrize("value", ["0", "-1", "soon", "99999"])
def test_worker_poll_seconds_must_be_a_sensible_number(value):
    with pytest.raises(SettingsError, match="HOTLINE_WORKER_POLL_SECONDS"):
        Settings.from_env({**BASE, "HOTLINE_WORKER_POLL_SECONDS": value})
