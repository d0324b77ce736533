"""JSON over HTTP to one of the stack's components, every failure an ``ActivityFailed`` that
says which component, which call, and what it answered.

The stack's APIs refuse with a JSON body ``{"error": <what is wrong and what is expected>,
"problems": [<path: what is wrong>, ...]}`` (the proxy adds ``known``, the names there are):
the message carries all of it, so the journal shows the component's own words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests
from chaoslib.exceptions import ActivityFailed

MAX_TEXT = 300  # of a body that is not JSON, in a message


class Refused(ActivityFailed):
    """A component answered with an error status; ``status`` tells which."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Component:
    name: str  # "the proxy's admin API"
    url: str
    setting: str  # the configuration key that gives the URL
    timeout: float

    def call(self, method: str, path: str, *, json: Any = None, data: dict | None = None,
             params: dict | None = None, timeout: float | None = None, absent: tuple[int, ...] = ()) -> Any:
        """The answer's JSON (None when empty, or when its status is one of ``absent``, e.g. 404
        for a device that is not there); ActivityFailed when it cannot be reached or refuses."""
        url = f"{self.url}{path}"
        try:
            answer = requests.request(method, url, json=json, data=data, params=params,
                                      timeout=self.timeout if timeout is None else timeout)
        except requests.RequestException as exc:
            raise ActivityFailed(
                f"cannot reach {self.name} at {self.url} ({type(exc).__name__}: {_first_line(exc)}); "
                f"expected the stack to be up and {self.setting} in the experiment's configuration to "
                "point at it") from None
        if answer.status_code in absent:
            return None
        body = _body(answer)
        if answer.status_code >= 400:
            raise Refused(refusal(self.name, method, path, answer.status_code, body), answer.status_code)
        return body


def refusal(component: str, method: str, path: str, status: int, body: Any) -> str:
    """One line: who refused what, with the component's error, problems and known names."""
    message = f"{component} refused {method} {path} (HTTP {status})"
    if isinstance(body, dict):
        if body.get("error"):
            message += f": {body['error']}"
        problems = body.get("problems")
        if isinstance(problems, list) and problems:
            message += "; problems: " + "; ".join(str(problem) for problem in problems)
        known = body.get("known") or body.get("known_services")
        if isinstance(known, list):
            message += f"; known: {', '.join(str(name) for name in known) or '(none)'}"
        if body.get("expected") and not problems:
            message += f"; expected: {body['expected']}"
    elif body:
        message += f": {str(body)[:MAX_TEXT]}"
    return message


def _body(answer: requests.Response) -> Any:
    if not answer.content:
        return None
    try:
        return answer.json()
    except ValueError:
        return answer.text


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:MAX_TEXT] if text else "no detail"
