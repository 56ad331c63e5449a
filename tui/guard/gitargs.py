"""Read a git command line the way git itself reads it.

Three readers, each a port of the git 2.39 C code it names, because a guard that reads
argv differently from git can be walked around (`--mir`, `-uf`, `-c alias.x=...`):

- `split_globals`: git.c `handle_options`, the options before the subcommand;
- `parse_push`: parse-options.c for `git push`'s option table (unique-prefix abbreviations,
  `--no-` negations, bundled short flags, `-o` taking the rest of its bundle);
- `split_cmdline`: alias.c, how a plain alias's value becomes words.

Standard library only, no regular expressions: this module is copied into each guard install
and runs in a Python started with `-IS` on every push.
"""

from __future__ import annotations

# Options before the subcommand that take the next word as their value (git.c).
GLOBAL_WITH_VALUE = frozenset(
    {"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--config-env", "--super-prefix", "--shallow-file"}
)
# The same options written as --name=value.
GLOBAL_WITH_EQUALS = ("--git-dir=", "--work-tree=", "--namespace=", "--config-env=", "--super-prefix=", "--list-cmds=")
GLOBAL_FLAGS = frozenset(
    {
        "-p", "--paginate", "-P", "--no-pager", "--no-replace-objects", "--bare",
        "--literal-pathspecs", "--no-literal-pathspecs", "--glob-pathspecs", "--noglob-pathspecs",
        "--icase-pathspecs", "--no-optional-locks", "--exec-path", "--html-path", "--man-path",
        "--info-path",
    }
)
# These end option parsing and become the command ("git --help push" is "git help push").
GLOBAL_AS_COMMAND = {"-h": "help", "--help": "help", "-v": "version", "--version": "version"}


class CommandLine:
    """A git argv split into global options, the subcommand and its arguments."""

    __slots__ = ("globals", "command", "args", "exec_path", "unknown_options")

    def __init__(self) -> None:
        self.globals: list[str] = []
        self.command: str | None = None
        self.args: list[str] = []
        # `--exec-path=DIR` moves where git finds `git` for nested commands, which would let
        # them skip the guard's shim.
        self.exec_path: str | None = None
        # Options git 2.39 does not know: it stops with "unknown option". A newer git may know
        # them, so they are read as flags and the rest is still checked, never waved through.
        self.unknown_options: list[str] = []


def split_globals(argv: list[str], *, unknown_takes_value: bool = False) -> CommandLine:
    """Split like git.c; an option git 2.39 does not know is read as a flag, or with
    `unknown_takes_value` as taking the next word (callers check both readings)."""
    line = CommandLine()
    index = 0
    while index < len(argv):
        word = argv[index]
        if word in GLOBAL_AS_COMMAND:
            line.command = GLOBAL_AS_COMMAND[word]
            line.args = argv[index + 1 :]
            return line
        if not word.startswith("-"):
            line.command = word
            line.args = argv[index + 1 :]
            return line
        if word in GLOBAL_WITH_VALUE:
            if index + 1 >= len(argv):
                return line  # git: "-C expects a value"; no command runs
            line.globals += [word, argv[index + 1]]
            index += 2
            continue
        if word.startswith("--exec-path="):
            line.exec_path = word[len("--exec-path=") :]
        elif not (word in GLOBAL_FLAGS or word.startswith(GLOBAL_WITH_EQUALS)):
            line.unknown_options.append(word)
            if unknown_takes_value and "=" not in word and index + 1 < len(argv):
                line.globals += [word, argv[index + 1]]
                index += 2
                continue
        line.globals.append(word)
        index += 1
    return line


class SplitError(ValueError):
    """An alias value git itself refuses to split (unclosed quote, trailing backslash)."""


def split_cmdline(text: str) -> list[str]:
    """alias.c `split_cmdline`: whitespace splits, quotes group, backslash escapes outside ''."""
    words: list[str] = []
    current: list[str] = []
    quoted = ""
    index = 0
    while index < len(text):
        char = text[index]
        if not quoted and char.isspace():
            words.append("".join(current))
            current = []
            while index + 1 < len(text) and text[index + 1].isspace():
                index += 1
        elif not quoted and char in "'\"":
            quoted = char
        elif char == quoted:
            quoted = ""
        else:
            if char == "\\" and quoted != "'":
                index += 1
                if index >= len(text):
                    raise SplitError("alias ends with a backslash")
                char = text[index]
            current.append(char)
        index += 1
    if quoted:
        raise SplitError("alias has an unclosed quote")
    words.append("".join(current))
    return words


def parse_bool(value: str | None) -> bool:
    """git's boolean config values; anything git would reject counts as true (the safe side)."""
    if value is None:
        return True
    lowered = value.strip().lower()
    if lowered in ("true", "yes", "on"):
        return True
    if lowered in ("false", "no", "off", ""):
        return False
    try:
        return int(lowered, 0) != 0
    except ValueError:
        return True


# --- git push's options, as in builtin/push.c (git 2.39) -------------------------------------

FLAG, STRING, OPTARG = "flag", "string", "optarg"

