from __future__ import annotations

from pathlib import Path

from tui import config, locations
from tui.app import LoupeApp
from tui.workspace import open_workspace


async def test_theme_switch_is_remembered(tmp_path: Path) -> None:
    app = LoupeApp(open_workspace(tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        assert app.theme == "loupe-dark"
        app.theme = "loupe-light"
        await pilot.pause()
        # The theme is written by a worker (the services' watchers run until the app exits, so
        # waiting for every worker would never end; a finished worker has left the list).
        for writer in [w for w in app.workers if w.group == "remember-theme"]:
            await writer.wait()
    assert config.load(None).config.general.theme == "loupe-light"
    # And the next start uses it.
    app2 = LoupeApp(open_workspace(tmp_path))
    async with app2.run_test(size=(100, 30)):
        assert app2.theme == "loupe-light"


async def test_config_problem_is_notified_and_app_runs(tmp_path: Path) -> None:
    locations.user_config_file().parent.mkdir(parents=True, exist_ok=True)
    locations.user_config_file().write_text("[general]\nthem = 'x'\n")
    app = LoupeApp(open_workspace(tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any("general.them" in m and "did you mean 'theme'" in m for m in messages)


async def test_unknown_theme_falls_back(tmp_path: Path) -> None:
    (tmp_path / ".loupe").mkdir()
    (tmp_path / ".loupe/config.toml").write_text('[general]\ntheme = "nope"\n')
    app = LoupeApp(open_workspace(tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.theme == "loupe-dark"
        assert any("Unknown theme 'nope'" in n.message for n in app._notifications)


async def test_heavy_startup_work_waits_for_the_task_list(tmp_path: Path, monkeypatch) -> None:
    import gc

    from tests.helpers import wait_until
    from tui.views.threads import ThreadsView
    from widgets.task_list import TaskList

    order: list[str] = []
    real_set_tasks = TaskList.set_tasks
    monkeypatch.setattr(TaskList, "set_tasks", lambda self, *a, **kw: (order.append("tasks"), real_set_tasks(self, *a, **kw))[1])
    real_open = ThreadsView._open
    monkeypatch.setattr(ThreadsView, "_open", lambda self: (order.append("threads"), real_open(self))[1])
    # What `loupe` does before starting the app (tui.cli._run_app).
    gc.disable()
    try:
        app = LoupeApp(open_workspace(tmp_path))
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_until(pilot, lambda: app.query_one(ThreadsView).loaded, "the threads list opens in the end")
            assert order[:2] == ["tasks", "threads"]
            # Collection is back on, with what startup made frozen.
            assert gc.isenabled()
            assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.enable()


def test_settled_objects_are_frozen_once(monkeypatch) -> None:  # noqa: ANN001
    import gc

    from tui import app as app_module

    monkeypatch.setattr(app_module, "_settled_frozen", False)
    try:
        assert app_module.freeze_settled_objects() is True
        frozen = gc.get_freeze_count()
        assert frozen > 0
        made_later = [[n] for n in range(1000)]  # tracked objects that must stay collectable
        assert app_module.freeze_settled_objects() is False
        assert gc.get_freeze_count() == frozen and len(made_later) == 1000
    finally:
        gc.unfreeze()


async def test_a_headless_app_freezes_nothing(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """Tests run many apps in one process: none of them may freeze its objects for the rest."""
    from tests.helpers import wait_until
    from tui import app as app_module

    monkeypatch.setattr(app_module, "_settled_frozen", False)
    monkeypatch.setattr(app_module, "GC_SETTLED_AFTER", 0.01)
    app = LoupeApp(open_workspace(tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        ticks: list[int] = []
        app.set_interval(0.02, lambda: ticks.append(1))
        await wait_until(pilot, lambda: len(ticks) >= 10, "timer ticks well past the freeze delay")
        assert app_module._settled_frozen is False
