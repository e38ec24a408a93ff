"""What can go wrong collecting one shortcut: one error family, each naming the URL (or file) and a
short machine-readable ``reason`` that the crawl state records; none of them stops a crawl."""

from __future__ import annotations


class CrawlError(Exception):
    """Base class: a request, a page or a download could not be used."""

    reason = "crawl-error"
    retryable = False  # worth asking again within the same request (the client retries these)

    def __init__(self, url: str, detail: str, *, reason: str | None = None) -> None:
        self.url = url
        self.detail = detail
        if reason is not None:
            self.reason = reason
        super().__init__(f"{url}: {self.reason}: {detail}")


class OffList(CrawlError):
    """A host outside the allow-list: asked for, or redirected to."""

    reason = "off-list"


class RobotsDisallowed(CrawlError):
    """The site's robots.txt does not let this crawler fetch the URL."""

    reason = "robots-disallowed"


class HttpStatus(CrawlError):
    """An answer with a status the caller cannot use (after retries, for 429 and 5xx)."""

    def __init__(self, url: str, status: int, detail: str = "", after: float | None = None) -> None:
        self.status = status
        self.after = after  # seconds a Retry-After header asked for
        super().__init__(url, detail or f"HTTP {status}", reason="rate-limited" if status == 429 else f"http-{status}")


class NotFound(HttpStatus):
    """404: the shortcut was deleted or unpublished, or never existed."""

    def __init__(self, url: str, detail: str = "HTTP 404: nothing there (deleted, unpublished or never published)"
                 ) -> None:
        super().__init__(url, 404, detail)
        self.reason = "not-found"
        self.args = (f"{url}: {self.reason}: {detail}",)


class Unreachable(CrawlError):
    """No complete answer: connection refused or dropped, a timeout."""

    reason = "unreachable"
    retryable = True


class Truncated(CrawlError):
    """A body shorter than the server announced (or than the record says the file is)."""

    reason = "truncated"
    retryable = True


class TooLarge(CrawlError):
    """A body over the size limit (announced or counted while reading)."""

    reason = "too-large"


class LayoutChanged(CrawlError):
    """A page that no longer has the layout the parser knows: names the page and what was missing."""

    reason = "layout-changed"

    def __init__(self, url: str, missing: str) -> None:
        self.missing = missing
        super().__init__(url, f"the page has no {missing}; its layout may have changed")


class BadAnswer(CrawlError):
    """An API answer that is not the JSON shape it should be."""

    reason = "bad-answer"


class Expired(CrawlError):
    """A download URL that kept expiring, even freshly resolved."""

    reason = "expired-url"


class NotAShortcut(CrawlError):
    """A downloaded file that ``read_shortcut`` refuses (the reader's reason is in the detail)."""

    reason = "not-a-shortcut"
