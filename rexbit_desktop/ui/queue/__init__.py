"""Kolejki: per-queue counts and failed jobs (retry, retry all, flush)."""
