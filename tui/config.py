"""loupe's configuration: TOML files merged over defaults.

Two files, the repo's winning over the user's:

- user: `$XDG_CONFIG_HOME/loupe/config.toml` (see `locations.user_config_file`)
- repo: `<repo>/.loupe/config.toml`, whose endpoints, keys, headers, commands, scripts,
  hooks and hosts apply only once the user trusted the file's exact content (`loupe trust`,
  `tui.trust`); until then they are ignored with a problem that names them.

A file that does not parse, an unknown key, or a value of the wrong type never stops loupe:
the problem is recorded (file, line, key, what to do) and the default is used. The app shows
the problems as notifications; the CLI prints them on stderr.

Each section is a dataclass. Adding a key means adding a field with a default and a comment;
the loader validates against the fields, so there is no second schema to keep in step.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui import locations, secrets, trust
from tui.remote import hosts as remote_hosts
from tui.remote.hosts import HostConfig


@dataclass
class GeneralConfig:
    # Where tasks live, relative to the repo root (or absolute).
    tasks_dir: str = ".loupe/tasks"
    # A theme name registered with the app: "loupe-dark", "loupe-light" or any Textual theme.
    theme: str = "loupe-dark"
    # The command `e` runs on an artifact. Empty means $VISUAL, then $EDITOR, then vi.
    editor: str = ""


@dataclass
class DocsConfig:
    """The read-only document panes (artifacts and code)."""

    # Files larger than this are not shown (open them in the editor with `e`).
    max_file_mb: int = 32
    # Seconds between checks for changes the file watcher may have missed.
    poll_seconds: float = 1.0
    # A changed section counts as read after this many seconds on screen.
    read_after_seconds: float = 2.0
    # Widest text column, in cells; wider panes centre it (long lines are hard to read).
    max_width: int = 100


@dataclass
class EndpointConfig:
    """An OpenAI-compatible endpoint. The key itself never lives in config, only its env var."""

    base_url: str = ""
    # Name of the environment variable that holds the API key.
    api_key_env: str = "OPENAI_API_KEY"
    model: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    # Shown next to the model name in the chat (e.g. "offline demo model with scripted replies").
    label: str = ""


@dataclass
class ModelsConfig:
    # Name of the endpoint new threads use; empty means the first one configured.
    default_endpoint: str = ""
    # Model used when the endpoint names none (and OPENAI_MODEL is not set).
    default_model: str = ""
    # Seconds to wait for the next bytes of a reply before giving up.
    read_timeout: float = 60.0
    # Retries for connection errors, 408, 409, 429 and 5xx (not for errors mid-stream).
    max_retries: int = 2
    # A reply (text and tool-call arguments) is stopped and saved at this many characters, so
    # a server that never stops cannot fill the memory and the disk.
    max_reply_chars: int = 1_000_000


@dataclass
class AgentKindConfig:
    """How to start one kind of coding agent in a session, and how to read its screen.

    `command` is a template: {prompt}, {worktree} and {task} are replaced, shell-quoted.
    The presets' values are in `tui/sessions/presets.toml`.
    """

    command: str = ""
    # Where status comes from first: "claude" (hooks), "codex" (notify), "opencode" (its
    # plugin), "loupe" (the built-in agent writes it), or "screen" (screen patterns only).
    status: str = "screen"
    # Regular expressions that, seen on the last `prompt_lines` lines of the screen, mean
    # "needs input". Setting this replaces the preset's patterns (the generic ones too).
    prompt_patterns: list[str] | None = None
    # Patterns added to the preset's (or to `prompt_patterns`).
    extra_prompt_patterns: list[str] = field(default_factory=list)
    # How many of the screen's last non-empty lines the patterns are tried on (0: the
    # preset's, else 1: the last line only).
    prompt_lines: int = 0
    # The agent's input prompt on the last line: queued text is typed only once it shows.
    # "" for none (typed once the screen is idle).
    ready_pattern: str | None = None
    # Stop its sessions after this many minutes idle (0: never); see tui/sessions/idle_stop.py.
    idle_stop_minutes: int = 0


DISPOSABLE = ("node_modules/", ".venv/", "__pycache__/")


@dataclass
class SessionsConfig:
    # tmux server socket name (`tmux -L <name>`); loupe never touches your default server.
    tmux_socket: str = "loupe"
    # Agent kind used when none is given.
    default_agent: str = "shell"
    # Branch or commit new worktrees start from.
    base: str = "HEAD"
    # Fetch from the remote before creating a worktree.
    fetch: bool = False
    # A script (relative to the repo root) run in each new worktree before the agent starts.
    setup_script: str = ""
    # First port handed out; each live session owns a block of 10.
    port_range_start: int = 20000
    # Preview refreshes per second for each visible tile.
    preview_fps: float = 4.0
    # Ignored paths (gitignore patterns) that removing a worktree deletes without asking or
    # saving: things anyone can rebuild. Every other ignored file counts as work.
    disposable: list[str] = field(default_factory=lambda: list(DISPOSABLE))


@dataclass
class AgentConfig:
    """loupe's built-in coding agent (`loupe agent`)."""

    endpoint: str = ""
    model: str = ""
    # "never" or "on-request" (ask before each shell command).
    approval: str = "never"
    max_turns: int = 50
    # Past this many (estimated) tokens, old tool outputs are shortened first.
    token_budget: int = 64_000
    shell_timeout_ms: int = 10_000
    output_cap_bytes: int = 1_048_576
    # Retries of a model turn that failed (error mid-stream, timeout, 5xx) before giving up.
    turn_retries: int = 2
    # Seconds before the first retry of a failed turn; doubles with each retry.
    retry_delay: float = 1.0


