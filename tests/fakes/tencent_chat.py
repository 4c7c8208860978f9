"""The fake Tencent Cloud's 混元生图（多轮对话）: ``SubmitHunyuanImageChatJob`` / ``QueryHunyuanImageChatJob``.

As documented (hunyuan host, 2023-09-01, async): Submit takes ``Prompt`` (required, at most 1024 characters),
an optional ``ChatId`` (the earlier turn to continue; unknown or expired ids are refused, and a conversation
has at most 100 turns) and ``LogoAdd`` / ``LogoParam``; there is no input-image field. Query takes ``JobId``
and answers ``JobStatusCode`` 1/2/4/5, ``JobStatusMsg``, ``JobErrorCode``, ``JobErrorMsg``, this turn's
``ChatId``, ``ResultImage`` (URLs) , ``ResultDetails`` and ``History`` (the earlier turns of the conversation:
``ChatId``, ``Prompt``, ``RevisedPrompt``, ``Seed``, without images). A turn's ChatId can be continued once
its job is done. Faults are injected like every other action's (``fail_next``, ``fail_job_next``).

:attr:`ChatActions.chat_turns` records every finished turn (its ChatId, the ChatId it continued, its prompt).
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from tests.fakes.tencent_images import gradient_png
from tests.fakes.tencent_rules import _JOB_ACTIONS, _LOGO_FIELDS, RULES, ActionRule, ApiError, Job

SUBMIT = "SubmitHunyuanImageChatJob"
QUERY = "QueryHunyuanImageChatJob"
CHAT_ACTIONS = frozenset({SUBMIT, QUERY})
#: Turns one conversation (ChatId group) may have.
MAX_TURNS = 100

RULES.update({
    SUBMIT: ActionRule("hunyuan", "2023-09-01", {"Prompt": str, "ChatId": str, **_LOGO_FIELDS},
                       required=("Prompt",), prompt_limit=1024),
    # JobId is marked optional in the API's spec, but nothing can be answered without it.
    QUERY: ActionRule("hunyuan", "2023-09-01", {"JobId": str}),
})
_JOB_ACTIONS[SUBMIT] = QUERY  # a query is not a generation (chaos mode draws no moderation refusal for it)


@dataclass
class ChatTurn:
    """One turn of a conversation: its ChatId, the turn it continued ('' for a first one) and its prompt."""

    chat_id: str
    parent: str
    group: str
    prompt: str
    seed: int
    job_id: str = ""
    done: bool = False


class ChatActions:
    """The chat actions, mixed into :class:`tests.fakes.tencent_server.FakeTencentCloud`."""

    _lock: threading.Lock
    jobs: dict[str, Job]
    latency: float
    queue_time: float
    concurrency: int

    @property
    def chat_turns(self) -> list[ChatTurn]:
        """Return the finished turns, in the order they finished."""
        with self._lock:
            return [turn for turn in self._chat()["order"]]

    def _chat(self) -> dict[str, Any]:
        state = self.__dict__.get("_chat_state")
        if state is None:
            state = self.__dict__.setdefault("_chat_state", {"turns": {}, "by_job": {}, "order": []})
        return state

    def handle_chat(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        """Answer one verified chat action."""
        return self._chat_submit(params) if action == SUBMIT else self._chat_query(params)

    def _chat_submit(self, params: dict[str, Any]) -> dict[str, Any]:
        state = self._chat()
        with self._lock:
            if self._unfinished_locked(SUBMIT) >= self.concurrency:  # type: ignore[attr-defined]
                raise ApiError("RequestLimitExceeded.JobNumExceed", "Too many jobs are being processed.")
            parent_id = params.get("ChatId", "")
            group = uuid.uuid4().hex
            if parent_id:
                parent = state["turns"].get(parent_id)
                if parent is None or not parent.done:
                    raise ApiError("InvalidParameterValue.ParameterValueError",
                                   f"ChatId `{parent_id}` does not exist or has expired.")
                group = parent.group
                if sum(1 for t in state["turns"].values() if t.group == group) >= MAX_TURNS:
                    raise ApiError("InvalidParameterValue.ParameterValueError",
                                   f"The conversation has reached {MAX_TURNS} turns.")
            job = Job(job_id=f"{uuid.uuid4().int % 10**9}-{int(time.time())}-{uuid.uuid4()}-0", started=self.now(),
                      params=params, action=SUBMIT)  # type: ignore[attr-defined]
            faults = self._job_faults  # type: ignore[attr-defined]
            if faults:
                fault = faults.popleft()
                job.fail_code, job.fail_message = fault.code, fault.message
            turn = ChatTurn(chat_id=uuid.uuid4().hex, parent=parent_id, group=group, prompt=params["Prompt"],
                            seed=uuid.uuid4().int % 4_294_967_295 + 1, job_id=job.job_id)
            self.jobs[job.job_id] = job
            state["turns"][turn.chat_id] = turn
            state["by_job"][job.job_id] = turn
            self.submissions[SUBMIT] += 1  # type: ignore[attr-defined]
        return {"JobId": job.job_id}

    def _history(self, turn: ChatTurn) -> list[dict[str, Any]]:
        """Return the earlier turns of a turn's conversation, oldest first, without images."""
        turns = self._chat()["turns"]
        earlier: list[dict[str, Any]] = []
        parent = turns.get(turn.parent)
        while parent is not None:
            earlier.append({"ChatId": parent.chat_id, "Prompt": parent.prompt, "RevisedPrompt": parent.prompt,
                            "Seed": parent.seed})
            parent = turns.get(parent.parent)
        return earlier[::-1]

    def _chat_query(self, params: dict[str, Any]) -> dict[str, Any]:
        state = self._chat()
        with self._lock:
            job = self.jobs.get(params.get("JobId", ""))
            turn = state["by_job"].get(params.get("JobId", ""))
            elapsed = self.now() - job.started if job else 0.0  # type: ignore[attr-defined]
        if job is None or turn is None:
            raise ApiError("InvalidParameter.InvalidParameter", "JobId does not name a chat job.")
        base = {"JobErrorCode": "", "JobErrorMsg": "", "ChatId": "", "ResultImage": [], "ResultDetails": [],
                "History": []}
        if elapsed < min(self.queue_time, self.latency):
            return {**base, "JobStatusCode": "1", "JobStatusMsg": "排队中"}
        if elapsed < self.latency:
            return {**base, "JobStatusCode": "2", "JobStatusMsg": "处理中"}
        if job.fail_code:
            with self._lock:
                state["turns"].pop(turn.chat_id, None)
            return {**base, "JobStatusCode": "4", "JobStatusMsg": "处理失败", "JobErrorCode": job.fail_code,
                    "JobErrorMsg": job.fail_message}
        if not job.result_id:
            depth = len(self._history(turn))
            data = gradient_png(self.result_size, self.result_size,  # type: ignore[attr-defined]
                                seed=f"{turn.group}-{depth}-{turn.prompt}", mark=job.params.get("LogoAdd", 1) == 1)
            result_id = self._store(data)  # type: ignore[attr-defined]
            with self._lock:
                job.result_id = job.result_id or result_id
                if not turn.done:
                    turn.done = True
                    state["order"].append(turn)
        return {**base, "JobStatusCode": "5", "JobStatusMsg": "处理完成", "ChatId": turn.chat_id,
                "ResultImage": [self.result_url(job.result_id)],  # type: ignore[attr-defined]
                "ResultDetails": ["Success"], "History": self._history(turn)}
