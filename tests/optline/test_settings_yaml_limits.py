"""Every settings file is read within the manifests' limits (optline.intake.manifest's
`read_limited_yaml`: no anchors or aliases, 64 KiB, depth 10, 4,096-character strings): the
access settings, the messaging settings, the notification settings, the quiet-hours policy and
the revocation phrase file. A hostile file (a "billion laughs" of nested aliases, a deep nest,
a huge string, an oversized file) is refused at once with the reader's own error, naming the
file; the shipped files still load."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from optline.access import AccessConfigError, load_access
from optline.config import PROJECT_DIR, ConfigError
from optline.consent.keywords import RevocationConfigError, load_revocation
from optline.contacts.policy import PolicyError
from optline.messaging.quiethours import load_policy
from optline.messaging.settings import load_config
from optline.reports.notices import NotificationConfigError, load_settings


def _access(path: Path, monkeypatch: pytest.MonkeyPatch) -> object:
    monkeypatch.setenv("OPTLINE_ACCESS_CONFIG", str(path))
    return load_access()


# reader -> (how to read a file with it, the error it raises, a shipped file it reads)
READERS: dict[str, tuple[Callable[[Path, pytest.MonkeyPatch], object], type[Exception], Path]] = {
    "access": (_access, AccessConfigError, PROJECT_DIR / "config" / "access.yaml"),
    "messaging": (lambda p, _: load_config(p), ConfigError, PROJECT_DIR / "config" / "messaging.yaml"),
    "notifications": (lambda p, _: load_settings(p), NotificationConfigError,
                      PROJECT_DIR / "config" / "notifications.yaml"),
    "quiet_hours": (lambda p, _: load_policy(p), PolicyError,
                    PROJECT_DIR / "expectations" / "policies" / "quiet_hours.yaml"),
    "revocation": (lambda p, _: load_revocation(p), RevocationConfigError,
                   PROJECT_DIR / "expectations" / "policies" / "revocation.yaml"),
}


def billion_laughs(top_key: str) -> str:
    """Nine levels of nine aliases each: a few hundred bytes that stand for 9**9 strings."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 10):
        refs = ", ".join([f"*l{level - 1}"] * 9)
        lines.append(f"l{level}: &l{level} [{refs}]")
    lines.append(f"{top_key}: *l9")
    return "\n".join(lines) + "\n"


TOP_KEY = {"access": "review", "messaging": "provider", "notifications": "events", "quiet_hours": "default",
           "revocation": "words"}


def _refused(reader: str, path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Exception, float]:
    read, error, _ = READERS[reader]
    started = time.perf_counter()
    with pytest.raises(error) as refused:
        read(path, monkeypatch)
    return refused.value, time.perf_counter() - started


@pytest.mark.parametrize("reader", READERS)
def test_a_billion_laughs_settings_file_is_refused_at_once_naming_the_file(reader, tmp_path, monkeypatch):
    path = tmp_path / f"hostile_{reader}.yaml"
    path.write_text(billion_laughs(TOP_KEY[reader]), encoding="utf-8")
    assert path.stat().st_size < 1024
    error, seconds = _refused(reader, path, monkeypatch)
    assert path.name in str(error) and "line 1" in str(error) and "anchor" in str(error)
    assert seconds < 1.0


@pytest.mark.parametrize("reader", READERS)
def test_a_settings_file_nested_too_deep_is_refused(reader, tmp_path, monkeypatch):
    path = tmp_path / f"deep_{reader}.yaml"
    path.write_text(f"{TOP_KEY[reader]}: " + "[" * 50 + "]" * 50 + "\n", encoding="utf-8")
    error, _ = _refused(reader, path, monkeypatch)
    assert path.name in str(error) and "nested more than 10 levels" in str(error)


@pytest.mark.parametrize("reader", READERS)
def test_a_settings_file_with_a_huge_value_is_refused_without_showing_it(reader, tmp_path, monkeypatch):
    path = tmp_path / f"long_{reader}.yaml"
    path.write_text(f"{TOP_KEY[reader]}: {'x' * 5000}\n", encoding="utf-8")
    error, _ = _refused(reader, path, monkeypatch)
    assert path.name in str(error) and "5,000 characters long" in str(error) and "xxxx" not in str(error)


@pytest.mark.parametrize("reader", READERS)
def test_an_oversized_settings_file_is_refused_unread(reader, tmp_path, monkeypatch):
    path = tmp_path / f"big_{reader}.yaml"
    path.write_text("# padding\n" * 20_000, encoding="utf-8")  # 200 KB of comments
    error, _ = _refused(reader, path, monkeypatch)
    assert path.name in str(error) and "larger than 64 KiB" in str(error)


@pytest.mark.parametrize("reader", READERS)
def test_the_shipped_settings_file_still_loads(reader, tmp_path, monkeypatch):
    read, _, shipped = READERS[reader]
    copy = tmp_path / shipped.name
    shutil.copy(shipped, copy)
    assert read(copy, monkeypatch) is not None


@pytest.mark.parametrize("name", ["default", "alcohol", "demo"])
def test_the_shipped_contact_policies_still_load(name):
    from optline.contacts.policy import load_policy as load_contact_policy

    assert load_contact_policy(name) is not None
