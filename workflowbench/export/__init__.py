"""Exports of the warehouse for training: chat-format JSONL for fine-tuning an annotator."""
