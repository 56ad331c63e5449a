"""Phases in the app (Pilot): the run-phase dialog, the task view's timeline, the plan run
moving on by itself, and the contested-file warning; real tmux, real git, scripted agents."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.phases import QUESTIONS, RESEARCHER, TICKET
from tests.fixtures.sessions import SessionsHarness
from tests.helpers import run_command, shows, wait_until
from tests.test_phases_demo import demo_manager  # noqa: F401 - a fixture: the demo's sessions, removed after
from tests.test_phases_sessions import PHASE_AGENT, PLAN
from tui.app import LoupeApp
from tui.config import AgentKindConfig, PhaseConfig
from tui.dialogs.run_phase import START_ANYWAY, RUN_WHOLE, RunPhaseScreen
from tui.messages import OpenPath, OpenTask, RunPhase
from tui.sessions.status_file import State
from tui.views.artifact import ArtifactDocument
from tui.views.task_view import TaskDocument
from tui.workspace import open_workspace
from widgets.artifact_pane import ArtifactPane
from widgets.session_tile import SessionTile
from widgets.task_list import TaskList

pytestmark = pytest.mark.slow

TASKS = Path(".loupe/tasks")
SIZE = (160, 48)


def make_app(sessions: SessionsHarness, files: dict[str, str], *, phases: dict[str, PhaseConfig] | None = None,
             slug: str = "stats") -> tuple[LoupeApp, Path]:
    folder = sessions.repo.path / TASKS / slug
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    scripts = sessions.scripts
    (scripts / "researcher.sh").write_text(RESEARCHER)
    (scripts / "phase-agent.sh").write_text(PHASE_AGENT)
    workspace = open_workspace(sessions.repo.path)
    config = workspace.config
    config.sessions.tmux_socket = sessions.socket
    config.sessions.default_agent = "researcher"
    config.agents["researcher"] = AgentKindConfig(command=f"sh {scripts / 'researcher.sh'} {{prompt}}")
    # Typed its prompt once idle (it takes none on its command line): it must stay alive after,
    # or on a slow machine a writer that got its prompt early has ended before it is counted.
    config.agents["waiter"] = AgentKindConfig(command="sh -c 'echo waiting; while read answer; do :; done'")
    config.agents["phase-agent"] = AgentKindConfig(command=f"sh {scripts / 'phase-agent.sh'} {{prompt}}")
    config.agents["ghost"] = AgentKindConfig(command="no-such-agent-xyz {prompt}")
    config.phases.update(phases or {})
    return LoupeApp(workspace, remember_theme=False), folder


async def open_dialog(app: LoupeApp, pilot, folder: Path, phase: str | None = None) -> RunPhaseScreen:  # noqa: ANN001
    app.screen_stack[0].post_message(RunPhase(folder, phase))
    await wait_until(pilot, lambda: shows(app, RunPhaseScreen), "the run-phase dialog")
    dialog = app.screen
    assert isinstance(dialog, RunPhaseScreen)
    await dialog_ready(pilot, dialog)
    return dialog


async def dialog_from_task_list(app: LoupeApp, pilot, folder: Path) -> RunPhaseScreen:  # noqa: ANN001
    """Highlight the task in the list and press ctrl+r, as a user does; the dialog, read."""
    task_list = app.screen_stack[0].query_one(TaskList)
    await wait_until(pilot, lambda: task_list.select_path(folder), "the task in the list")
    task_list.rows.focus()
    await pilot.press("ctrl+r")
    await wait_until(pilot, lambda: shows(app, RunPhaseScreen), "the dialog from ctrl+r")
    dialog = app.screen
    assert isinstance(dialog, RunPhaseScreen)
    await dialog_ready(pilot, dialog)
    return dialog


async def dialog_ready(pilot, dialog: RunPhaseScreen) -> None:  # noqa: ANN001
    await wait_until(pilot, lambda: dialog.ready is not None or dialog.query_one("#error").has_class("-shown"),
                     "the phase to be read", timeout=30)


def app_state(app: LoupeApp, session_id: str) -> State:
    """The session's state as the app's own manager (the one the plan runner asks) sees it."""
    manager = app.services.sessions.manager
    assert manager is not None
    return next(s.state for s in manager.poll(set()) if s.session.id == session_id)


def error_of(dialog: RunPhaseScreen) -> str:
    return str(dialog.query_one("#error").render())


async def test_research_from_the_task_list_sends_the_questions_and_its_artifact_joins_the_timeline(
    sessions: SessionsHarness,
) -> None:
    app, folder = make_app(sessions, {"ticket.md": TICKET, "01-research-questions.md": QUESTIONS})
    async with app.run_test(size=SIZE) as pilot:
        task_list = app.screen_stack[0].query_one(TaskList)
        dialog = await dialog_from_task_list(app, pilot, folder)
        assert dialog.ready is not None and dialog.ready.phase == "research"
        prompt = dialog.query_one("#prompt").text
        assert "Where are the counts computed?" in prompt
        assert "SECRET-PLAN" not in prompt and "ticket.md" not in prompt
        # The user's edit is what the agent gets.
        dialog.query_one("#prompt").load_text(prompt + "\nEDITED-BY-USER\n")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, RunPhaseScreen), "the dialog to close", timeout=30)

        (session,) = sessions.manager.sessions()
        assert (session.phase, session.output, session.in_place) == ("research", "02-research.md", True)
        assert "EDITED-BY-USER" in session.prompt and "SECRET-PLAN" not in session.prompt
        artifact = folder / "02-research.md"
        await wait_until(pilot, lambda: artifact.is_file() and "EDITED-BY-USER" in artifact.read_text(),
                         "the research artifact, written from the prompt", timeout=30)

        # The tile says which phase it runs and how its prompt began.
        await wait_until(pilot, lambda: app.screen_stack[0].query(SessionTile), "the session's tile", timeout=30)
        tile = app.screen_stack[0].query_one(SessionTile)
        assert "research" in tile.border_title and "You are doing **research**" in tile.border_title

        # The task list row says a session runs on the task.
        await wait_until(pilot, lambda: "1 live: research" in task_list._activity.get(folder, ""),
                         "the task row's live session")

        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: app.screen_stack[0].query(TaskDocument), "the task view")
        view = app.screen_stack[0].query_one(TaskDocument)

        def linked() -> bool:
            built = view.built
            return built is not None and any(
                e.title == "02-research.md" and [w.session_id for w in e.writers] == [session.id]
                for e in built.events)

        await wait_until(pilot, linked, "the artifact linked to its session in the timeline", timeout=30)
        assert view.built is not None
        (run,) = [e for e in view.built.events if e.kind == "session"]
        assert (run.phase, run.session_id, run.detail) == ("research", session.id, session.prompt)
        assert view.built.next_phase == "design"


async def test_what_stops_a_phase_is_said_in_the_dialog(sessions: SessionsHarness) -> None:
    app, folder = make_app(sessions, {"ticket.md": TICKET},
                           phases={"design": PhaseConfig(agent="ghost")})
    templates = sessions.repo.path / ".loupe" / "phases"
    templates.mkdir(parents=True)
    (templates / "outline.md").write_text("Outline it.\n\nSee {ticket_text} first.\n")
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(app, pilot, folder)
        # The next phase is questions; research has no questions file yet.
        assert dialog.ready is not None and dialog.ready.phase == "questions"
        dialog.query_one("#phase").value = "research"
        await wait_until(pilot, lambda: "01-research-questions.md" in error_of(dialog), "the missing input")
        assert "questions phase" in error_of(dialog) and dialog.query_one("#start").disabled

        # Written, then read again: the same phase now runs.
        (folder / "01-research-questions.md").write_text(QUESTIONS)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: dialog.ready is not None and dialog.ready.phase == "research", "research")
        assert not dialog.query_one("#error").has_class("-shown") and not dialog.query_one("#start").disabled

        (folder / "02-research.md").write_text("# Research\n")
        (folder / "03-design-discussion.md").write_text("# Design\n")
        dialog.query_one("#phase").value = "outline"
        await wait_until(pilot, lambda: "ticket_text" in error_of(dialog), "the unknown placeholder")
        assert f"{templates / 'outline.md'}:3" in error_of(dialog)

        dialog.query_one("#phase").value = "design"
        await wait_until(pilot, lambda: dialog.ready is not None and dialog.ready.phase == "design", "design")
        assert dialog.query_one("#agent").value == "ghost"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "no-such-agent-xyz" in error_of(dialog), "the agent that is not installed",
                         timeout=30)
        assert "Could not start" in error_of(dialog) and isinstance(app.screen, RunPhaseScreen)
        assert sessions.manager.sessions() == []


async def test_a_second_writer_is_warned_about_and_the_pane_marks_the_file_contested(
    sessions: SessionsHarness,
) -> None:
    app, folder = make_app(sessions, {"01-research-questions.md": QUESTIONS},
                           phases={"research": PhaseConfig(agent="waiter")})
    (folder / "02-research.md").write_text("# Research\n\nSo far.\n")
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(app, pilot, folder, "research")
        assert not dialog.query_one("#phase-warning").has_class("-shown")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, RunPhaseScreen), "the first writer", timeout=30)
        (first,) = sessions.manager.sessions()

        dialog = await open_dialog(app, pilot, folder, "research")
        warning = str(dialog.query_one("#phase-warning").render())
        assert dialog.query_one("#phase-warning").has_class("-shown")
        assert f"session {first.number} (waiter, research) is already writing 02-research.md" in warning
        assert str(dialog.query_one("#start").label) == START_ANYWAY
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, RunPhaseScreen), "the second writer", timeout=30)
        second = next(s for s in sessions.manager.sessions() if s.id != first.id)

        app.screen_stack[0].post_message(OpenPath(folder / "02-research.md"))
        await wait_until(pilot, lambda: app.screen_stack[0].query(ArtifactDocument), "the artifact pane")
        pane = app.screen_stack[0].query_one(ArtifactPane)
        await wait_until(pilot, lambda: pane.contested == f"contested by sessions {first.number}, {second.number}",
                         "the contested mark", timeout=30)
        sessions.manager.stop(first)
        await wait_until(pilot, lambda: pane.contested == "", "the mark to go once one writer stopped", timeout=30)


async def test_a_plan_run_starts_phase_two_by_itself_once_phase_one_is_idle(sessions: SessionsHarness) -> None:
    app, folder = make_app(sessions, {"04-outline.md": "# Outline\n\nTHE-OUTLINE\n", "05-plan.md": PLAN},
                           phases={"implement": PhaseConfig(agent="phase-agent")})
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(app, pilot, folder, "implement")
        assert dialog.ready is not None and dialog.ready.plan == ["Phase 1: A clock", "Phase 2: Retry policy"]
        prompt = dialog.query_one("#prompt")
        assert prompt.read_only and "Write the clock." in prompt.text and "Write the retry policy." not in prompt.text
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, RunPhaseScreen), "the plan run to start",
                         timeout=60)
        (first,) = sessions.manager.sessions()
        app.screen_stack[0].post_message(OpenTask(folder))
        await wait_until(pilot, lambda: app.screen_stack[0].query(TaskDocument), "the task view")
        view = app.screen_stack[0].query_one(TaskDocument)
        task_list = app.screen_stack[0].query_one(TaskList)
        await wait_until(pilot, lambda: view.built is not None and view.built.run is not None
                         and view.built.run.phases[0].seen_working, "phase 1 seen at work", timeout=60)
        assert "plan 0/2 (running)" in task_list._activity.get(folder, "")
        assert len(sessions.manager.sessions()) == 1
        assert app_state(app, first.id) is State.WORKING

        (first.worktree / "release").touch()

        def second_started() -> bool:
            built = view.built
            return built is not None and built.run is not None and built.run.phases[1].status == "running"

        await wait_until(pilot, second_started, "phase 2 to start once phase 1 is idle", timeout=60)
        assert app_state(app, first.id) is State.IDLE
        second = next(s for s in sessions.manager.sessions() if s.id != first.id)
        assert "Write the retry policy." in second.prompt and "Write the clock." not in second.prompt
        await wait_until(pilot, lambda: "plan 1/2 (running)" in task_list._activity.get(folder, ""),
                         "the task row's plan progress")
        assert [e.plan_phase for e in view.built.events if e.kind == "session"] == [1, 2]


async def test_a_plan_without_phase_headings_is_offered_as_one_phase(sessions: SessionsHarness) -> None:
    app, folder = make_app(sessions, {"04-outline.md": "# Outline\n", "05-plan.md": "# Plan\n\nDo it all.\n"},
                           phases={"implement": PhaseConfig(agent="waiter")})
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(app, pilot, folder, "implement")
        assert dialog.ready is not None and dialog.ready.plan == []
        assert "no '## Phase N' headings" in str(dialog.query_one("#phase-warning").render())
        assert str(dialog.query_one("#start").label) == RUN_WHOLE
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, RunPhaseScreen), "the whole plan to start",
                         timeout=60)
        (session,) = sessions.manager.sessions()
        assert session.phase == "implement" and "Do it all." in session.prompt
        run = app.services.phases.plan_run("stats")
        assert run is not None and run.whole and [p.status for p in run.phases] == ["running"]


async def test_go_in_the_task_view_starts_the_next_plan_phase_of_a_manual_run(sessions: SessionsHarness) -> None:
    app, folder = make_app(sessions, {"04-outline.md": "# Outline\n", "05-plan.md": PLAN},
                           phases={"implement": PhaseConfig(agent="phase-agent")})
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(app, pilot, folder, "implement")
        dialog.query_one("#auto").value = False
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, RunPhaseScreen), "the run to start", timeout=60)
        (first,) = sessions.manager.sessions()
        app.screen_stack[0].post_message(OpenTask(folder))
        await wait_until(pilot, lambda: app.screen_stack[0].query(TaskDocument), "the task view")
        view = app.screen_stack[0].query_one(TaskDocument)
        await wait_until(pilot, lambda: view.built is not None and view.built.run is not None, "the run shown")
        assert "manual: g starts the next" in str(view.query_one("#task-view-plan").render())
        view.focus_document()
        await pilot.press("g")

        def moved_on() -> bool:
            run = app.services.phases.plan_run("stats")
            return run is not None and [p.status for p in run.phases] == ["done", "running"]

        await wait_until(pilot, moved_on, "phase 2 on go", timeout=60)
        run = app.services.phases.plan_run("stats")
        assert run is not None and len(sessions.manager.sessions()) == 2
        assert run.phases[0].detail == "marked done by you" and run.phases[0].session == first.id

        # Asked to implement again meanwhile: the dialog says a run is under way, before any start.
        dialog = await open_dialog(app, pilot, folder, "implement")
        assert "plan run is under way (1/2 plan phases done" in str(dialog.query_one("#phase-warning").render())


async def test_a_thread_started_from_the_task_view_is_filed_under_the_task(sessions: SessionsHarness) -> None:
    from tui.dialogs.confirm import PromptScreen
    from tui.views.chat import ChatPane
    from tui.views.threads import ThreadsView

    app, folder = make_app(sessions, {"ticket.md": TICKET})
    async with app.run_test(size=SIZE) as pilot:
        threads = app.screen_stack[0].query_one(ThreadsView)
        await wait_until(pilot, lambda: threads.loaded, "the thread store to open")
        app.screen_stack[0].post_message(OpenTask(folder))
        await wait_until(pilot, lambda: app.screen_stack[0].query(TaskDocument), "the task view")
        view = app.screen_stack[0].query_one(TaskDocument)
        await wait_until(pilot, lambda: view.built is not None, "the timeline")
        view.focus_document()
        await pilot.press("t")
        await wait_until(pilot, lambda: shows(app, PromptScreen), "the title prompt")
        await pilot.press(*"scope", "enter")
        await wait_until(pilot, lambda: app.screen_stack[0].query(ChatPane), "the new thread open")
        store = app.services.threads.store
        assert store is not None
        (thread,) = store.list_threads(task=str(folder.resolve()))
        assert thread.title == "scope"
        await wait_until(pilot, lambda: view.built is not None and any(
            e.kind == "thread" and e.thread_id == thread.id for e in view.built.events), "the thread in the timeline")


async def test_the_demo_runs_research_offline_with_its_own_agent(demo_manager, tmux_socket: str) -> None:  # noqa: ANN001
    """`make run`: ctrl+r on the demo's stats task starts the built-in agent on the demo's
    scripted model, which writes the research live."""
    from tui.demo import ensure_demo_workspace
    from tui.phases.demo import DEMO_AGENT

    workspace = open_workspace(ensure_demo_workspace(), is_demo=True)
    workspace.config.sessions.tmux_socket = tmux_socket
    folder = workspace.tasks_dir / "stats-command"
    artifact = folder / "02-research.md"
    app = LoupeApp(workspace, remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        task_list = app.screen_stack[0].query_one(TaskList)
        dialog = await dialog_from_task_list(app, pilot, folder)
        assert dialog.ready is not None and dialog.ready.phase == "research"
        assert dialog.query_one("#agent").value == DEMO_AGENT
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, RunPhaseScreen), "the phase to start", timeout=30)
        await wait_until(pilot, lambda: artifact.is_file() and "## Q1:" in artifact.read_text(),
                         "the research to appear", timeout=60)
        # It shows up in the task list as a new artifact of the task, while it is written.
        await wait_until(pilot, lambda: any(a.name == "02-research.md" for t in task_list.tasks
                                            if t.path == folder for a in t.artifacts), "the artifact listed")
        await wait_until(pilot, lambda: "## Q4:" in artifact.read_text(), "the research to be finished", timeout=60)
        (session,) = demo_manager.sessions()
        assert (session.agent, session.phase, session.in_place) == (DEMO_AGENT, "research", True)


async def test_the_palette_runs_the_highlighted_tasks_next_phase(sessions: SessionsHarness) -> None:
    app, folder = make_app(sessions, {"ticket.md": TICKET, "01-research-questions.md": QUESTIONS})
    async with app.run_test(size=SIZE) as pilot:
        task_list = app.screen_stack[0].query_one(TaskList)
        await wait_until(pilot, lambda: task_list.select_path(folder), "the task in the list")
        task_list.rows.focus()
        await run_command(pilot, "run the next phase of the highlighted")
        await wait_until(pilot, lambda: shows(app, RunPhaseScreen), "the run-phase dialog")
        dialog = app.screen
        assert isinstance(dialog, RunPhaseScreen)
        await dialog_ready(pilot, dialog)
        assert dialog.ready is not None and (dialog.ready.task.path, dialog.ready.phase) == (folder, "research")
