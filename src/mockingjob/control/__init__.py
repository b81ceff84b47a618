"""The control plane: what a test steers beyond the mocked APIs themselves.

``scenarios`` decide what happens to the runs they match, ``faults`` disturb requests (latency, errors,
dropped connections), the ``journal`` records every API request with its secrets redacted, and ``admin`` serves
all of it, with reset and the clock, as its own API under ``/_mockingjob/``. Everything lives in the store, so
every worker of one server sees the same rules and the same journal.
"""
