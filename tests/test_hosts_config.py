"""`[hosts.NAME]` tables: loaded and checked like every section, and trusted like endpoints."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tests.fixtures.git import RepoWithRemote
from tui import config, locations, trust
from tui.errors import LoupeError, UsageError
from tui.remote import hosts
from tui.remote.hosts import HostConfig


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_a_host_table_is_loaded_with_defaults(tmp_path: Path) -> None:
    write(locations.user_config_file(), '[hosts.gpu]\nssh = "me@gpu.example.com"\nrepo = "~/src/app"\n')
    loaded = config.load(tmp_path)
    assert loaded.problems == []
    assert loaded.config.hosts == {"gpu": HostConfig(ssh="me@gpu.example.com", repo="~/src/app")}
    gpu = loaded.config.hosts["gpu"]
    assert (gpu.tmux_socket, gpu.loupe_argv(), gpu.idle_stop_minutes) == ("loupe", ["loupe"], 0)


def test_bad_values_name_file_line_and_key_and_fall_back(tmp_path: Path) -> None:
    path = write(
        locations.user_config_file(),
        "[hosts.gpu]\n"
        'ssh = "-oProxyCommand=touch /tmp/x"\n'
        'tmux_socket = "a b"\n'
        'loupe = "\'unclosed"\n'
        "idle_stop_minutes = -5\n"
        '[hosts.box]\nssh = "box"\nrepo = "a\\nb"\n',
    )
    loaded = config.load(tmp_path)
    found = {(p.key, p.line) for p in loaded.problems}
    # gpu's target is refused, so gpu has none: that is said at its header, and gpu dropped.
    assert found == {
        ("hosts.gpu.ssh", 2), ("hosts.gpu.tmux_socket", 3), ("hosts.gpu.loupe", 4),
        ("hosts.gpu.idle_stop_minutes", 5), ("hosts.box.repo", 8), ("hosts.gpu.ssh", 1),
    }
    assert all(p.file == path for p in loaded.problems)
    assert "leading '-'" in next(p.message for p in loaded.problems if p.line == 2)
    assert set(loaded.config.hosts) == {"box"}
    assert loaded.config.hosts["box"].repo == ""


def test_a_bad_or_reserved_host_name_drops_the_table(tmp_path: Path) -> None:
    write(locations.user_config_file(), '[hosts.local]\nssh = "a"\n[hosts."x y"]\nssh = "b"\n[hosts.ok]\nssh = "c"\n')
    loaded = config.load(tmp_path)
    assert set(loaded.config.hosts) == {"ok"}
    messages = {p.key: (p.line, p.message) for p in loaded.problems}
    assert messages["hosts.local"][0] == 1 and "this machine's name" in messages["hosts.local"][1]
    assert "not a usable host name" in messages["hosts.x y"][1]


def test_a_host_without_a_target_is_reported_where_it_was_defined(tmp_path: Path) -> None:
    path = write(locations.user_config_file(), '[general]\ntheme = "loupe-dark"\n\n[hosts.gpu]\nrepo = "/src"\n')
    loaded = config.load(tmp_path)
    [problem] = loaded.problems
    assert (problem.file, problem.line, problem.key) == (path, 4, "hosts.gpu.ssh")
    assert "is missing" in problem.message
    assert loaded.config.hosts == {}


def test_a_repo_config_may_add_hosts_only_once_trusted(repo: RepoWithRemote) -> None:
    text = '[hosts.evil]\nssh = "attacker.example.com"\n\n[general]\ntheme = "loupe-light"\n'
    path = write(locations.repo_config_file(repo.path), text)
    loaded = config.load(repo.path)
    assert loaded.config.hosts == {}
    assert loaded.config.general.theme == "loupe-light"
    [problem] = loaded.problems
    assert "these settings are ignored: hosts.evil" in problem.message and problem.line == 1
    trust.allow(repo.path, path.read_bytes())
    assert config.load(repo.path).config.hosts["evil"].ssh == "attacker.example.com"


def test_a_repo_config_cannot_change_a_users_host_untrusted(repo: RepoWithRemote) -> None:
    write(locations.user_config_file(), '[hosts.gpu]\nssh = "me@gpu"\nrepo = "/src/app"\n')
    write(locations.repo_config_file(repo.path), '[hosts.gpu]\nssh = "me@elsewhere"\nloupe = "sh -c evil"\n')
    gpu = config.load(repo.path).config.hosts["gpu"]
    assert (gpu.ssh, gpu.loupe) == ("me@gpu", "loupe")
    assert [s.key for s in trust.risky_settings({"hosts": {"gpu": {"ssh": "x"}}, "general": {}})] == ["hosts.gpu"]
    assert [s.key for s in trust.risky_settings({"hosts": "x"})] == ["hosts"]


def test_add_appends_a_table_to_the_user_config_and_keeps_the_rest(repo: RepoWithRemote) -> None:
    user = write(locations.user_config_file(), '# mine\n[general]\ntheme = "loupe-light"  # kept\n')
    assert hosts.add_to_user_config("gpu", "me@gpu.example.com", repo='~/src/"app"') == user
    text = user.read_text()
    assert text.startswith('# mine\n[general]\ntheme = "loupe-light"  # kept\n')
    assert tomllib.loads(text)["hosts"]["gpu"] == {"ssh": "me@gpu.example.com", "repo": '~/src/"app"'}
    assert not locations.repo_config_file(repo.path).exists()
    with pytest.raises(LoupeError, match="already in"):
        hosts.add_to_user_config("gpu", "other")
    with pytest.raises(UsageError, match="leading '-'"):
        hosts.add_to_user_config("x", "-oProxyCommand=sh")
    with pytest.raises(UsageError, match="this machine's name"):
        hosts.add_to_user_config("local", "box")
    assert config.load(repo.path).config.hosts["gpu"].repo == '~/src/"app"'


def test_add_refuses_to_touch_a_user_config_that_does_not_parse() -> None:
    user = write(locations.user_config_file(), "[general\n")
    with pytest.raises(LoupeError, match="not valid TOML"):
        hosts.add_to_user_config("gpu", "box")
    assert user.read_text() == "[general\n"
