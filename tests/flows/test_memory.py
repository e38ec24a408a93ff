"""flows.memory.release: the caches the stages' batches share are dropped before publish, and made
again by the next batch that asks."""

from __future__ import annotations

from flows.memory import release
from workflowbench.stages import rules, synthesize
from workflowbench.stages.contract import Latest


def test_release_drops_every_shared_cache_of_the_stage_modules() -> None:
    made: list[str] = []

    def make(name: str) -> object:
        made.append(name)
        return object()

    caches = {"synthesize": synthesize._LIBRARY, "rules": rules._CATALOG}
    assert all(isinstance(c, Latest) for c in caches.values())
    held = {name: c.get(("test", name), lambda n=name: make(n)) for name, c in caches.items()}
    again = {name: c.get(("test", name), lambda n=name: make(n)) for name, c in caches.items()}
    assert again == held and made == ["synthesize", "rules"]  # held: not made twice
    assert release() >= 2
    after = {name: c.get(("test", name), lambda n=name: make(n)) for name, c in caches.items()}
    assert made == ["synthesize", "rules", "synthesize", "rules"]  # dropped: made again
    assert all(after[n] is not held[n] for n in caches)
    release()  # leave no test value behind for other tests in this process
