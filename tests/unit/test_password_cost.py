"""The password hash's cost: argon2id at OWASP's minimum, and older hashes upgraded at login."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError
from argon2.low_level import hash_secret

import config
from convention.core import security

PASSWORD = "une phrase de passe solide"
OWASP_PREFIX = "$argon2id$v=19$m=19456,t=2,p=1$"


def test_the_parameters_are_owasp_s_minimum_for_argon2id():
    assert (security.ARGON2_MEMORY_KIB, security.ARGON2_TIME_COST, security.ARGON2_PARALLELISM) == (19456, 2, 1)
    # The settings' defaults say the same (config.py cannot import the package to share them).
    assert (config.Config.ARGON2_MEMORY_KIB, config.Config.ARGON2_TIME_COST, config.Config.ARGON2_PARALLELISM) == (
        19456,
        2,
        1,
    )


def test_a_new_hash_is_argon2id_with_those_parameters_outside_any_application():
    digest = security.hash_password(PASSWORD)
    assert digest.startswith(OWASP_PREFIX)
    assert security.verify_password(digest, PASSWORD)
    assert not security.verify_password(digest, PASSWORD + "!")
    assert not security.needs_rehash(digest)


@pytest.mark.parametrize(
    "old",
    [
        PasswordHasher(),  # argon2-cffi's defaults, used before the parameters were set: 64 MiB, t=3, p=4
        PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1),  # weaker
        PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, type=Type.I),  # argon2i, not argon2id
    ],
    ids=["argon2-cffi-defaults", "weaker", "argon2i"],
)
def test_a_hash_with_other_parameters_still_verifies_and_needs_an_upgrade(old):
    digest = old.hash(PASSWORD)
    assert security.verify_password(digest, PASSWORD)
    assert not security.verify_password(digest, "autre chose")
    assert security.needs_rehash(digest)


def test_a_longer_salt_or_hash_of_the_same_cost_also_needs_an_upgrade():
    raw = hash_secret(PASSWORD.encode(), b"0123456789abcdef0123", 2, 19456, 1, 64, Type.ID).decode()
    assert raw.startswith(OWASP_PREFIX)
    assert security.verify_password(raw, PASSWORD)
    assert security.needs_rehash(raw)


def test_something_that_is_no_argon2_hash_never_verifies_and_needs_an_upgrade():
    assert not security.verify_password("pbkdf2:sha256:600000$abc$def", PASSWORD)
    assert not security.verify_password(None, PASSWORD)
    assert not security.verify_password("", PASSWORD)
    assert security.needs_rehash("pbkdf2:sha256:600000$abc$def")
    with pytest.raises(InvalidHashError):  # the library itself refuses it: needs_rehash is the one that forgives
        PasswordHasher().check_needs_rehash("pbkdf2:sha256:600000$abc$def")


def test_the_application_s_settings_choose_the_parameters(app_ctx, monkeypatch):
    assert security.hash_password(PASSWORD).startswith(OWASP_PREFIX)  # the defaults of every configuration
    owasp_hash = security.hash_password(PASSWORD)
    monkeypatch.setitem(app_ctx.config, "ARGON2_TIME_COST", 3)
    stronger = security.hash_password(PASSWORD)
    assert stronger.startswith("$argon2id$v=19$m=19456,t=3,p=1$")
    assert security.needs_rehash(owasp_hash) and not security.needs_rehash(stronger)
    assert security.verify_password(owasp_hash, PASSWORD)  # an older hash still logs in (then is upgraded)


def test_login_upgrades_a_hash_made_with_the_previous_defaults(database):
    from convention.auth import operations
    from tests.auth_fixtures import make_user

    user = make_user("ancien@example.org", password=None)
    user.password_hash = PasswordHasher().hash(PASSWORD)  # m=65536,t=3,p=4, as before the parameters were set
    database.session.commit()
    assert operations.authenticate_user("ancien@example.org", PASSWORD) is user
    assert user.password_hash.startswith(OWASP_PREFIX)
    database.session.commit()
    database.session.expire_all()
    assert operations.authenticate_user("ancien@example.org", PASSWORD).password_hash == user.password_hash
    # A wrong password changes nothing.
    assert operations.authenticate_user("ancien@example.org", "pas le bon mot de passe") is None
    assert security.verify_password(user.password_hash, PASSWORD)


def test_a_current_hash_is_left_alone_at_login(database):
    from convention.auth import operations
    from tests.auth_fixtures import make_user

    user = make_user("actuel@example.org")
    database.session.commit()
    before = user.password_hash
    assert before.startswith(OWASP_PREFIX)
    assert operations.authenticate_user("actuel@example.org", PASSWORD) is user
    assert user.password_hash == before
