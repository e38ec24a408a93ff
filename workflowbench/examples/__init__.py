"""The example shortcuts committed in raw_shortcuts/, built through the model (``shortcuts``)."""