@dataclass
class PhaseConfig:
    """One phase's recipe, `[phases.<name>]` (see tui/phases). A key left out keeps the shipped
    recipe's value; a name that is not a shipped phase adds a phase of your own."""

    # The prompt template's file name, looked up in `<repo>/.loupe/phases/`, then the user
    # config folder's `phases/`, then loupe's own; default `<name>.md`.
    template: str = ""
    # Files of the task (relative to its folder) whose contents the prompt carries.
    inputs: list[str] | None = None
    # The artifact the phase writes, relative to the task folder ("" for none).
    output: str | None = None
    # Agent kind; empty means [sessions] default_agent.
    agent: str = ""
    # false: run in the main checkout's task folder (documents only), no new worktree.
    worktree: bool | None = None
    # A shell command run in the session's worktree when a plan phase ends; the next plan
    # phase starts only when it passes. Needs trust in a repository's config.
    checks: str | None = None
    # The plan whose `## Phase N` sections this phase implements one at a time.
    plan: str | None = None


@dataclass
class NotificationsConfig:
    """How loupe tells you that a session waits for you: once per wait, never for a redraw."""

    # Ring the terminal bell in the app.
    bell: bool = True
    # A desktop notification (notify-send on Linux, osascript on macOS), when available.
    desktop: bool = True
    # A notification through the terminal loupe runs in: "auto" (by $TERM_PROGRAM and $TERM),
    # "osc9" (iTerm2, WezTerm, Ghostty), "osc777" (foot, urxvt) or "off".
    terminal: str = "auto"
    # A command run for each wait, as an argv (never through a shell), e.g.
    # ["ntfy", "publish", "--title", "{title}", "mytopic", "{message}"]: the message is on its
    # stdin and in LOUPE_NOTIFY_* variables too. In a repository's config it needs trust.
    command: list[str] = field(default_factory=list)
    # The desktop and the command hear about one session at most this often (seconds)...
    min_interval: float = 30.0
    # ...and about all sessions together at most this many times a minute.
    per_minute: int = 6


@dataclass
class Config:
    general: GeneralConfig = field(default_factory=GeneralConfig)
    docs: DocsConfig = field(default_factory=DocsConfig)
    models: ModelsConfig = field(default_factory=ModelsConfig)
    endpoints: dict[str, EndpointConfig] = field(default_factory=dict)
    sessions: SessionsConfig = field(default_factory=SessionsConfig)
    agents: dict[str, AgentKindConfig] = field(default_factory=dict)
    agent: AgentConfig = field(default_factory=AgentConfig)
    phases: dict[str, PhaseConfig] = field(default_factory=dict)
    # Machines that run sessions over SSH (tui/remote/hosts.py).
    hosts: dict[str, HostConfig] = field(default_factory=dict)
    notifications: NotificationsConfig = field(default_factory=NotificationsConfig)


@dataclass(frozen=True)
class ConfigProblem:
    """Something wrong in a config file, precise enough to fix without guessing."""

    file: Path
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        key = f" [{self.key}]" if self.key else ""
        return f"{where}{key}: {self.message}"


@dataclass
class LoadedConfig:
    config: Config
    problems: list[ConfigProblem]
    files: list[Path]


def load(repo_root: Path | None = None) -> LoadedConfig:
    """Load defaults, then the user file, then the repo file (which wins, except for the
    settings that need trust while its content is not trusted: see `tui.trust`)."""
    files = [locations.user_config_file()]
    if repo_root is not None:
        files.append(locations.repo_config_file(repo_root))
    return load_files([f for f in files if f.is_file()], repo_root=repo_root)


