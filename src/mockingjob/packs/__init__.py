"""The built-in API packs. Each sub-package mocks one real API; adding one touches no engine module."""

ORDER = ("scale", "marquez", "coalesce", "trifacta")
"""The order the built-in APIs are listed and mounted in; a built-in pack not named here comes after, by name."""
