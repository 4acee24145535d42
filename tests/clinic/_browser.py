"""Shared pieces of the browser tests: Debian's Chromium, its flags, a served app, artifact folders."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
#: DESIGN.md: the flags for a closed network (no background connections that would be refused).
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
REPO = Path(__file__).resolve().parents[2]


def artifacts(name: str) -> Path:
    """``$SCARWISE_ARTIFACTS_DIR/<name>`` (default ``test-artifacts/<name>`` at the repository root)."""
    out = Path(os.environ.get("SCARWISE_ARTIFACTS_DIR", REPO / "test-artifacts")) / name
    out.mkdir(parents=True, exist_ok=True)
    return out


@contextmanager
def served(app: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port, in a thread; yields its base URL."""
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(10)