# (short, long, kind). Order matters: it decides which abbreviation is reported ambiguous.
PUSH_OPTIONS: tuple[tuple[str | None, str, str], ...] = (
    ("v", "verbose", FLAG),
    ("q", "quiet", FLAG),
    (None, "repo", STRING),
    (None, "all", FLAG),
    (None, "mirror", FLAG),
    ("d", "delete", FLAG),
    (None, "tags", FLAG),
    ("n", "dry-run", FLAG),
    (None, "porcelain", FLAG),
    ("f", "force", FLAG),
    (None, "force-with-lease", OPTARG),
    (None, "force-if-includes", FLAG),
    (None, "recurse-submodules", STRING),
    (None, "thin", FLAG),
    (None, "receive-pack", STRING),
    (None, "exec", STRING),
    ("u", "set-upstream", FLAG),
    (None, "progress", FLAG),
    (None, "prune", FLAG),
    (None, "no-verify", FLAG),
    (None, "follow-tags", FLAG),
    (None, "signed", OPTARG),
    (None, "atomic", FLAG),
    ("o", "push-option", STRING),
    ("4", "ipv4", FLAG),
    ("6", "ipv6", FLAG),
)
# Options the guard must see even when git would not accept the spelling: an argument that
# could be one of these and that this reader cannot resolve is refused rather than passed on.
SENSITIVE = ("no-verify", "mirror", "receive-pack", "exec")


class PushArgs:
    """What a `git push` argv means, as far as the guard cares."""

    __slots__ = ("no_verify", "mirror", "dry_run", "receive_pack", "repo", "positionals", "unresolved")

    def __init__(self) -> None:
        self.no_verify = False
        self.mirror = False
        self.dry_run = False
        self.receive_pack: str | None = None
        self.repo: str | None = None
        self.positionals: list[str] = []
        # The first option git would reject (unknown, ambiguous, missing value): git stops
        # there and pushes nothing.
        self.unresolved: str | None = None

    @property
    def target(self) -> str | None:
        """The repository argument: the first positional wins over --repo, as in push.c."""
        return self.positionals[0] if self.positionals else self.repo


class _Ambiguous(Exception):
    pass


def _match_long(arg: str) -> tuple[str, str, bool, str | None] | None:
    """parse-options.c `parse_long_opt`: (long name, kind, unset, value) or None if unknown.

    `arg` is the word without its leading "--". Raises _Ambiguous like git does.
    """
    equals = arg.find("=")
    arg_end = len(arg) if equals < 0 else equals
    abbrev: tuple[str, str, bool] | None = None
    abbrev_value: str | None = None
    ambiguous = False
    for _short, option_name, kind in PUSH_OPTIONS:
        long_name = option_name
        unset = False  # `flags` in C: the user wrote "no-"
        opt_unset = False  # `opt_flags` in C: the option's own name starts with "no-"
        while True:  # the C code's `again:` label
            rest: str | None = arg[len(long_name) :] if arg.startswith(long_name) else None
            abbreviated = False
            if rest is None:
                if long_name.startswith(arg[:arg_end]):
                    abbreviated = True
                elif "no-".startswith(arg):  # negated and abbreviated very much
                    unset = True
                    abbreviated = True
                elif not arg.startswith("no-"):
                    if long_name.startswith("no-"):
                        long_name = long_name[3:]
                        opt_unset = True
                        continue
                    break
                else:
                    unset = True
                    if arg[3:].startswith(long_name):
                        rest = arg[3 + len(long_name) :]
                    elif long_name.startswith(arg[3:]):
                        abbreviated = True
                    else:
                        break
            if abbreviated:
                if abbrev is not None:
                    ambiguous = True
                if not unset and equals >= 0:
                    abbrev_value = arg[equals + 1 :]
                abbrev = (option_name, kind, unset != opt_unset)
                break
            assert rest is not None
            if rest:
                if rest[0] != "=":
                    break
                return option_name, kind, unset != opt_unset, rest[1:]
            return option_name, kind, unset != opt_unset, None
    if ambiguous:
        raise _Ambiguous(arg)
    if abbrev is not None:
        return abbrev[0], abbrev[1], abbrev[2], abbrev_value
    return None


def _apply(result: PushArgs, name: str, unset: bool, value: str | None) -> None:
    if name == "no-verify":
        result.no_verify = not unset
    elif name == "mirror":
        result.mirror = not unset
    elif name == "dry-run":
        result.dry_run = not unset
    elif name in ("receive-pack", "exec"):
        result.receive_pack = None if unset else value
    elif name == "repo":
        result.repo = None if unset else value


def _could_be_sensitive(arg: str) -> bool:
    name = arg.split("=", 1)[0]
    return any(candidate.startswith(name) for candidate in SENSITIVE)


def parse_push(args: list[str]) -> PushArgs:
    """Read `git push` arguments like parse-options does (flags: 0, so options may follow
    positionals); stops at the first argument git would reject."""
    result = PushArgs()
    index = 0
    while index < len(args):
        word = args[index]
        index += 1
        if word in ("--", "--end-of-options"):
            result.positionals += args[index:]
            break
        if word.startswith("--"):
            try:
                match = _match_long(word[2:])
            except _Ambiguous:
                match = None
            if match is None:
                result.unresolved = word
                return result
            name, kind, unset, value = match
            if kind == FLAG and value is not None:
                result.unresolved = word
                return result
            if kind == STRING and not unset and value is None:
                if index >= len(args):
                    result.unresolved = word
                    return result
                value = args[index]
                index += 1
            _apply(result, name, unset, value)
        elif word.startswith("-") and word != "-":
            position = 1
            while position < len(word):
                letter = word[position]
                found = next((o for o in PUSH_OPTIONS if o[0] == letter), None)
                if found is None:
                    result.unresolved = word
                    return result
                _short, name, kind = found
                if kind == STRING:
                    value = word[position + 1 :]
                    if not value:
                        if index >= len(args):
                            result.unresolved = word
                            return result
                        value = args[index]
                        index += 1
                    _apply(result, name, False, value)
                    break
                _apply(result, name, False, None)
                position += 1
        else:
            result.positionals.append(word)
    return result


def unresolved_is_sensitive(push: PushArgs) -> bool:
    """True when git rejected-or-not, the unresolved word might mean a refused option."""
    word = push.unresolved
    return bool(word and word.startswith("--") and _could_be_sensitive(word[2:]))
