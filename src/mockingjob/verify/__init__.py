"""``mockingjob verify``: hold a real service to our spec for one API, read-only unless told otherwise, and
report where they differ (drifts) on the console, as JUnit XML and as one HTML page, secrets redacted.

The command (`command`) imports none of the rest, so that ``mockingjob serve`` starts as fast without it."""
