"""Conversations with buyers, drafted replies and the approval state machine (framework-free)."""
