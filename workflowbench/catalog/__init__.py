"""The API catalog: the public catalogs (``sources``, ``fetch``) merged with what the corpus shows
(``merge``), as JSON Schemas, stubs and categories, and corpus actions checked against them
(``build`` makes the warehouse rows)."""
