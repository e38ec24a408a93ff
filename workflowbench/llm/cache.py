"""The answer cache, kept in the warehouse: the ``llm_calls`` rows of every shard. Lookups read the
Parquet shards (never the DuckDB file), so they work while a build runs and before it publishes."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

import duckdb
import pyarrow as pa

from ..warehouse.journal import journals, rows
from ..warehouse.reader import ShardReader


class WarehouseCache:
    def __init__(self, warehouse: str | os.PathLike[str]) -> None:
        self.reader = ShardReader(warehouse)

    def get_many(self, fingerprints: Iterable[str]) -> Mapping[str, str]:
        wanted = sorted(set(fingerprints))
        found = self._journaled(set(wanted))
        files = self.reader.files("llm_calls")
        if not wanted or not files:
            return found
        con = duckdb.connect()  # one per lookup: batches look up from several threads
        try:
            con.register("wanted", pa.table({"fingerprint": wanted}))
            rows = con.execute(
                "SELECT c.fingerprint, arg_max(c.response, c.created_at) FROM read_parquet($files) c "
                "JOIN wanted USING (fingerprint) WHERE c.status = 'ok' GROUP BY 1", {"files": files}).fetchall()
        finally:
            con.close()
        return {**found, **dict(rows)}

    def _journaled(self, wanted: set[str]) -> dict[str, str]:
        """Answers still in journals: of batches running now, or of a run killed before it ended."""
        latest: dict[str, tuple[object, str]] = {}
        for path in journals(self.reader.warehouse):
            for row in rows(path):
                fp = row.get("fingerprint")
                if fp in wanted and row.get("status") == "ok" and row.get("response") is not None:
                    if fp not in latest or str(row["created_at"]) > str(latest[fp][0]):
                        latest[fp] = (row["created_at"], row["response"])
        return {fp: response for fp, (_, response) in latest.items()}
