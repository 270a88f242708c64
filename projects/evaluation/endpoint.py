"""Asking a model's OpenAI-compatible chat endpoint for one label per item: prompt, call, parse.

The request is POST {base}/v1/chat/completions with {"model", "messages": [{"role": "user", "content": prompt}],
"temperature": 0}. The prompt is the project's `evaluation_prompt_template` with the item's data fields
filled in as {field} placeholders (lists and objects as JSON) and {labels} as the control's options,
comma-separated.

The expected answer (the first choice's message content) is either
- a JSON object {"label": "refund", "score": 0.82} (score optional, a probability in [0, 1]), possibly
  inside a ```json fence, or
- the bare label on the first line, e.g. "refund" (matched case-insensitively against the options'
  aliases, then their display values).
Anything else is an unparseable answer: the whole evaluation stops and names the item.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from projects.errors import OutsideFailure

DEFAULT_TEMPLATE = (
    "Label the following item. Answer with exactly one of these labels: {labels}.\n"
    'Reply with JSON such as {{"label": "<label>", "score": <your confidence from 0 to 1>}}.\n\n{data}'
)
RETRIED_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)


class EndpointError(OutsideFailure):
    """The model endpoint could not be asked, or answered something that is not a label; the message says which."""


@dataclass(frozen=True)
class ChatEndpoint:
    base_url: str
    model: str
    timeout: float = 30.0
    retries: int = 2
    backoff: float = 0.5  # seconds before the first retry, doubled for each next one

    @property
    def url(self) -> str:
        return self.base_url.rstrip("/") + "/v1/chat/completions"


@dataclass(frozen=True)
class ModelAnswer:
    label: str
    score: float | None
    latency_ms: float  # of the successful request only, not of the retries before it


def render_prompt(template: str, data: Mapping[str, Any], labels: Sequence[str]) -> str:
    """The template filled from the item's data; a placeholder the data lacks is an EndpointError naming it."""
    values = {
        key: value if isinstance(value, str) else json.dumps(value, ensure_ascii=False) for key, value in data.items()
    }
    values.setdefault("data", json.dumps(dict(data), ensure_ascii=False))
    values["labels"] = ", ".join(labels)
    try:
        return (template or DEFAULT_TEMPLATE).format_map(values)
    except KeyError as missing:
        raise EndpointError(f"the prompt template names {{{missing.args[0]}}}, which the item's data lacks") from None
    except (ValueError, IndexError) as error:
        raise EndpointError(f"the prompt template is not a valid format string: {error}") from None


def parse_answer(content: str, options: Mapping[str, str]) -> tuple[str, float | None]:
    """The label (an option alias) and optional score in a model's reply; EndpointError when there is none.

    `options` maps each alias to its display value (the same when the config gives no alias).
    """
    text = content.strip()
    fenced = FENCE.match(text)
    if fenced:
        text = fenced.group(1)
    score: float | None = None
    raw_label: object = None
    if text.startswith("{"):
        try:
            answer = json.loads(text)
        except json.JSONDecodeError:
            raise EndpointError(f"the answer looks like JSON but is not: {content[:200]!r}") from None
        if not isinstance(answer, dict) or "label" not in answer:
            raise EndpointError(f'the JSON answer has no "label": {content[:200]!r}')
        raw_label = answer["label"]
        raw_score = answer.get("score")
        if raw_score is not None:
            if isinstance(raw_score, bool) or not isinstance(raw_score, int | float) or not 0 <= raw_score <= 1:
                raise EndpointError(f"the answer's score must be a number from 0 to 1, got {raw_score!r}")
            score = float(raw_score)
    else:
        raw_label = text.splitlines()[0].strip().strip(".\"'") if text else ""
    if not isinstance(raw_label, str):
        raise EndpointError(f"the answer's label must be text, got {raw_label!r}")
    wanted = raw_label.strip().casefold()
    for alias in options:
        if wanted == alias.casefold():
            return alias, score
    for alias, value in options.items():
        if wanted == value.casefold():
            return alias, score
    raise EndpointError(f"the answer {raw_label!r} is none of the labels {', '.join(options)}")


def ask(endpoint: ChatEndpoint, prompt: str, options: Mapping[str, str]) -> ModelAnswer:
    """One item's label from the endpoint, retrying timeouts, refused connections, 408, 429 and 5xx."""
    body = json.dumps(
        {"model": endpoint.model, "messages": [{"role": "user", "content": prompt}], "temperature": 0}
    ).encode()
    headers = {"Content-Type": "application/json"}
    # The bearer token, when the endpoint wants one, is a setting (EVALUATION_ENDPOINT_API_KEY), never stored.
    if settings.EVALUATION_ENDPOINT_API_KEY:
        headers["Authorization"] = f"Bearer {settings.EVALUATION_ENDPOINT_API_KEY}"
    last_problem = ""
    for attempt in range(endpoint.retries + 1):
        if attempt:
            time.sleep(endpoint.backoff * 2 ** (attempt - 1))
        request = urllib.request.Request(endpoint.url, data=body, headers=headers, method="POST")
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=endpoint.timeout) as response:
                payload = response.read()
        except urllib.error.HTTPError as error:
            last_problem = f"HTTP {error.code}"
            if error.code in RETRIED_STATUSES:
                continue
            raise EndpointError(f"{endpoint.url} answered {last_problem}") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            last_problem = str(getattr(error, "reason", error))
            continue
        latency_ms = (time.perf_counter() - started) * 1000
        return _answer(payload, options, latency_ms, endpoint.url)
    raise EndpointError(f"{endpoint.url} did not answer after {endpoint.retries + 1} attempts ({last_problem})")


def _answer(payload: bytes, options: Mapping[str, str], latency_ms: float, url: str) -> ModelAnswer:
    try:
        content = json.loads(payload)["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise EndpointError(f"{url} did not answer a chat completion: {payload[:200]!r}") from None
    if not isinstance(content, str):
        raise EndpointError(f"{url} answered a message without text content")
    label, score = parse_answer(content, options)
    return ModelAnswer(label=label, score=score, latency_ms=latency_ms)
