"""Shortcut files: containers (signed AEA, binary/XML plists, JSON, legacy .wflow), the strict bplist
decoder, the typed model (values, actions, control flow), the reader and the writer."""
