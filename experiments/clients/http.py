"""JSON over HTTP to one component: a base URL, a session, a timeout, and every failure a
``ComponentError`` naming the method, URL, status and what the component said."""

from __future__ import annotations

from typing import Any

import requests

from experiments.errors import ComponentError

HTTP_TIMEOUT = 10.0


class JsonApi:
    def __init__(self, url: str, *, timeout: float = HTTP_TIMEOUT, session: requests.Session | None = None):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.session = session or requests.Session()

    def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict | None = None,
        data: dict | None = None,
        timeout: float | None = None,
        absent: tuple[int, ...] = (),
        auth: tuple[str, str] | None = None,
    ) -> Any:
        """The answer's JSON (its text if not JSON; None if empty, or if its status is one
        of ``absent``, e.g. 404 for a device that is not there)."""
        url = f"{self.url}{path}"
        try:
            answer = self.session.request(
                method, url, json=json, params=params, data=data, auth=auth,
                timeout=self.timeout if timeout is None else timeout,
            )
        except requests.RequestException as exc:
            raise ComponentError(method, url, None, reason=f"{type(exc).__name__}: {exc}") from None
        if answer.status_code in absent:
            return None
        body = _body(answer)
        if answer.status_code >= 400:
            raise ComponentError(method, answer.url, answer.status_code, body)
        return body


def _body(answer: requests.Response) -> Any:
    if not answer.content:
        return None
    try:
        return answer.json()
    except ValueError:
        return answer.text
