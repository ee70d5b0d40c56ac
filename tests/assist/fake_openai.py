"""A local OpenAI-compatible server for the tests (never the internet): chat completions,
streamed as SSE or not, whose behaviour the model name picks:

- "tutor": a streamed answer in small pieces, then usage;
- "coder": an answer that opens a code block;
- "slow": many pieces 0.1 s apart (stopping, resuming);
- "explainer": a Markdown explanation in pieces 0.25 s apart (the browser test watches it stream);
- "busy-N": 429 (Retry-After: 0) for the first N requests, then as "tutor";
- "broken": 500 every time;
- "garbled": one chunk that is not JSON;
- "sleepy": waits longer than the client's timeout;
- "missing": 404 (no such model).
A key other than `expected_key` gets 401 with a body that echoes the key, as some
providers do (it must never reach a student, a log or an answer of ours).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

EXPLANATION = (
    "**SyntaxError: expected ':'** means Python reached the end of line 1 and was still waiting for the "
    "colon that ends an `if` line. Look at the end of line 1 of main.py."
)
ANSWER = ["The error ", "means Python ", "expected a colon ", "at the end of line 1. ", "Look at your `if`."]


@dataclass
class FakeOpenAI:
    expected_key: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    busy_left: dict[str, int] = field(default_factory=dict)
    server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def start(self) -> FakeOpenAI:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                fake.requests.append(
                    {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
                )
                fake.answer(self, body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    # --- answers ----------------------------------------------------------------------------

    def _json(self, handler: BaseHTTPRequestHandler, status: int, payload: dict[str, Any], **headers: str) -> None:
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    def answer(self, handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        model = str(body.get("model", ""))
        key = handler.headers.get("Authorization", "").removeprefix("Bearer ")
        if key != self.expected_key:
            self._json(
                handler, 401, {"error": {"message": f"Incorrect API key provided: {key}", "code": "invalid_api_key"}}
            )
            return
        if model.startswith("busy-"):
            left = self.busy_left.setdefault(model, int(model.split("-")[1]))
            if left > 0:
                self.busy_left[model] = left - 1
                self._json(
                    handler, 429, {"error": {"message": "slow down"}}, **{"Retry-After": "0", "retry-after-ms": "20"}
                )
                return
        if model == "broken":
            self._json(handler, 500, {"error": {"message": "internal"}})
            return
        if model == "missing":
            self._json(handler, 404, {"error": {"message": "The model does not exist"}})
            return
        if model == "sleepy":
            time.sleep(3)
        if not body.get("stream"):
            self._json(handler, 200, {
                "id": "c1", "object": "chat.completion", "created": 0, "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "OK"}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
            })  # fmt: skip
            return
        pieces = ANSWER
        if model == "coder":
            pieces = ["Try this:\n\n", "``", "`python\n", "if x:\n", "    print(x)\n```\n"]
        if model == "slow":
            pieces = [f"word{i} " for i in range(60)]
        if model == "explainer":
            pieces = [f"{word} " for word in EXPLANATION.split(" ")]
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.end_headers()
        try:
            for piece in pieces:
                if model in ("slow", "explainer"):
                    time.sleep(0.1 if model == "slow" else 0.25)
                self._event(handler, {"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]},
                            model)  # fmt: skip
                if model == "garbled" and piece == pieces[1]:
                    handler.wfile.write(b"data: {this is not json\n\n")
                    handler.wfile.flush()
            self._event(handler, {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}, model)
            self._event(handler, {"choices": [], "usage": {"prompt_tokens": 120, "completion_tokens": 17,
                                                          "total_tokens": 137}}, model)  # fmt: skip
            handler.wfile.write(b"data: [DONE]\n\n")
            handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading (a stopped answer)

    def _event(self, handler: BaseHTTPRequestHandler, chunk: dict[str, Any], model: str) -> None:
        payload = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": model, **chunk}
        handler.wfile.write(f"data: {json.dumps(payload)}\n\n".encode())
        handler.wfile.flush()
