"""``mockingjob record``: a proxy in front of the real service that keeps what it answered as fixture files."""

EXCHANGES_FOLDER = "_exchanges"
"""Where the raw exchanges go (DIR/_exchanges/<api>.jsonl): the fixture loader skips folders named "_…"."""
