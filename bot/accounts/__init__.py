"""People who review drafts: users and roles, passwords, API tokens, web sessions, CSRF."""
