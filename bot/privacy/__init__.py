"""Buyer data protection: the map of personal data, retention, erasure, redaction."""
