"""``python -m mockingjob``."""

from .cli import main

main()
