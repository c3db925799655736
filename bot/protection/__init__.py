"""Buyer data at rest: the encryption the model columns use (bottom layer: every model
module may import it; it imports nothing of ours but its error root)."""
