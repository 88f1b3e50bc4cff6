"""The SECRET_KEY: production refuses weak keys, development keeps a random one under instance/."""

from __future__ import annotations

import os
import stat

import pytest

from config import (
    PUBLISHED_SECRET_KEYS,
    Config,
    check_and_complete,
    development_secret_key,
    secret_key_problem,
)

PUBLIC = "https://convention.example.org"


@pytest.mark.parametrize(
    "key",
    [
        None,
        "",
        *sorted(PUBLISHED_SECRET_KEYS),
        "a-short-but-random-K3y!",  # 23 characters
        "0123456789abcdef0123456789abcde",  # 31 characters
        "ab" * 32,  # long but two characters
        "abcdefgh" * 8,  # eight distinct characters
    ],
)
def test_production_refuses_a_weak_key(tmp_path, key):
    assert secret_key_problem(key) is not None
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        check_and_complete({"SECRET_KEY": key, "PUBLIC_BASE_URL": PUBLIC}, "production", tmp_path)


def test_production_accepts_a_random_key(tmp_path):
    key = "9f86d081884c7d659a2feaa0c55ad015"  # 32 hex characters
    assert secret_key_problem(key) is None
    check_and_complete({"SECRET_KEY": key, "PUBLIC_BASE_URL": PUBLIC}, "production", tmp_path)


def test_no_published_constant_is_the_default():
    assert Config.SECRET_KEY in (None, os.environ.get("SECRET_KEY"))


def test_development_generates_a_key_once_and_keeps_it(tmp_path):
    config = {"SECRET_KEY": None, "PUBLIC_BASE_URL": ""}
    check_and_complete(config, "development", tmp_path)
    key = config["SECRET_KEY"]
    assert len(key) >= 32 and key not in PUBLISHED_SECRET_KEYS
    path = tmp_path / "secret_key"
    assert path.read_text().strip() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert development_secret_key(tmp_path) == key  # the next run reads the same key
    assert development_secret_key(tmp_path / "other") != key  # another instance, another key


def test_development_replaces_a_truncated_key_file(tmp_path):
    (tmp_path / "secret_key").write_text("short\n")
    key = development_secret_key(tmp_path)
    assert len(key) == 64 and (tmp_path / "secret_key").read_text().strip() == key


def test_an_explicit_key_wins_in_development(tmp_path):
    config = {"SECRET_KEY": "mine" * 10, "PUBLIC_BASE_URL": "http://127.0.0.1:5000"}
    check_and_complete(config, "development", tmp_path)
    assert config["SECRET_KEY"] == "mine" * 10 and not (tmp_path / "secret_key").exists()
