"""Start and stop a real `rag serve` process on a free loopback port for tests."""

from __future__ import annotations

import subprocess
import time
import urllib.request
from pathlib import Path

from tests.chroma_server import free_port
from tests.conftest import RAG, rag_env

# Default gradio_client options, quiet: citations deliberately carry no "path" key, which the client
# would take for a file to download.
CLIENT = {"verbose": False, "analytics_enabled": False}


class RagServer:
    def __init__(self, root: Path, corpus: Path, *args: str, env: dict | None = None):
        self.root, self.port = root, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = root / f"serve-{self.port}.log"
        root.mkdir(parents=True, exist_ok=True)
        with open(self.log, "w") as out:
            self.proc = subprocess.Popen(
                [*RAG, "serve", "--port", str(self.port), "--corpus", str(corpus), "--index", str(root / "index"),
                 *args], env=rag_env(**(env or {})), stdout=out, stderr=subprocess.STDOUT, cwd=root)

    def wait_ready(self, timeout: float = 180, status_ok: tuple = (200,)) -> "RagServer":
        """Poll the page until it answers, failing early (with the log) if the server dies."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"rag serve exited with {self.proc.returncode}:\n{self.output()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url, timeout=2) as response:
                    if response.status in status_ok:
                        return self
            except urllib.error.HTTPError as exc:
                if exc.code in status_ok:
                    return self
                time.sleep(0.3)
            except OSError:
                time.sleep(0.3)
        raise TimeoutError(f"rag serve not ready after {timeout}s:\n{self.output()[-3000:]}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
