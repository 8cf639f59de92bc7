"""A headless Debian chromium driven over the Chrome DevTools protocol (websocket), for the dashboard test.

It records every console error, uncaught exception and failed load the pages produce.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from contextlib import ExitStack
from pathlib import Path
from urllib.request import urlopen

from websockets.sync.client import connect

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1200,1600",
    "--remote-debugging-port=0",
]


def chromium_executable() -> str:
    """The chromium binary, installed by scripts/install_chromium.sh when missing (never skipped)."""
    found = shutil.which("chromium")
    if not found:
        subprocess.run(["bash", str(PROJECT_ROOT / "scripts" / "install_chromium.sh")], check=True)
        found = shutil.which("chromium")
    assert found, "chromium introuvable après scripts/install_chromium.sh"
    return found


class Browser:
    def __init__(self, profile_dir: Path):
        self.process = subprocess.Popen(
            [chromium_executable(), *CHROMIUM_FLAGS, f"--user-data-dir={profile_dir}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = profile_dir / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            assert time.monotonic() < deadline, "chromium n'a pas ouvert son port DevTools"
            time.sleep(0.1)
        port = int(port_file.read_text().splitlines()[0])
        targets = json.load(urlopen(f"http://127.0.0.1:{port}/json/list"))
        page = next(t for t in targets if t["type"] == "page")
        self._connection = ExitStack()
        self.socket = self._connection.enter_context(connect(page["webSocketDebuggerUrl"], max_size=None))
        self.next_id = 0
        self.errors: list[str] = []
        for domain in ("Runtime", "Log", "Page"):
            self.send(f"{domain}.enable")

    def send(self, method: str, params: dict | None = None) -> dict:
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params or {}}))
        while True:
            message = self._receive()
            if message.get("id") == self.next_id:
                assert "error" not in message, f"{method} : {message['error']}"
                return message["result"]

    def open(self, url: str) -> None:
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": "Page.navigate", "params": {"url": url}}))
        while self._receive().get("method") != "Page.loadEventFired":
            pass

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    def screenshot(self, path: Path) -> Path:
        import base64

        data = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def _receive(self) -> dict:
        message = json.loads(self.socket.recv(timeout=60))
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.exceptionThrown":
            self.errors.append(json.dumps(params["exceptionDetails"], ensure_ascii=False)[:500])
        elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
            self.errors.append(json.dumps(params["args"], ensure_ascii=False)[:500])
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            self.errors.append(f"{params['entry'].get('url', '')} : {params['entry']['text']}")
        return message

    def close(self) -> None:
        self._connection.close()
        self.process.terminate()
        self.process.wait(timeout=30)
