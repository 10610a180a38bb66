"""Accounts: users, sign-in (access and rotating refresh tokens), admin user management, the audit log,
and the introspection endpoint through which Cube asks the one token verifier (outcomelens.core.tokens).

A package of the middle layer (beside ingestion and analytics): it builds on outcomelens.core only, and
the CLI (outcomelens users) and `outcomelens up` use it.
"""
