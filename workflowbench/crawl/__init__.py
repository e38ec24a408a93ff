"""Collecting real shortcuts with their metadata: RoutineHub (``routinehub``) and iCloud links
(``icloud``), through one polite HTTP client (``http``), with durable, resumable state (``state``),
typed errors (``errors``) and a metadata record beside each file (``sidecar``); ``run`` drives a crawl."""
