"""Shortcuts as Python-style code: ``to_code`` writes it, ``from_code`` reads it back (never runs
it), ``compile`` turns code into a shortcut file; literals, names and input keys are shared rules."""
