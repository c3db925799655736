"""HTTP surfaces: widget API, agent API and console, knowledge-base editor (FastAPI)."""
