"""Posterbooth's tests (a regular package, so that an installed top-level ``tests`` package cannot shadow it)."""
