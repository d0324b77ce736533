"""Container healthcheck: ``python3 -m stormlab_common.healthcheck URL [URL ...]``.

Exits 0 when every URL answers 2xx within the timeout, 1 otherwise (printing why), so
Docker's HEALTHCHECK needs neither curl nor wget in the image.
"""

import sys
import urllib.error
import urllib.request

TIMEOUT_SECONDS = 2.0


def check(url: str) -> str | None:
    """Return None when healthy, else a one-line reason."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            if 200 <= response.status < 300:
                return None
            return f"{url}: HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return f"{url}: HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return f"{url}: {getattr(exc, 'reason', exc)}"


def main(urls: list[str]) -> int:
    if not urls:
        print("usage: python3 -m stormlab_common.healthcheck URL [URL ...]", file=sys.stderr)
        return 2
    failures = [reason for reason in map(check, urls) if reason]
    for reason in failures:
        print(f"unhealthy: {reason}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
