"""The keyring: one master key (environment or one 0600 file) and every secret derived from or
encrypted with it."""

import stat

import pytest
from cryptography.fernet import Fernet

from outcomelens.core import keyring


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("OUTCOMELENS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv(keyring.MASTER_KEY_ENV, raising=False)
    monkeypatch.delenv(keyring.CUBE_SECRET_ENV, raising=False)
    return tmp_path


def test_master_key_file_is_created_once_owner_only(data_dir):
    first = keyring.master_key()
    path = data_dir / "secrets" / "master_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((data_dir / "secrets").stat().st_mode) == 0o700
    assert keyring.master_key() == first == path.read_bytes().strip()
    Fernet(first)  # a valid Fernet key
    assert sorted(p.name for p in (data_dir / "secrets").iterdir()) == ["master_key"]


def test_master_key_from_the_environment_wins_and_writes_nothing(data_dir, monkeypatch):
    key = Fernet.generate_key()
    monkeypatch.setenv(keyring.MASTER_KEY_ENV, key.decode())
    assert keyring.master_key() == key
    assert not (data_dir / "secrets" / "master_key").exists()


def test_a_master_key_that_is_not_a_fernet_key_is_refused(data_dir, monkeypatch):
    monkeypatch.setenv(keyring.MASTER_KEY_ENV, "hunter2")
    with pytest.raises(keyring.KeyringError, match=keyring.MASTER_KEY_ENV):
        keyring.master_key()


def test_cube_secret_is_derived_from_the_master_key(data_dir, monkeypatch):
    monkeypatch.setenv(keyring.MASTER_KEY_ENV, Fernet.generate_key().decode())
    secret = keyring.cube_api_secret()
    assert len(secret) == 64 and int(secret, 16) >= 0
    assert keyring.cube_api_secret() == secret  # the same master key gives the same secret
    assert keyring.derive("another-purpose").hex() != secret
    monkeypatch.setenv(keyring.MASTER_KEY_ENV, Fernet.generate_key().decode())
    assert keyring.cube_api_secret() != secret
    monkeypatch.setenv(keyring.CUBE_SECRET_ENV, "explicit-cube-secret")
    assert keyring.cube_api_secret() == "explicit-cube-secret"
    assert not (data_dir / "secrets" / "cube_api_secret").exists()


def test_fernet_encrypts_with_the_master_key_and_still_reads_the_legacy_webhook_key(data_dir):
    legacy = Fernet.generate_key()
    (keyring.secrets_dir() / "alert_webhooks.key").write_bytes(legacy)
    old_row = Fernet(legacy).encrypt(b"https://hooks.slack.com/services/T/B/x")
    f = keyring.fernet()
    assert f.decrypt(old_row) == b"https://hooks.slack.com/services/T/B/x"
    new_row = f.encrypt(b"whsec")
    assert Fernet(keyring.master_key()).decrypt(new_row) == b"whsec"
