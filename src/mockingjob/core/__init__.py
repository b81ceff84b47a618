"""The engine core: errors, time, the store, the clock, run lifecycles, fixtures, the pack contract and the
engine that holds the served state. It imports nothing from the rest of mockingjob."""
