"""A throwaway HTTP server on 127.0.0.1 for tests that fetch models or stream video."""

import functools
import http.server
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files without logging every request to stderr."""

    def log_message(self, format: str, *args: object) -> None:
        pass


class QuietServer(http.server.ThreadingHTTPServer):
    """A client that hangs up mid-stream is what the live-source tests do on purpose:
    no traceback for it; anything else still prints one."""

    def handle_error(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: object
    ) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


def serve(
    directory: Path,
    handler: type[http.server.SimpleHTTPRequestHandler] = QuietHandler,
    port: int = 0,
) -> Iterator[str]:
    """Serve `directory` until the generator is closed; yields the base URL."""
    server = QuietServer(("127.0.0.1", port), functools.partial(handler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
