"""The knowledge-base editor's services: rendering, diffs, gaps, suggestions and uploads.

Framework-free: the web pages (bot/web/routes_kb.py), the API (bot/web/routes_articles.py)
and the CLI (bot/cli/kb.py) are thin layers over these modules.
"""
