"""Serving the emulator over HTTP on loopback (for `make run`, live and browser tests)."""

from __future__ import annotations

import threading

from werkzeug.serving import BaseWSGIServer, make_server

from logto_emulator.app import Emulator


class EmulatorServer:
    """The emulator on a background thread; `stop()` frees the port."""

    def __init__(self, emulator: Emulator, host: str = "127.0.0.1", port: int = 0) -> None:
        self.emulator = emulator
        self._server: BaseWSGIServer = make_server(host, port, emulator, threaded=True)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> EmulatorServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
