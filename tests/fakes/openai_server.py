"""A fake OpenAI-compatible image API on a loopback port, checking requests against the documented schemas.

It knows nothing of our client: each request is checked against the published shape of the API
(``/work/shared/reference/openai-images-api.md``, from the openai-python package's ``image_generate_params``,
``image_edit_params`` and ``images_response`` types):

* ``POST <base>/images/generations``: ``Authorization: Bearer <key>``; a JSON object body with ``prompt``
  (required, a non-empty string) and only the documented optional fields, each of its documented type
  (``n`` 1-10, ``size`` ``WxH`` or ``auto``, ``response_format`` ``url`` | ``b64_json``...).
* ``POST <base>/images/edits``: multipart form data with an ``image`` file part that decodes to a PNG, JPEG
  or WebP picture, a ``prompt`` field, and only the documented optional fields.
* Answers ``{"created", "data": [{"b64_json"} | {"url"}], "usage"}``; a ``url`` is served from
  ``GET /results/<id>.png``. Errors are ``{"error": {"message", "type", "param", "code"}}`` with the
  status the API uses (400 unknown or bad parameter, 401 bad key, 404 unknown path).

:meth:`FakeOpenAIImages.fail_next` scripts the next answers (rate limits, moderation, outages).
"""

from __future__ import annotations

import base64
import io
import json
import re
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from PIL import Image

DEFAULT_KEY = "sk-fake-" + "f" * 40
_SIZE = re.compile(r"^(auto|\d{3,4}x\d{3,4})$")
#: The documented optional fields and a check of each value (JSON types for generations).
_GENERATION_FIELDS: dict[str, Any] = {
    "model": lambda v: isinstance(v, str) and bool(v),
    "n": lambda v: isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 10,
    "size": lambda v: isinstance(v, str) and bool(_SIZE.match(v)),
    "quality": lambda v: v in {"standard", "hd", "low", "medium", "high", "auto"},
    "response_format": lambda v: v in {"url", "b64_json"},
    "output_format": lambda v: v in {"png", "jpeg", "webp"},
    "background": lambda v: v in {"transparent", "opaque", "auto"},
    "style": lambda v: v in {"vivid", "natural"},
    "user": lambda v: isinstance(v, str),
    "moderation": lambda v: v in {"low", "auto"},
    "output_compression": lambda v: isinstance(v, int) and 0 <= v <= 100,
}
#: Form fields of an edit arrive as text.
_EDIT_FIELDS: dict[str, Any] = {
    "model": lambda v: bool(v),
    "n": lambda v: v.isdigit() and 1 <= int(v) <= 10,
    "size": lambda v: bool(_SIZE.match(v)),
    "quality": lambda v: v in {"standard", "low", "medium", "high", "auto"},
    "response_format": lambda v: v in {"url", "b64_json"},
    "output_format": lambda v: v in {"png", "jpeg", "webp"},
    "background": lambda v: v in {"transparent", "opaque", "auto"},
    "user": lambda v: True,
    "input_fidelity": lambda v: v in {"high", "low"},
    "output_compression": lambda v: v.isdigit() and 0 <= int(v) <= 100,
}


