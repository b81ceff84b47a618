"""The HTTP layer: assembly, routing, dispatch, rendering, validation and the server options.

It depends on the engine core and the control plane, never on a pack. Its public face for the rest of
mockingjob is `MockApp` (in ``app``) and the few functions below.
"""

from __future__ import annotations

from .connexion_adaptations import connexion_app, connexion_spec_problem, trusted_specs

__all__ = ["connexion_app", "connexion_spec_problem", "trusted_specs"]
