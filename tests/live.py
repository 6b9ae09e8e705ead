"""Helpers for websocket tests through the real ASGI application."""

import asyncio
import json
import threading

import websockets
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.conf import settings

from marketplace.asgi import application


def session_cookie(client) -> str:
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


async def connect(subject: str, after: int | None = None, cookie: str | None = None) -> WebsocketCommunicator:
    query = f"subject={subject}" + (f"&after={after}" if after is not None else "")
    headers = [(b"origin", b"http://127.0.0.1:8000"), (b"host", b"127.0.0.1:8000")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    communicator = WebsocketCommunicator(application, f"/ws/live/?{query}", headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    return communicator


async def receive(communicator: WebsocketCommunicator, timeout: float = 5) -> dict:
    return await communicator.receive_json_from(timeout=timeout)


async def receive_events(communicator: WebsocketCommunicator, count: int, timeout: float = 5) -> list[dict]:
    events = []
    while len(events) < count:
        message = await receive(communicator, timeout)
        if message["type"] == "event":
            events.append(message)
        elif message["type"] == "events":  # a client that asked for batch=1
            events.extend({"type": "event"} | event for event in message["events"])
    return events


async def close_code(communicator: WebsocketCommunicator) -> tuple[int, str]:
    output = await communicator.receive_output(timeout=5)
    assert output["type"] == "websocket.close", output
    return output.get("code"), output.get("reason", "")


def reset_layers() -> None:
    channel_layers.backends.clear()


def payloads(events: list[dict]) -> list:
    return [json.loads(json.dumps(e["payload"])) for e in events]


class SocketListener:
    """A websocket client of a real daphne, run in its own thread.

    `start()` returns once the server said hello; `events()` waits for `wanted` events.
    """

    def __init__(
        self, port: int, subject: str, *, cookie: str | None = None, wanted: int = 1, after: int | None = None, batch: bool = False
    ):
        self.url = f"ws://127.0.0.1:{port}/ws/live/?subject={subject}" + (f"&after={after}" if after is not None else "")
        self.url += "&batch=1" if batch else ""
        self.frames = 0
        self.headers = {"Origin": f"http://127.0.0.1:{port}"} | ({"Cookie": cookie} if cookie else {})
        self.wanted = wanted
        self.ready = threading.Event()
        self.received: list[dict] = []
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self, timeout: float = 20) -> "SocketListener":
        self.thread.start()
        if not self.ready.wait(timeout):
            raise TimeoutError(f"no hello from {self.url}: {self.error!r}")
        return self

    def events(self, timeout: float = 30) -> list[dict]:
        self.thread.join(timeout)
        if self.error:
            raise self.error
        if self.thread.is_alive():
            raise TimeoutError(f"got {len(self.received)} of {self.wanted} events")
        return self.received

    def _run(self) -> None:
        try:
            asyncio.run(self._listen())
        except BaseException as exc:
            self.error = exc
            self.ready.set()

    async def _listen(self) -> None:
        async with websockets.connect(self.url, additional_headers=self.headers, open_timeout=10) as socket:
            hello = json.loads(await asyncio.wait_for(socket.recv(), 20))
            assert hello["type"] == "hello", hello
            self.ready.set()
            while len(self.received) < self.wanted:
                message = json.loads(await asyncio.wait_for(socket.recv(), 60))
                self.frames += 1
                if message["type"] == "event":
                    self.received.append(message)
                elif message["type"] == "events":
                    self.received.extend({"type": "event"} | event for event in message["events"])
