"""Thoughts for a seed shortcut (a comment per action, a plan, a query): the offline backend
(``offline`` and the modules it uses) and the LLM backend (``llm_backend``)."""
