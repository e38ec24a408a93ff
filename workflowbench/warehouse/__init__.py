"""The DuckDB warehouse: ``schema.sql`` defines every table; batches write Parquet shards
(``shards``), stages read each other's shards (``reader``), and ``publish`` loads them all into
one DuckDB file."""

from .publish import DEFAULT_WAREHOUSE, Published, check_query, connect, publish, recorded
from .reader import ShardReader
from .schema import Table, current_sql, schema_sql, table, tables
from .shards import has_shard, parts_dir, retire, shard_key, sweep, write_shard

__all__ = [
    "DEFAULT_WAREHOUSE",
    "Published",
    "ShardReader",
    "Table",
    "check_query",
    "connect",
    "current_sql",
    "has_shard",
    "parts_dir",
    "publish",
    "recorded",
    "retire",
    "schema_sql",
    "shard_key",
    "sweep",
    "table",
    "tables",
    "write_shard",
]
