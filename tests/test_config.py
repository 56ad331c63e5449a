from __future__ import annotations

from pathlib import Path

from tui import config, locations, trust


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_defaults_without_files(tmp_path: Path) -> None:
    loaded = config.load(tmp_path)
    assert loaded.problems == []
    assert loaded.config.general.tasks_dir == ".loupe/tasks"
    assert loaded.config.general.theme == "loupe-dark"
    assert loaded.files == []


def test_repo_file_wins_over_user_file(tmp_path: Path) -> None:
    write(locations.user_config_file(), '[general]\ntheme = "loupe-light"\neditor = "nano"\n')
    write(tmp_path / ".loupe/config.toml", '[general]\ntheme = "textual-dark"\n')
    loaded = config.load(tmp_path)
    assert loaded.problems == []
    assert loaded.config.general.theme == "textual-dark"
    assert loaded.config.general.editor == "nano"
    assert len(loaded.files) == 2


def test_tables_of_endpoints_merge_by_name(tmp_path: Path) -> None:
    write(
        locations.user_config_file(),
        '[endpoints.local]\nbase_url = "http://a/v1"\nmodel = "m1"\n'
        '[endpoints.other]\nbase_url = "http://b/v1"\n',
    )
    repo_file = write(tmp_path / ".loupe/config.toml", '[endpoints.local]\nmodel = "m2"\n')
    # Endpoints in a repository's config need the user's trust (tests/test_trust.py).
    trust.allow(tmp_path, repo_file.read_bytes())
    cfg = config.load(tmp_path).config
    assert cfg.endpoints["local"].base_url == "http://a/v1"
    assert cfg.endpoints["local"].model == "m2"
    assert cfg.endpoints["other"].api_key_env == "OPENAI_API_KEY"


def test_invalid_toml_names_file_and_line_and_keeps_defaults(tmp_path: Path) -> None:
    bad = write(tmp_path / ".loupe/config.toml", '[general]\ntheme = "x"\ntasks_dir = \n')
    loaded = config.load(tmp_path)
    assert loaded.config.general.theme == "loupe-dark"
    [problem] = loaded.problems
    assert problem.file == bad
    assert problem.line == 3
    assert "invalid TOML" in str(problem)
    assert str(bad) in str(problem)


def test_unknown_key_names_file_line_key_and_suggests(tmp_path: Path) -> None:
    bad = write(
        tmp_path / ".loupe/config.toml",
        '# comment\n[general]\ntheme = "loupe-light"\n\n[sessions]\ntmux_sockt = "x"\n',
    )
    loaded = config.load(tmp_path)
    assert loaded.config.general.theme == "loupe-light"
    [problem] = loaded.problems
    assert (problem.file, problem.line, problem.key) == (bad, 6, "sessions.tmux_sockt")
    assert "tmux_socket" in problem.message
    assert f"{bad}:6 [sessions.tmux_sockt]" in str(problem)


def test_unknown_section_is_reported(tmp_path: Path) -> None:
    write(tmp_path / ".loupe/config.toml", "[genral]\ntheme = 1\n")
    [problem] = config.load(tmp_path).problems
    assert problem.key == "genral"
    assert problem.line == 1


def test_wrong_type_is_reported_and_default_kept(tmp_path: Path) -> None:
    write(tmp_path / ".loupe/config.toml", "[models]\nmax_retries = \"three\"\nread_timeout = 5\n")
    loaded = config.load(tmp_path)
    assert loaded.config.models.max_retries == 2
    assert loaded.config.models.read_timeout == 5.0
    [problem] = loaded.problems
    assert problem.key == "models.max_retries"
    assert problem.line == 2
    assert "expected an integer" in problem.message


def test_set_user_value_keeps_comments_and_other_keys() -> None:
    path = write(
        locations.user_config_file(),
        '# my settings\n[general]\neditor = "vim"  # keep\ntheme = "loupe-dark"\n\n[models]\nmax_retries = 4\n',
    )
    config.set_user_value("general", "theme", "loupe-light")
    text = path.read_text()
    assert "# my settings" in text
    assert 'editor = "vim"  # keep' in text
    assert 'theme = "loupe-light"' in text
    assert "max_retries = 4" in text
    assert config.load(None).config.general.theme == "loupe-light"


def test_set_user_value_creates_file_and_section() -> None:
    config.set_user_value("general", "theme", 'odd"name')
    assert config.load(None).config.general.theme == 'odd"name'


def test_disposable_patterns_default_and_validation(tmp_path: Path) -> None:
    assert config.load(tmp_path).config.sessions.disposable == ["node_modules/", ".venv/", "__pycache__/"]
    write(tmp_path / ".loupe/config.toml", '[sessions]\ndisposable = ["target/", "*.o"]\n')
    assert config.load(tmp_path).config.sessions.disposable == ["target/", "*.o"]
    write(tmp_path / ".loupe/config.toml", '[sessions]\ndisposable = ["target/", "!keep/"]\n')
    loaded = config.load(tmp_path)
    assert loaded.config.sessions.disposable == ["node_modules/", ".venv/", "__pycache__/"]
    [problem] = loaded.problems
    assert (problem.key, problem.line) == ("sessions.disposable", 2)
    assert "'!keep/'" in problem.message
