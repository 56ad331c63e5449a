"""Phases you can run: each step of a task's workflow as an agent session (issue 14).

Plain Python (no textual), shared by the app and `loupe task`:

- `recipes`: what each phase reads, writes and runs with (`[phases.<name>]` in config),
  and a task's next phase;
- `templates`: prompt templates (markdown files a repository or user can override) and
  their placeholders;
- `prompt`: `prepare` a phase: its inputs read (only those), its exact prompt rendered;
- `launch`: `start_phase`, the session started with its phase and artifact recorded;
- `contested`: which live sessions write which artifact, and the warning before a second;
- `plan`, `runs`, `runner`: a plan's `## Phase N` sections, run one session after another;
- `timeline`: a task's sessions, threads, artifacts (and who wrote them) and review rounds;
- `lookup`: finding a task by name or folder; `demo`: the demo's agent kind;
- `run_cli`: `loupe task run` (the rest of `loupe task` is `tui.task_cli`); `cli_common`: what
  the two share (the command's context, JSON and terminal output).
"""
