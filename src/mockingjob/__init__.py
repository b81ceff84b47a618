"""mockingjob: stateful, time-aware, spec-validated stand-ins for job-run APIs."""

from .app import MockApp
from .clock import Clock
from .config import Config
from .errors import ApiError, MockError, RequestInvalid
from .pack import Call, Pack, Reply

__version__ = "0.1.0"

__all__ = ["ApiError", "Call", "Clock", "Config", "MockApp", "MockError", "Pack", "Reply", "RequestInvalid"]
