"""An OpenAI-compatible HTTP server on 127.0.0.1 that replays scripted replies.

It speaks `GET /v1/models` and `POST /v1/chat/completions` (streamed as SSE, or not), over
real sockets, so the openai SDK's retries, timeouts and cancellation run for real. Tests,
benchmarks and `loupe --demo` use it; nothing here needs a network or a model.

    with ScriptedServer() as server:               # port 0: a free port
        server.script("Hello!", Reply(status=429, headers={"retry-after-ms": "10"}),
                      Reply(tool_calls=[ToolCallSpec("shell", {"command": ["ls"]})],
                            quirks={"no_index"}))
        client = AsyncOpenAI(base_url=server.base_url, api_key="unused")
        ...
        server.requests[0].body["messages"]      # what the client sent
        server.wait_for_disconnect()               # the client closed a stream early

From a terminal: `python -m tui.model.scripted_server --script FILE [--port N]` (see
`tui.model.script` for the file format); it prints the base URL and serves until Ctrl-C.

Every request consumes the next scripted reply (see `Reply.match` and `Reply.keep`); with
none left it answers the script's `default`, or a 500 saying the script ran out.
"""

from __future__ import annotations

import argparse
import json
import select
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tui.model.script import (
    ChunkMaker,
    Reply,
    Script,
    ToolCallSpec,
    asked_words,
    demo_script,
    error_body,
    estimate_tokens,
    load_script,
    request_key,
)

__all__ = ["RecordedRequest", "Reply", "Script", "ScriptedServer", "ToolCallSpec"]

FOREVER = 3600.0


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: Any
    reply: Reply | None = None
    # The client closed the connection before the reply was fully sent.
    disconnected: bool = False
    finished: bool = False
    started_at: float = field(default_factory=time.monotonic)


class _Disconnected(Exception):
    pass


class ScriptedServer:
    def __init__(
        self,
        *replies: Reply | dict[str, Any] | str,
        script: Script | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        reject_stream_options: bool = False,
    ) -> None:
        self._script = script or Script()
        self._queue: list[Reply] = list(self._script.replies)
        self._queue.extend(Reply.from_value(r) for r in replies)
        self.models = list(self._script.models)
        # When set, requests must carry `Authorization: Bearer <api_key>` (else 401).
        self.api_key = api_key
        # Answer 400 to requests with `stream_options`, like servers that reject unknown keys.
        self.reject_stream_options = reject_stream_options
        self.requests: list[RecordedRequest] = []
        self._host, self._port = host, port
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._serial = 0
        # How many times each request (by `request_key`) was asked, for `Reply.variants`.
        self._asked: dict[str, int] = {}

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> ScriptedServer:
        server = self

        class Handler(_Handler):
            owner = server

        self._httpd = ThreadingHTTPServer((self._host, self._port), Handler)
        self._httpd.daemon_threads = False
        self._httpd.block_on_close = True  # server_close joins every handler thread
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
            name="scripted-model-server", daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._stopping.set()
        self._httpd.shutdown()
        with self._changed:
            connections = list(self._connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join()
        self._httpd = None

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "the server is not started"
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self.port}/v1"

    # -- scripting -------------------------------------------------------------------------

    def script(self, *replies: Reply | dict[str, Any] | str) -> ScriptedServer:
        """Queue replies (a `Reply`, a dict of its fields, or plain text)."""
        with self._changed:
            self._queue.extend(Reply.from_value(r) for r in replies)
        return self

    @property
    def pending(self) -> list[Reply]:
        with self._changed:
            return list(self._queue)

    def _take(self, body: dict[str, Any]) -> Reply:
        with self._changed:
            self._serial += 1
            key = request_key(body)
            repeat = self._asked.get(key, 0)
            self._asked[key] = repeat + 1
            chosen = self._matching(body) or next((r for r in self._queue if not r.match), None)
            if chosen is not None:
                if not chosen.keep:
                    self._queue.remove(chosen)
                return chosen.variant(repeat)
        if self._script.default is not None:
            return self._script.default.variant(repeat)
        return Reply(status=500, error_message="scripted server: no scripted reply left for this request")

    def _matching(self, body: dict[str, Any]) -> Reply | None:
        for asked in asked_words(body):
            asked = asked.lower()
            found = next((r for r in self._queue if r.match and r.match.lower() in asked), None)
            if found is not None:
                return found
        return None

    # -- observation -----------------------------------------------------------------------

    def _record(self, request: RecordedRequest) -> None:
        with self._changed:
            self.requests.append(request)
            self._changed.notify_all()

    def _touch(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def wait_for_requests(self, count: int, timeout: float = 10.0) -> list[RecordedRequest]:
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.chat_requests) >= count, timeout):
                raise AssertionError(f"expected {count} chat requests, got {len(self.chat_requests)}")
            return self.chat_requests

    def wait_for_disconnect(self, timeout: float = 10.0) -> RecordedRequest:
        """The first request whose client hung up early (fails after `timeout`)."""
        with self._changed:
            if not self._changed.wait_for(
                lambda: any(r.disconnected for r in self.requests), timeout
            ):
                raise AssertionError("no client disconnected")
            return next(r for r in self.requests if r.disconnected)

    def wait_until_idle(self, timeout: float = 10.0) -> None:
        """Until every recorded request has been answered (or abandoned)."""
        with self._changed:
            if not self._changed.wait_for(
                lambda: all(r.finished for r in self.requests), timeout
            ):
                raise AssertionError("the scripted server is still answering")

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]


