"""`--approval on-request`: ask in the terminal before each shell command.

While it waits, the status is needs-input, so the session grid shows NEEDS YOU. Answers:
y (run it), n (decline; the model is told not to retry), a (run this and every later
command of this run). No answer (stdin closed) declines, so an agent without a terminal never
runs a command nobody approved.
"""

from __future__ import annotations

import shlex
import sys
from typing import TextIO

from tui.agent.status import StatusReporter
from tui.agent.transcript import Transcript


class TerminalApprover:
    def __init__(self, transcript: Transcript, status: StatusReporter, stdin: TextIO | None = None) -> None:
        self.transcript = transcript
        self.status = status
        self.stdin = stdin if stdin is not None else sys.stdin
        self.approve_all = False

    def __call__(self, argv: list[str], workdir: str) -> bool:
        if self.approve_all:
            return True
        command = shlex.join(argv)
        where = "" if workdir == "." else f" in {workdir}"
        self.status.needs_input("approval", detail=f"run {command}{where}?")
        try:
            while True:
                self.transcript.ask(f"Run `{command}`{where}? [y]es / [n]o / [a]lways: ")
                answer = self.stdin.readline()
                if not answer:
                    self.transcript.notice("no answer (input closed): declined")
                    return False
                choice = answer.strip().lower()
                if choice in ("y", "yes"):
                    return True
                if choice in ("a", "always"):
                    self.approve_all = True
                    return True
                if choice in ("n", "no", ""):
                    return False
        finally:
            self.status.working("approval-answered")
