"""A fake Tencent Cloud image API on a loopback port, strict where the real one is strict.

It checks every request the way the service does (TC3-HMAC-SHA256 signature
recomputed from the shared secret with its own code, timestamp skew, the
Authorization format, X-TC-Action/Version/Region, the action's service and
version, field names and limits) and answers with the service's envelope:

* ``SubmitHunyuanImageJob`` / ``QueryHunyuanImageJob``: jobs go queued "1" ->
  running "2" -> done "5" (or failed "4") by elapsed time; more than
  ``concurrency`` unfinished jobs -> ``RequestLimitExceeded.JobNumExceed``.
* ``TextToImageLite``: synchronous, ``RspImgType`` base64 or url, at most
  ``sync_concurrency`` in flight.
* The aiart photo actions ``ImageToImage``, ``GenerateAvatar``, ``SketchToImage``,
  ``ReplaceBackground``, ``ChangeClothes`` (synchronous, at most
  ``sync_concurrency`` in flight each) and the ``SubmitMemeJob`` /
  ``QueryMemeJob`` job pair (its result is an animated GIF). Each checks its
  fields, style codes and resolutions; input photos must be base64 that decodes
  to a picture, or a URL the fake downloads (so signed links are really fetched);
  :attr:`FakeTencentCloud.inputs` keeps the decoded input sizes per action.
* ``TextToImageRapid`` (混元生图 2.0: Style "1"-"30", its ratios and long sides, the reference ``Image``),
  ``ImageOutpainting`` (``Ratio``, refused when it is the source's own; the source centred on a wider or
  taller gradient) and ``RefineImage`` (the source enlarged to a 2048 px long side), synchronous aiart.
  ``LogoParam.LogoUrl`` is downloaded like the input URLs: an unreachable one fails the request.
* AI 美照 ``SubmitGlamPicJob`` / ``QueryGlamPicJob`` (:mod:`tests.fakes.tencent_glam`): URL-only template and
  photos, downloaded at submission; an unreachable or undecodable one fails the job.
* ``SubmitHunyuanImageChatJob`` / ``QueryHunyuanImageChatJob`` ("change it" edits: ChatId continuity, at most
  100 turns, History): :mod:`tests.fakes.tencent_chat`.
* ``SubmitTextToImageJob`` / ``QueryTextToImageJob`` (混元生图 3.0 with reference ``Images``, downloaded at
  once): :mod:`tests.fakes.tencent_t2i3`.
* AI 写真 (:mod:`tests.fakes.tencent_portrait`): ``UploadTrainPortraitImages`` (downloads ``BaseUrl``),
  ``SubmitDrawPortraitJob`` / ``QueryDrawPortraitJob`` (``INIT``..``DONE``, ``ResultUrls``); face refusals with
  ``fail_face_next``.
* ``GET /results/<id>.png`` (``.gif`` for memes) serves the generated images (small gradients).

Fault injection: :meth:`FakeTencentCloud.fail_next` (an error code, or one of
:data:`TRANSPORT_FAULTS`), :meth:`FakeTencentCloud.fail_job_next`, a seeded
random chaos mode (``retryable_rate``, ``moderation_rate``, ``job_fail_rate``)
and a per-request ``slow`` delay.

Use it as a context manager (``with FakeTencentCloud() as fake:``), through the
``fake_tencent`` pytest fixture, or standalone for benches::

    python -m tests.fakes.tencent_server --port 8765 --latency 4 --concurrency 16
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import signal
import sys
import threading
import time
import uuid
from collections import Counter, deque
from typing import Any

from tests.fakes.tencent_chat import CHAT_ACTIONS, ChatActions
from tests.fakes.tencent_checks import RequestChecks
from tests.fakes.tencent_glam import GlamChecks
from tests.fakes.tencent_http import _Handler, _Server
from tests.fakes.tencent_images import finished_png, gif_bytes, gradient_png
from tests.fakes.tencent_portrait import PORTRAIT_ACTIONS, PortraitActions
from tests.fakes.tencent_rules import (
    _JOB_ACTIONS,
    _MODERATION_CHAOS,
    _RETRYABLE_CHAOS,
    _SYNC_AIART,
    DEFAULT_SECRET_ID,
    DEFAULT_SECRET_KEY,
    MAX_SKEW,
    TRANSPORT_FAULTS,
    ApiError,
    Job,
    ReceivedCall,
    _Fault,
)
from tests.fakes.tencent_t2i3 import TextToImage3Checks

__all__ = [
    "DEFAULT_SECRET_ID", "DEFAULT_SECRET_KEY", "TRANSPORT_FAULTS", "FakeTencentCloud", "gif_bytes", "gradient_png",
    "main",
]


class FakeTencentCloud(PortraitActions, ChatActions, TextToImage3Checks, RequestChecks, GlamChecks):
    """A running fake of the Tencent Cloud image APIs on 127.0.0.1."""

    def __init__(
        self,
        *,
        secret_id: str = DEFAULT_SECRET_ID,
        secret_key: str = DEFAULT_SECRET_KEY,
        token: str | None = None,
        port: int = 0,
        latency: float = 1.0,
        queue_time: float = 0.0,
        concurrency: int = 1,
        sync_concurrency: int = 3,
        sync_latency: float = 0.0,
        slow: float = 0.0,
        retryable_rate: float = 0.0,
        moderation_rate: float = 0.0,
        job_fail_rate: float = 0.0,
        seed: int = 0,
        max_skew: int = MAX_SKEW,
        result_size: int = 512,
    ) -> None:
        self.secret_id = secret_id
        self.secret_key = secret_key
        self.token = token
        self.latency = latency
        self.queue_time = queue_time
        self.concurrency = concurrency
        self.sync_concurrency = sync_concurrency
        self.sync_latency = sync_latency
        self.slow = slow
        self.retryable_rate = retryable_rate
        self.moderation_rate = moderation_rate
        self.job_fail_rate = job_fail_rate
        self.max_skew = max_skew
        self.result_size = result_size
        self.rng = random.Random(seed)
        #: Accepted generation requests (jobs created, images made) per action: what would be billed.
        self.submissions: Counter[str] = Counter()
        #: Every signed request per action, faulted or not.
        self.calls: Counter[str] = Counter()
        #: Requests rejected by the signature/auth checks, by error code.
        self.auth_failures: Counter[str] = Counter()
        self.received: list[ReceivedCall] = []
        self.jobs: dict[str, Job] = {}
        self.results: dict[str, bytes] = {}
        #: Decoded input photos per action: (field, width, height, format), in arrival order.
        self.inputs: dict[str, list[tuple[str, int, int, str]]] = {}
        #: The last decoded input picture per handler thread (outpainting and refining answer from it).
        self.last_input: dict[int, bytes] = {}
        self._glam_pending = {}
        self.portrait_models: dict[str, bytes] = {}
        self._sync_busy: Counter[str] = Counter()
        self._faults: dict[str, deque[_Fault]] = {}
        self._job_faults: deque[_Fault] = deque()
        self._sync_in_flight = 0
        self._offset = 0.0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.fake = self
        self._thread: threading.Thread | None = None

    # lifecycle
    @property
    def port(self) -> int:
        """Return the bound TCP port."""
        return int(self._server.server_address[1])

    @property
    def host(self) -> str:
        """Return ``127.0.0.1:<port>`` (the Host the clients sign)."""
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """Return the endpoint URL, ``http://127.0.0.1:<port>``."""
        return f"http://{self.host}"

    def start(self) -> FakeTencentCloud:
        """Serve in a background thread."""
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-tencent-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, cut open connections and join every handler thread."""
        self._stopping.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self._server.cut_connections()
        self._server.server_close()

    def __enter__(self) -> FakeTencentCloud:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # test controls
    def fail_next(
        self, action: str, code: str, message: str = "", times: int = 1, delay: float = 0.0
    ) -> None:
        """Answer the next ``times`` calls of ``action`` (or ``"*"``) with an error code or a fault."""
        with self._lock:
            queue = self._faults.setdefault(action, deque())
            for _ in range(times):
                queue.append(_Fault(code, message or f"injected {code}", delay))

    def fail_job_next(self, code: str, message: str = "", times: int = 1) -> None:
        """Make the next ``times`` submitted jobs end in status "4" with this JobErrorCode."""
        with self._lock:
            for _ in range(times):
                self._job_faults.append(_Fault(code, message or f"injected job failure {code}"))

    def advance(self, seconds: float) -> None:
        """Move the jobs' clock forward."""
        with self._lock:
            self._offset += seconds

    def now(self) -> float:
        """Return the jobs' clock."""
        return time.monotonic() + self._offset

    def unfinished_jobs(self) -> int:
        """Count jobs still queued or running."""
        with self._lock:
            return self._unfinished_locked()

    def calls_of(self, action: str) -> list[ReceivedCall]:
        """Return the signed requests received for one action."""
        with self._lock:
            return [c for c in self.received if c.action == action]

    # request processing
    def _unfinished_locked(self, action: str = "SubmitHunyuanImageJob") -> int:
        now = self.now()
        return sum(1 for job in self.jobs.values() if job.action == action and now - job.started < self.latency)

    def _next_fault(self, action: str, generating: bool) -> _Fault | None:
        with self._lock:
            for key in (action, "*"):
                queue = self._faults.get(key)
                if queue:
                    return queue.popleft()
            roll = self.rng.random()
        if roll < self.retryable_rate:
            return _Fault(self.rng.choice(_RETRYABLE_CHAOS), "chaos: transient failure")
        if generating and roll < self.retryable_rate + self.moderation_rate:
            return _Fault(self.rng.choice(_MODERATION_CHAOS), "chaos: content rejected")
        return None

    def make_result(self, params: dict[str, Any], seed: str) -> str:
        """Render and store a result image for request ``params``; return its id."""
        w, h = (int(v) for v in str(params.get("Resolution", "1024:1024")).split(":"))
        scale = self.result_size / max(w, h)
        size = (max(8, round(w * scale)), max(8, round(h * scale)))
        data = gradient_png(*size, seed=seed, mark=params.get("LogoAdd", 1) == 1)
        result_id = uuid.uuid4().hex
        with self._lock:
            self.results[result_id] = data
        return result_id

    def result_url(self, result_id: str) -> str:
        """Return the URL the fake serves a result image at."""
        kind = "gif" if self.results.get(result_id, b"").startswith(b"GIF") else "png"
        return f"{self.url}/results/{result_id}.{kind}"

    def _store(self, data: bytes) -> str:
        result_id = uuid.uuid4().hex
        with self._lock:
            self.results[result_id] = data
        return result_id

    def _aiart_result(self, action: str, params: dict[str, Any]) -> str:
        """Render and store the result of a synchronous aiart action; return its id."""
        seed = uuid.uuid4().hex
        mark = params.get("LogoAdd", 1) == 1
        size = self.result_size
        if action == "TextToImageRapid":
            return self.make_result(params, seed)
        if action in ("ImageOutpainting", "RefineImage"):
            source = self.last_input.pop(threading.get_ident())
            return self._store(finished_png(action, source, params.get("Ratio", ""), seed, mark))
        if action == "ReplaceBackground" and "Resolution" in params:
            w, h = (int(v) for v in params["Resolution"].split(":"))
            scale = size / max(w, h)
            return self._store(gradient_png(round(w * scale), round(h * scale), seed=seed, mark=mark))
        if action == "ImageToImage":
            resolution = params.get("ResultConfig", {}).get("Resolution", "origin")
            if resolution != "origin":
                w, h = (int(v) for v in resolution.split(":"))
                scale = size / max(w, h)
                return self._store(gradient_png(round(w * scale), round(h * scale), seed=seed, mark=mark))
        if action in ("ImageToImage", "ChangeClothes") and self.inputs.get(action):
            _name, w, h, _fmt = self.inputs[action][-1 if action == "ImageToImage" else -2]  # the model photo
            scale = size / max(w, h)
            return self._store(gradient_png(round(w * scale), round(h * scale), seed=seed, mark=mark))
        return self._store(gradient_png(size, size, seed=seed, mark=mark))

    def handle(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        """Run one verified, fault-free action and return its Response fields."""
        if action in CHAT_ACTIONS:  # 混元生图（多轮对话）: tests/fakes/tencent_chat.py
            return self.handle_chat(action, params)
        if action in _SYNC_AIART:
            return self._sync_aiart(action, params)
        if action in PORTRAIT_ACTIONS:
            return self._portrait(action, params)
        if action in _JOB_ACTIONS:
            with self._lock:
                if self._unfinished_locked(action) >= self.concurrency:
                    raise ApiError("RequestLimitExceeded.JobNumExceed", "Too many jobs are being processed.")
                job = Job(
                    job_id=f"{uuid.uuid4().int % 10**9}-{int(time.time())}-{uuid.uuid4()}-0",
                    started=self.now(),
                    params=params,
                    action=action,
                )
                if self._job_faults:
                    fault = self._job_faults.popleft()
                    job.fail_code, job.fail_message = fault.code, fault.message
                elif self.job_fail_rate and self.rng.random() < self.job_fail_rate:
                    job.fail_code, job.fail_message = (
                        "FailedOperation.EngineServerError",
                        "chaos: engine failed",
                    )
                if action == "SubmitGlamPicJob":
                    self._glam_job(job)
                self.jobs[job.job_id] = job
                self.submissions[action] += 1
            return {"JobId": job.job_id}
        if action in _JOB_ACTIONS.values():
            with self._lock:
                job = self.jobs.get(params["JobId"])
                elapsed = self.now() - job.started if job else 0.0
            if job is None or _JOB_ACTIONS[job.action] != action:
                raise ApiError("FailedOperation.JobNotExist", "The job does not exist.")
            if action == "QueryMemeJob":
                return self._meme_status(job, elapsed)
            if action == "QueryGlamPicJob":
                return self._glam_status(job, elapsed, self.latency, self.queue_time)
            if elapsed < min(self.queue_time, self.latency):
                return {
                    "JobStatusCode": "1",
                    "JobStatusMsg": "排队中",
                    "JobErrorCode": "",
                    "JobErrorMsg": "",
                    "ResultImage": [],
                    "ResultDetails": [],
                    "RevisedPrompt": [],
                }
            if elapsed < self.latency:
                return {
                    "JobStatusCode": "2",
                    "JobStatusMsg": "处理中",
                    "JobErrorCode": "",
                    "JobErrorMsg": "",
                    "ResultImage": [],
                    "ResultDetails": [],
                    "RevisedPrompt": [],
                }
            if job.fail_code:
                return {
                    "JobStatusCode": "4",
                    "JobStatusMsg": "处理失败",
                    "JobErrorCode": job.fail_code,
                    "JobErrorMsg": job.fail_message,
                    "ResultImage": [],
                    "ResultDetails": [],
                    "RevisedPrompt": [],
                }
            if not job.result_id:
                result_id = self.make_result(job.params, job.job_id)
                with self._lock:
                    job.result_id = job.result_id or result_id
            prompt = job.params["Prompt"]
            revised = prompt if job.params.get("Revise", 1) == 0 else f"{prompt}，细节丰富，光影柔和"
            return {
                "JobStatusCode": "5",
                "JobStatusMsg": "处理完成",
                "JobErrorCode": "",
                "JobErrorMsg": "",
                "ResultImage": [self.result_url(job.result_id)],
                "ResultDetails": ["Success"],
                "RevisedPrompt": [revised],
            }
        if action == "TextToImageLite":
            with self._lock:
                if self._sync_in_flight >= self.sync_concurrency:
                    raise ApiError(
                        "RequestLimitExceeded.JobNumExceed", "Too many requests are being processed."
                    )
                self._sync_in_flight += 1
            try:
                if self.sync_latency:
                    self._stopping.wait(self.sync_latency)
                result_id = self.make_result(params, uuid.uuid4().hex)
                with self._lock:
                    self.submissions[action] += 1
            finally:
                with self._lock:
                    self._sync_in_flight -= 1
            if params.get("RspImgType", "base64") == "url":
                return {"ResultImage": self.result_url(result_id)}
            return {"ResultImage": base64.b64encode(self.results[result_id]).decode("ascii")}
        raise ApiError("InvalidAction", f"The action `{action}` is not implemented by the fake.")

    def _sync_aiart(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if self._sync_busy[action] >= self.sync_concurrency:
                raise ApiError("RequestLimitExceeded.JobNumExceed", "Too many requests are being processed.")
            self._sync_busy[action] += 1
        try:
            if self.sync_latency:
                self._stopping.wait(self.sync_latency)
            result_id = self._aiart_result(action, params)
            with self._lock:
                self.submissions[action] += 1
        finally:
            with self._lock:
                self._sync_busy[action] -= 1
        if params.get("RspImgType", "base64") == "url":
            return {"ResultImage": self.result_url(result_id)}
        return {"ResultImage": base64.b64encode(self.results[result_id]).decode("ascii")}

    def _meme_status(self, job: Job, elapsed: float) -> dict[str, Any]:
        """Answer QueryMemeJob: like the Hunyuan job, but ResultImage is one URL (of a GIF)."""
        base = {"JobErrorCode": "", "JobErrorMsg": "", "ResultImage": ""}
        if elapsed < min(self.queue_time, self.latency):
            return {**base, "JobStatusCode": "1", "JobStatusMsg": "排队中"}
        if elapsed < self.latency:
            return {**base, "JobStatusCode": "2", "JobStatusMsg": "处理中"}
        if job.fail_code:
            return {**base, "JobStatusCode": "4", "JobStatusMsg": "处理失败", "JobErrorCode": job.fail_code,
                    "JobErrorMsg": job.fail_message}
        if not job.result_id:
            side = int(job.params.get("Resolution", 256))
            result_id = self._store(gif_bytes(min(side, self.result_size), job.job_id))
            with self._lock:
                job.result_id = job.result_id or result_id
        return {**base, "JobStatusCode": "5", "JobStatusMsg": "处理完成", "ResultImage": self.result_url(job.result_id)}


# --- standalone ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run the fake in the foreground until SIGINT/SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--latency", type=float, default=4.0, help="seconds from submit to done")
    parser.add_argument("--queue-time", type=float, default=0.0, help="seconds a job stays queued ('1')")
    parser.add_argument("--concurrency", type=int, default=1, help="unfinished jobs allowed")
    parser.add_argument("--sync-concurrency", type=int, default=3, help="TextToImageLite calls in flight")
    parser.add_argument("--sync-latency", type=float, default=0.5)
    parser.add_argument("--slow", type=float, default=0.0, help="delay added to every API answer")
    parser.add_argument("--retryable", type=float, default=0.0, help="probability of a transient failure")
    parser.add_argument("--moderation", type=float, default=0.0, help="probability of a moderation refusal")
    parser.add_argument("--job-fail", type=float, default=0.0, help="probability a job ends in status 4")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--result-size", type=int, default=512, help="long side of result images (px)")
    parser.add_argument("--secret-id", default=DEFAULT_SECRET_ID)
    parser.add_argument("--secret-key", default=DEFAULT_SECRET_KEY)
    parser.add_argument("--token", default=None)
    args = parser.parse_args(argv)
    fake = FakeTencentCloud(
        secret_id=args.secret_id,
        secret_key=args.secret_key,
        token=args.token,
        port=args.port,
        latency=args.latency,
        queue_time=args.queue_time,
        concurrency=args.concurrency,
        sync_concurrency=args.sync_concurrency,
        sync_latency=args.sync_latency,
        slow=args.slow,
        retryable_rate=args.retryable,
        moderation_rate=args.moderation,
        job_fail_rate=args.job_fail,
        seed=args.seed,
        result_size=args.result_size,
    )
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    fake.start()
    print(json.dumps({"listening": fake.url}), flush=True)
    try:
        while not done.wait(0.5):
            pass
    finally:
        fake.stop()
        print(
            json.dumps(
                {"stopped": fake.url, "submissions": dict(fake.submissions), "calls": dict(fake.calls)}
            ),
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