class _Handler(BaseHTTPRequestHandler):
    owner: ScriptedServer
    protocol_version = "HTTP/1.1"
    timeout = 30

    def setup(self) -> None:
        super().setup()
        with self.owner._changed:
            self.owner._connections.add(self.connection)

    def finish(self) -> None:
        with self.owner._changed:
            self.owner._connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # quiet: tests and the demo read `requests` instead

    # -- routing ---------------------------------------------------------------------------

    def do_GET(self) -> None:  # noqa: N802
        record = self._start_record(None)
        if self._refuse_auth(record):
            return
        if self.path.rstrip("/").endswith("/models"):
            data = [{"id": m, "object": "model", "created": 0, "owned_by": "loupe"} for m in self.owner.models]
            self._json(200, {"object": "list", "data": data}, record)
        else:
            self._json(404, error_body(404, f"no route {self.path}"), record)

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = None
        record = self._start_record(body)
        if self._refuse_auth(record):
            return
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._json(404, error_body(404, f"no route {self.path}"), record)
            return
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            self._json(400, error_body(400, "the body must be JSON with a messages list"), record)
            return
        if self.owner.reject_stream_options and "stream_options" in body:
            self._json(400, error_body(400, "Unrecognized request argument supplied: stream_options"), record)
            return
        reply = self.owner._take(body)
        record.reply = reply
        try:
            self._answer(reply, body, record)
        except _Disconnected:
            record.disconnected = True
            self.close_connection = True
        finally:
            record.finished = True
            self.owner._touch()

    def _start_record(self, body: Any) -> RecordedRequest:
        headers = {name.lower(): value for name, value in self.headers.items()}
        record = RecordedRequest(self.command, self.path, headers, body)
        self.owner._record(record)
        return record

    def _refuse_auth(self, record: RecordedRequest) -> bool:
        key = self.owner.api_key
        if key is None or self.headers.get("Authorization") == f"Bearer {key}":
            return False
        self._json(401, error_body(401, "Incorrect API key provided."), record)
        return True

    # -- answering -------------------------------------------------------------------------

    def _answer(self, reply: Reply, body: dict[str, Any], record: RecordedRequest) -> None:
        if reply.hang is not None and reply.hang_after is None:
            self._wait(reply.hang)
        self._wait(reply.delay)
        if reply.status != 200:
            self._json(reply.status, error_body(reply.status, reply.error_message), record, reply.headers)
            return
        maker = ChunkMaker(reply, str(body.get("model") or self.owner.models[0]),
                           estimate_tokens(body), self.owner._serial)
        if not body.get("stream"):
            self._json(200, maker.completion(), record, reply.headers)
            return
        self._stream(reply, body, maker, record)

    def _stream(self, reply: Reply, body: dict[str, Any], maker: ChunkMaker, record: RecordedRequest) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            # Without a length, the end of the body is the end of the connection.
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        pause = 1.0 / reply.tokens_per_second if reply.tokens_per_second else 0.0
        for number, chunk in enumerate(maker.chunks()):
            if number == reply.hang_after:
                self._wait(reply.hang if reply.hang is not None else FOREVER)
            if number == reply.truncate_after:
                self._end(reply, complete=False)
                return
            if number == reply.error_after:
                message = reply.error_message or "The server had an error while processing your request."
                self._event({"error": {"message": message, "type": "server_error", "code": None}}, reply)
                self._end(reply, complete=False)
                return
            self._event(chunk, reply)
            if pause and number:
                self._wait(pause)
        self._event(maker.final(), reply)
        options = body.get("stream_options") or {}
        if options.get("include_usage"):
            self._event(maker.usage(), reply)
        self._send(b"data: [DONE]\n\n", reply)
        self._end(reply, complete=True)

    def _event(self, payload: dict[str, Any], reply: Reply) -> None:
        self._send(b"data: " + json.dumps(payload).encode() + b"\n\n", reply)

    def _send(self, data: bytes, reply: Reply) -> None:
        if self._peer_closed():
            raise _Disconnected
        if reply.chunked:
            data = f"{len(data):x}\r\n".encode() + data + b"\r\n"
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError) as exc:
            raise _Disconnected from exc

    def _end(self, reply: Reply, *, complete: bool) -> None:
        if reply.chunked and complete:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        self.close_connection = not complete or not reply.chunked
        if not complete:
            # Cut the stream the way a crashing server does: no terminator, socket closed.
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _json(
        self, status: int, payload: dict[str, Any], record: RecordedRequest,
        headers: dict[str, str] | None = None,
    ) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            record.disconnected = True
            self.close_connection = True
        record.finished = True
        self.owner._touch()

    def _wait(self, seconds: float) -> None:
        """Sleep, but notice a client that hangs up and a server that stops."""
        deadline = time.monotonic() + seconds
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            if self.owner._stopping.is_set() or self._peer_closed():
                raise _Disconnected
            time.sleep(min(0.01, remaining))

    def _peer_closed(self) -> bool:
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if not readable:
                return False
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tui.model.scripted_server",
        description="Serve scripted replies on an OpenAI-compatible endpoint (for demos and tests).",
    )
    parser.add_argument("--script", type=Path, help="JSON script (see tui/model/script.py)")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free one)")
    parser.add_argument("--demo", action="store_true", help="use loupe's demo script")
    args = parser.parse_args(argv)
    if args.demo:
        script = demo_script()
    elif args.script:
        try:
            script = load_script(args.script)
        except (OSError, ValueError, TypeError) as exc:
            print(f"loupe: cannot read the script {args.script}: {exc}", file=sys.stderr)
            return 1
    else:
        script = Script(default=Reply(text="This is loupe's scripted server; give it --script FILE."))
    with ScriptedServer(script=script, port=args.port) as server:
        print(f"OPENAI_BASE_URL={server.base_url}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
