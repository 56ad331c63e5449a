"""`quarry worker`, `quarry enqueue`, `quarry stats`."""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys

from quarry.queue import Queue
from quarry.worker import Worker


def _load_queue(spec: str) -> Queue:
    """`package.module:attribute` -> the Queue object the app defined."""
    module_name, _, attribute = spec.partition(":")
    module = importlib.import_module(module_name)
    queue = getattr(module, attribute or "queue")
    if not isinstance(queue, Queue):
        raise SystemExit(f"quarry: {spec} is a {type(queue).__name__}, not a quarry.Queue")
    return queue


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="quarry")
    parser.add_argument("--app", required=True, help="where your Queue lives, e.g. myapp.jobs:queue")
    sub = parser.add_subparsers(dest="command", required=True)
    worker = sub.add_parser("worker", help="run jobs until stopped")
    worker.add_argument("--poll-interval", type=float, default=1.0)
    enqueue = sub.add_parser("enqueue", help="add a job")
    enqueue.add_argument("task")
    enqueue.add_argument("payload", nargs="?", default="{}", help="JSON object of keyword arguments")
    sub.add_parser("stats", help="count jobs by state")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    queue = _load_queue(args.app)
    if args.command == "worker":
        runner = Worker(queue, poll_interval=args.poll_interval)
        runner.install_signal_handlers()
        runner.run()
    elif args.command == "enqueue":
        job = queue.enqueue(args.task, json.loads(args.payload))
        print(job.id)
    else:
        for state, count in queue.counts().items():
            print(f"{state.value:<10} {count}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