class ApiError(Exception):
    """An error answer: HTTP status and the error object's fields."""

    def __init__(self, status: int, message: str, code: str | None = None, param: str | None = None,
                 kind: str = "invalid_request_error", headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.param, self.kind = status, message, code, param, kind
        self.headers = headers or {}


@dataclass
class Received:
    """One accepted request: the endpoint, its fields and the sizes of its input pictures."""

    endpoint: str
    fields: dict[str, Any]
    images: list[tuple[str, tuple[int, int]]] = field(default_factory=list)


class FakeOpenAIImages:
    """A running fake of an OpenAI-compatible images API on 127.0.0.1."""

    def __init__(self, *, api_key: str = DEFAULT_KEY, base_path: str = "/v1", port: int = 0,
                 result_size: tuple[int, int] = (256, 256)) -> None:
        self.api_key = api_key
        self.base_path = base_path.rstrip("/")
        self.result_size = result_size
        self.received: list[Received] = []
        self.refused: list[ApiError] = []
        self.results: dict[str, bytes] = {}
        self._faults: deque[ApiError] = deque()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self._server.daemon_threads = True
        self._server.fake = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-openai", daemon=True)

    @property
    def url(self) -> str:
        """Return the base URL to configure as OPENAI_BASE_URL."""
        return f"http://127.0.0.1:{self._server.server_address[1]}{self.base_path}"

    def start(self) -> FakeOpenAIImages:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> FakeOpenAIImages:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fail_next(self, status: int, code: str | None, message: str = "scripted failure", *, times: int = 1,
                  headers: dict[str, str] | None = None) -> None:
        """Answer the next ``times`` well-formed requests with this error instead of an image."""
        kind = "rate_limit_error" if status == 429 else "invalid_request_error"
        for _ in range(times):
            self._faults.append(ApiError(status, message, code, kind=kind, headers=headers))

    # --- the checks ----------------------------------------------------------------------------------

    def answer(self, method: str, path: str, headers: Message, body: bytes) -> tuple[int, dict[str, str], bytes]:
        """Check one request and return (status, headers, body)."""
        if method == "GET" and path.startswith("/results/"):
            data = self.results.get(path.removeprefix("/results/").removesuffix(".png"))
            return (200, {"Content-Type": "image/png"}, data) if data else (404, {}, b"")
        try:
            if method != "POST":
                raise ApiError(405, f"Method {method} not allowed")
            if headers.get("Authorization") != f"Bearer {self.api_key}":
                raise ApiError(401, "Incorrect API key provided.", "invalid_api_key")
            if path == f"{self.base_path}/images/generations":
                received = self._generation(headers, body)
            elif path == f"{self.base_path}/images/edits":
                received = self._edit(headers, body)
            else:
                raise ApiError(404, f"Invalid URL (POST {path})")
            with self._lock:
                if self._faults:
                    raise self._faults.popleft()
                self.received.append(received)
            return 200, {"Content-Type": "application/json"}, json.dumps(self._result(received)).encode()
        except ApiError as exc:
            with self._lock:
                self.refused.append(exc)
            error = {"message": exc.message, "type": exc.kind, "param": exc.param, "code": exc.code}
            return exc.status, {"Content-Type": "application/json", **exc.headers}, json.dumps(
                {"error": error}).encode()

    def _generation(self, headers: Message, body: bytes) -> Received:
        if headers.get_content_type() != "application/json":
            raise ApiError(400, "images/generations takes a JSON body")
        try:
            fields = json.loads(body)
        except ValueError:
            raise ApiError(400, "We could not parse the JSON body of your request.") from None
        if not isinstance(fields, dict):
            raise ApiError(400, "The body must be a JSON object.")
        self._check(fields, _GENERATION_FIELDS)
        return Received("generations", fields)

    def _edit(self, headers: Message, body: bytes) -> Received:
        if headers.get_content_type() != "multipart/form-data" or not headers.get_param("boundary"):
            raise ApiError(400, "images/edits takes multipart/form-data")
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {headers['Content-Type']}\r\n\r\n".encode() + body)
        fields: dict[str, Any] = {}
        images: list[tuple[str, tuple[int, int]]] = []
        for part in message.iter_parts():  # type: ignore[attr-defined]
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            if name in ("image", "image[]", "mask"):
                if not part.get_filename():
                    raise ApiError(400, f"'{name}' must be a file", param=name)
                images.append((name, _picture_size(payload, name)))
                continue
            fields[name] = payload.decode("utf-8")
        if not any(name.startswith("image") for name, _ in images):
            raise ApiError(400, "Missing required parameter: 'image'.", param="image")
        self._check(fields, _EDIT_FIELDS)
        return Received("edits", fields, images)

    @staticmethod
    def _check(fields: dict[str, Any], allowed: dict[str, Any]) -> None:
        prompt = fields.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise ApiError(400, "Missing required parameter: 'prompt'.", param="prompt")
        if len(prompt) > 32000:
            raise ApiError(400, "The prompt is too long.", "string_above_max_length", "prompt")
        for name, value in fields.items():
            if name == "prompt":
                continue
            if name not in allowed:
                raise ApiError(400, f"Unknown parameter: '{name}'.", "unknown_parameter", name)
            if not allowed[name](value):
                raise ApiError(400, f"Invalid value for '{name}': {value!r}.", "invalid_value", name)

    def _result(self, received: Received) -> dict[str, Any]:
        out = io.BytesIO()
        Image.new("RGB", self.result_size, (40, 90, 160)).save(out, "PNG")
        data = out.getvalue()
        if received.fields.get("response_format") == "url":
            result_id = uuid.uuid4().hex
            self.results[result_id] = data
            item: dict[str, Any] = {"url": f"http://127.0.0.1:{self._server.server_address[1]}/results/"
                                           f"{result_id}.png"}
        else:
            item = {"b64_json": base64.b64encode(data).decode("ascii")}
        item["revised_prompt"] = f"revised: {received.fields['prompt']}"
        return {"created": int(time.time()), "data": [item],
                "usage": {"input_tokens": 10, "output_tokens": 100, "total_tokens": 110}}


def _picture_size(payload: bytes, name: str) -> tuple[int, int]:
    try:
        with Image.open(io.BytesIO(payload)) as picture:
            if picture.format not in {"PNG", "JPEG", "WEBP"}:
                raise ApiError(400, f"'{name}' must be a PNG, JPEG or WebP picture", param=name)
            picture.load()
            return picture.size
    except (OSError, ValueError):
        raise ApiError(400, f"'{name}' is not a readable picture", "invalid_image", name) from None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature from the base class
        return

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        fake: FakeOpenAIImages = self.server.fake  # type: ignore[attr-defined]
        status, headers, payload = fake.answer(self.command, self.path, self.headers, body)
        self.send_response(status)
        for key, value in {**headers, "Content-Length": str(len(payload))}.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)

    do_GET = _serve
    do_POST = _serve
    do_PUT = _serve
