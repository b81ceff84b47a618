"""``mockingjob record``: a proxy in front of the real service that keeps what it answered as fixture files."""
