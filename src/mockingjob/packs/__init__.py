"""The built-in API packs. Each subpackage mocks one real API."""
