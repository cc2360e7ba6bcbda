"""Shared fixtures: a fresh data folder per test, a non-system keyring, Hypothesis profiles."""

from __future__ import annotations

import os
from pathlib import Path

import keyring
import pytest
from hypothesis import HealthCheck, settings
from keyring.backend import KeyringBackend

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# CI: few examples and a fixed seed so the run is bounded and repeatable.
# FFK_SOAK=1 turns on a long run for a developer.
settings.register_profile("ci", max_examples=15, derandomize=True, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("soak", max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck))
settings.load_profile("soak" if os.environ.get("FFK_SOAK") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


class MemoryKeyring(KeyringBackend):
    """A keyring that lives for one test: the system keyring is never touched."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        if self.secrets.pop((service, username), None) is None:
            raise PasswordDeleteError("not found")


@pytest.fixture(autouse=True)
def memory_keyring() -> MemoryKeyring:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh data folder; FFK_DATA_DIR points at it so nothing reaches the user's real data."""
    folder = tmp_path / "data"
    folder.mkdir()
    monkeypatch.setenv("FFK_DATA_DIR", str(folder))
    return folder
