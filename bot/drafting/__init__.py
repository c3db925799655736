"""Composing reply drafts: the offline composer, the LLM composer and the pipeline."""
