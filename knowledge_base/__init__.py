"""Seller articles with immutable numbered revisions, publishing and an audit trail."""