def load_files(files: list[Path], *, repo_root: Path | None = None) -> LoadedConfig:
    merged: dict[str, Any] = {}
    problems: list[ConfigProblem] = []
    read: list[Path] = []
    # Where each host was last defined, to name the file of a host left without a target.
    host_files: dict[str, tuple[Path, list[str]]] = {}
    repo_file = locations.repo_config_file(repo_root) if repo_root is not None else None
    for path in files:
        loaded = _read_toml(path, problems)
        if loaded is None:
            continue
        raw, data = loaded
        read.append(path)
        lines = data.decode("utf-8", errors="replace").splitlines()
        if path == repo_file and repo_root is not None:
            raw = _trusted_part(raw, data, repo_root, path, lines, problems)
        checked = _validate(Config, raw, (), path, lines, problems)
        host_files.update((name, (path, lines)) for name in checked.get("hosts", {}))
        _deep_merge(merged, checked)
    merged["hosts"] = _hosts_with_targets(merged.get("hosts", {}), host_files, problems)
    config = _build(Config, merged)
    # The keys are in the environment variables named here: never to be stored or shown.
    secrets.remember_names(endpoint.api_key_env for endpoint in config.endpoints.values())
    secrets.remember_values(
        value for endpoint in config.endpoints.values() for value in secrets.header_secrets(endpoint.headers)
    )
    return LoadedConfig(config=config, problems=problems, files=read)


def _hosts_with_targets(hosts: dict[str, Any], files: dict[str, tuple[Path, list[str]]],
                        problems: list[ConfigProblem]) -> dict[str, Any]:
    """The merged hosts that say where to ssh; the others are reported where last defined."""
    for name in [name for name, host in hosts.items() if not host.get("ssh")]:
        file, lines = files[name]
        problems.append(ConfigProblem(file, _find_line(lines, ("hosts",), name), f"hosts.{name}.ssh",
                                      'is missing; give ssh = "user@host" (or an ssh_config alias); '
                                      "this host is ignored"))
        del hosts[name]
    return hosts


def _trusted_part(
    raw: dict[str, Any], data: bytes, repo_root: Path, path: Path, lines: list[str],
    problems: list[ConfigProblem],
) -> dict[str, Any]:
    """`raw` without the settings that need trust, unless the user trusted these bytes."""
    kept, ignored = trust.trusted_part(raw, data, repo_root)
    if ignored is not None:
        first = ignored.settings[0].path
        problems.append(ConfigProblem(path, _find_line(lines, first[:-1], first[-1]), "", ignored.message))
    return kept


def _read_toml(path: Path, problems: list[ConfigProblem]) -> tuple[dict[str, Any], bytes] | None:
    """The parsed file and its bytes (read once: trust is given to exactly these bytes)."""
    try:
        data = path.read_bytes()
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(ConfigProblem(path, None, "", f"cannot read the file ({exc}); using defaults"))
        return None
    try:
        return tomllib.loads(text), data
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"at line (\d+)", str(exc))
        line = int(match.group(1)) if match else None
        problems.append(
            ConfigProblem(path, line, "", f"invalid TOML: {exc}; this file is ignored, using defaults")
        )
        return None


def _validate(
    cls: type,
    raw: dict[str, Any],
    path: tuple[str, ...],
    file: Path,
    lines: list[str],
    problems: list[ConfigProblem],
) -> dict[str, Any]:
    """Keep the keys of `raw` that `cls` knows and whose values have the right type."""
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    out: dict[str, Any] = {}
    for key, value in raw.items():
        dotted = ".".join((*path, key))
        if key not in known:
            suggestion = _closest(key, known)
            hint = f" (did you mean '{suggestion}'?)" if suggestion else ""
            problems.append(
                ConfigProblem(file, _find_line(lines, path, key), dotted, f"unknown key{hint}; it is ignored")
            )
            continue
        expected = hints[key]
        checked = _check_value(expected, value, (*path, key), file, lines, problems)
        if checked is not _INVALID and (*path, key) in _PATTERN_LISTS:
            checked = _check_patterns(checked, (*path, key), file, lines, problems)
        if checked is not _INVALID:
            out[key] = checked
    if cls is HostConfig:
        return _check_host(out, path, file, lines, problems)
    return out


def _check_host(values: dict[str, Any], path: tuple[str, ...], file: Path, lines: list[str],
                problems: list[ConfigProblem]) -> Any:
    """A host's values without the bad ones (`_INVALID` when its name itself is bad)."""
    for key, message in remote_hosts.problems(path[-1], values):
        line = _find_line(lines, path, key) if key else _find_line(lines, path[:-1], path[-1])
        problems.append(ConfigProblem(file, line, ".".join((*path, key) if key else path), message))
        if not key:
            return _INVALID
        values.pop(key, None)
    return values


# Keys holding gitignore patterns, which git reads one per line.
_PATTERN_LISTS = {("sessions", "disposable")}


