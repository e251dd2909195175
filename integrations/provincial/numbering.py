"""Client of the provincial unified numbering service (省统一申办流水号服务).

Contract (played by ``integrations.sandbox.provincial``)::

    POST {PROVINCIAL_NUMBERING_URL}
    Authorization: Bearer {PROVINCIAL_NUMBERING_TOKEN}        (when set)
    {"implementation_code": "<31 characters>", "date": "YYYYMMDD"}

    200 {"serial": "<43 characters>", "sequence": 12}
    4xx/5xx {"error": {"code": "...", "message": "..."}}

Built on ``integrations.http.PeerClient`` (timeouts, a request log row per call, peer
"provincial"), without retries: a submission waits for the number, so one quick try and
then the local fallback. Takes and returns plain data; every failure (not configured,
refused connection, timeout, HTTP error, an answer that is not JSON or has no serial) is
``NumberingUnavailable``, so the caller can fall back to local numbering.
"""

import datetime
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from integrations.errors import PeerAnswerUnreadable, PeerError
from integrations.http import PeerClient

DEFAULT_TIMEOUT = 3.0
PEER = "provincial"


class NumberingUnavailable(Exception):
    """The numbering service could not give a number."""


@dataclass(frozen=True)
class NumberingClient:
    url: str
    timeout: float = DEFAULT_TIMEOUT
    token: str = ""

    @classmethod
    def from_settings(cls) -> "NumberingClient":
        url = getattr(settings, "PROVINCIAL_NUMBERING_URL", "") or ""
        if not url:
            raise NumberingUnavailable("PROVINCIAL_NUMBERING_URL is not set")
        return cls(
            url=url,
            timeout=float(getattr(settings, "PROVINCIAL_NUMBERING_TIMEOUT", DEFAULT_TIMEOUT)),
            token=getattr(settings, "PROVINCIAL_NUMBERING_TOKEN", "") or "",
        )

    def next_serial(self, *, implementation_code: str, day: datetime.date) -> str:
        if urlsplit(self.url).scheme not in ("http", "https"):
            raise NumberingUnavailable(f"not an http(s) URL: {self.url!r}")
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        client = PeerClient(
            peer=PEER,
            base_url=self.url,
            connect_timeout=self.timeout,
            read_timeout=self.timeout,
            headers=headers,
        )
        try:
            answer = client.post(
                json={"implementation_code": implementation_code, "date": f"{day:%Y%m%d}"}
            ).json()
        except PeerAnswerUnreadable as exc:
            raise NumberingUnavailable("the numbering service answered something that is not JSON") from exc
        except PeerError as exc:
            if exc.status:
                raise NumberingUnavailable(f"HTTP {exc.status} from the numbering service") from exc
            raise NumberingUnavailable(f"numbering service unreachable: {exc}") from exc
        serial = answer.get("serial") if isinstance(answer, dict) else None
        if not isinstance(serial, str) or not serial:
            raise NumberingUnavailable("the numbering service answered without a serial")
        return serial
