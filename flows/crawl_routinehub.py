"""The ``crawl-routinehub`` flow: collect RoutineHub's shortcuts into a source folder that ``build-bench``
reads. Its default folder, ``raw_shortcuts/routinehub``, is inside ``build-bench``'s default source
``raw_shortcuts``, so the next build ingests what the crawl added (with each file's metadata record);
point ``to`` elsewhere and add that folder to the build's ``sources`` otherwise. The crawl is one
polite, sequential stream of requests (``workflowbench.crawl``), so it runs in the flow itself."""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from workflowbench.crawl import icloud, routinehub
from workflowbench.crawl.http import Politeness
from workflowbench.crawl.run import Crawler, CrawlSettings, parse_ids

DEFAULT_FOLDER = "raw_shortcuts/routinehub"


class CrawlFailed(RuntimeError):
    """Every shortcut the crawl asked about failed."""


@flow(name="crawl-routinehub", log_prints=True)
def crawl_routinehub(
    to: str = DEFAULT_FOLDER,
    categories: list[str] | None = None,
    ids: str | None = None,
    refresh: bool = False,
    retry_failed: bool = True,
    limit: int | None = None,
    politeness: Politeness | None = None,
    routinehub_url: str = routinehub.DEFAULT_BASE,
    icloud_url: str = icloud.DEFAULT_BASE,
    content_hosts: list[str] | None = None,
) -> dict[str, Any]:
    """Collect RoutineHub's shortcuts (every listing page, the ``categories`` given by slug, or the id
    range ``ids`` as FIRST-LAST) into ``to``; what was collected is skipped, ``refresh`` asks for newer
    versions. ``politeness`` sets the rate limit and retries (delay 1.5 s + up to 1 s jitter by default)."""
    logger = get_run_logger()
    settings = CrawlSettings(to=to, refresh=refresh, retry_failed=retry_failed, limit=limit,
                             politeness=politeness or Politeness(), routinehub_url=routinehub_url,
                             icloud_url=icloud_url, content_hosts=tuple(content_hosts or icloud.CONTENT_HOSTS))
    chosen = parse_ids(ids) if ids else None
    with Crawler(settings, log=logger.info) as crawler:
        summary = crawler.routinehub(categories or (), chosen)
    create_markdown_artifact(key="crawl-routinehub-report", markdown=summary.markdown(),
                             description="Shortcuts collected, skipped and failed by this crawl, errors by reason")
    logger.info(summary.line())
    if summary.fruitless:
        raise CrawlFailed(f"every shortcut asked about failed: {summary.reasons()}")
    if summary.failed:
        logger.warning("%d shortcuts failed: %s", summary.failed, summary.reasons())
    return {**{k: v for k, v in summary.as_dict().items() if k != "errors"}, "reasons": summary.reasons()}