def _check_patterns(patterns: list[str], path: tuple[str, ...], file: Path, lines: list[str],
                    problems: list[ConfigProblem]) -> object:
    bad = [p for p in patterns if not p.strip() or "\n" in p or "\r" in p or p.startswith("!")]
    if not bad:
        return patterns
    problems.append(ConfigProblem(
        file, _find_line(lines, path[:-1], path[-1]), ".".join(path),
        f"{bad[0]!r} is not a usable gitignore pattern (blank, several lines, or a '!' "
        "exception); write one path pattern per entry, e.g. \"build/\"; using the default"))
    return _INVALID


_INVALID = object()


def _check_value(
    expected: Any,
    value: Any,
    path: tuple[str, ...],
    file: Path,
    lines: list[str],
    problems: list[ConfigProblem],
) -> Any:
    origin = typing.get_origin(expected)
    args = typing.get_args(expected)
    if origin in (typing.Union, types.UnionType) and type(None) in args:
        # TOML has no null: a value given is always of the other type.
        inner = next(arg for arg in args if arg is not type(None))
        return _check_value(inner, value, path, file, lines, problems)

    def bad(what: str) -> object:
        problems.append(
            ConfigProblem(
                file,
                _find_line(lines, path[:-1], path[-1]),
                ".".join(path),
                f"expected {what}, got {type(value).__name__} {value!r}; using the default",
            )
        )
        return _INVALID

    if origin is types.UnionType and type(None) in args:
        # "Unset" is None; TOML has no null, so a value in a file is always the other type.
        (expected,) = [arg for arg in args if arg is not type(None)]
        return _check_value(expected, value, path, file, lines, problems)
    if dataclasses.is_dataclass(expected):
        if not isinstance(value, dict):
            return bad("a table")
        return _validate(expected, value, path, file, lines, problems)
    if origin is dict:
        if not isinstance(value, dict):
            return bad("a table")
        value_type = args[1]
        out = {}
        for name, item in value.items():
            checked = _check_value(value_type, item, (*path, str(name)), file, lines, problems)
            if checked is not _INVALID:
                out[str(name)] = checked
        return out
    if origin is list:
        if not isinstance(value, list) or not all(isinstance(v, args[0]) for v in value):
            return bad(f"a list of {args[0].__name__}")
        return list(value)
    if expected is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return bad("a number")
        return float(value)
    if expected is int:
        if isinstance(value, bool) or not isinstance(value, int):
            return bad("an integer")
        return value
    if expected is bool:
        if not isinstance(value, bool):
            return bad("true or false")
        return value
    if expected is str:
        if not isinstance(value, str):
            return bad("a string")
        return value
    return value


def _deep_merge(into: dict[str, Any], new: dict[str, Any]) -> None:
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _deep_merge(into[key], value)
        else:
            into[key] = value


def _build(cls: type, data: dict[str, Any]) -> Any:
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            continue
        expected = hints[f.name]
        value = data[f.name]
        if dataclasses.is_dataclass(expected):
            kwargs[f.name] = _build(expected, value)
        elif typing.get_origin(expected) is dict and dataclasses.is_dataclass(typing.get_args(expected)[1]):
            item_cls = typing.get_args(expected)[1]
            kwargs[f.name] = {name: _build(item_cls, item) for name, item in value.items()}
        else:
            kwargs[f.name] = value
    return cls(**kwargs)


def _find_line(lines: list[str], section: tuple[str, ...], key: str) -> int | None:
    """Best-effort line number of `key` inside `[section]`, for messages only."""
    key_re = re.compile(rf'^\s*["\']?{re.escape(key)}["\']?\s*=')
    header = ".".join(section)
    in_section = not section
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            name = stripped.strip("[] ")
            in_section = name == header
            # A key given as a sub-table header, e.g. [agents.claude] inside [agents].
            if section and name == f"{header}.{key}":
                return number
            if not section and name.split(".")[0] == key:
                return number
            continue
        if in_section and key_re.match(line):
            return number
    for number, line in enumerate(lines, start=1):
        if key_re.match(line):
            return number
    return None


def _closest(word: str, candidates: set[str]) -> str | None:
    import difflib

    matches = difflib.get_close_matches(word, sorted(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def set_user_value(section: str, key: str, value: str) -> Path:
    """Write one string value into the user config file, keeping everything else as it is.

    Used to remember choices made in the app (the theme). Comments and layout survive
    because only the one line is replaced or added.
    """
    path = locations.user_config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    new_line = f"{key} = {_toml_string(value)}"
    key_re = re.compile(rf"^\s*{re.escape(key)}\s*=")
    section_start = None
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("["):
            if section_start is not None:
                lines.insert(index, new_line)
                break
            if stripped.strip("[] ") == section:
                section_start = index
            continue
        if section_start is not None and key_re.match(line):
            lines[index] = new_line
            break
    else:
        if section_start is None:
            if lines and lines[-1].strip():
                lines.append("")
            lines.append(f"[{section}]")
        lines.append(new_line)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _toml_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
