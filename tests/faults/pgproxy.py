"""A TCP proxy between the platform and PostgreSQL that cuts a connection at a chosen point.

It reads the client's side of the wire protocol message by message (the startup, then one type
byte and a length per message), so a cut can be placed exactly: before a message that contains
some SQL is forwarded, half-way through it, or after the server has executed it and answered
(the answer is then lost, as when the network fails at that moment).
"""

import contextlib
import socket
import struct
import threading

SSL_REQUEST, GSSENC_REQUEST = 80877103, 80877104


class CuttingProxy:
    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.rule: tuple[bytes, str, bytes] | None = None
        self.cut = threading.Event()
        self.cut_message = b""
        self.connections: list[tuple[socket.socket, socket.socket]] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def arm(self, pattern: bytes, when: str, *, once_seen: bytes = b"") -> None:
        """Cut the next connection that sends a message containing `pattern`, once; with
        `once_seen`, only a connection that already sent a message containing that.

        `when` is "before" (the message never reaches the server), "midway" (half of it does) or
        "after" (the server executes it; its answer never reaches the client)."""
        assert when in ("before", "midway", "after")
        with self.lock:
            self.rule, self.cut_message = (pattern, when, once_seen), b""
            self.cut.clear()

    def close(self) -> None:
        self.listener.close()
        for pair in self.connections:
            _close(*pair)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            self.connections.append((client, server))
            state = {"swallow": False, "seen": b""}
            threading.Thread(target=self._client_to_server, args=(client, server, state), daemon=True).start()
            threading.Thread(target=self._server_to_client, args=(client, server, state), daemon=True).start()

    def _fires(self, message: bytes, state: dict) -> str | None:
        with self.lock:
            if self.rule and self.rule[0] in message and (not self.rule[2] or self.rule[2] in state["seen"]):
                when, self.rule, self.cut_message = self.rule[1], None, message
                return when
            if self.rule and self.rule[2] and self.rule[2] in message:
                state["seen"] = self.rule[2]
        return None

    def _client_to_server(self, client: socket.socket, server: socket.socket, state: dict) -> None:
        buffer, started = b"", False
        try:
            while True:
                data = client.recv(65536)
                if not data:
                    break
                buffer += data
                while True:
                    if not started:  # startup messages: length, then a code; no type byte
                        if len(buffer) < 8:
                            break
                        length, code = struct.unpack("!ii", buffer[:8])
                        if len(buffer) < length:
                            break
                        message, buffer = buffer[:length], buffer[length:]
                        if code in (SSL_REQUEST, GSSENC_REQUEST):
                            client.sendall(b"N")  # plain text between proxy and server
                            continue
                        server.sendall(message)
                        started = True
                        continue
                    if len(buffer) < 5:
                        break
                    length = struct.unpack("!i", buffer[1:5])[0] + 1
                    if len(buffer) < length:
                        break
                    message, buffer = buffer[:length], buffer[length:]
                    when = self._fires(message, state)
                    if when == "before":
                        return
                    if when == "midway":
                        server.sendall(message[: len(message) // 2])
                        return
                    if when == "after":
                        state["swallow"] = True  # the server's next answer closes the connection
                    server.sendall(message)
        except OSError:
            pass
        finally:
            if not state["swallow"]:
                _close(client, server)
                self._mark_cut()

    def _server_to_client(self, client: socket.socket, server: socket.socket, state: dict) -> None:
        try:
            while True:
                data = server.recv(65536)
                if not data:
                    break
                if state["swallow"]:
                    break
                client.sendall(data)
        except OSError:
            pass
        finally:
            _close(client, server)
            self._mark_cut()

    def _mark_cut(self) -> None:
        with self.lock:
            if self.cut_message:
                self.cut.set()


def _close(*sockets: socket.socket) -> None:
    for sock in sockets:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            sock.close()
