"""One hypothesis profile for the suite: no deadline (a loaded CI box is slow, not wrong), no example database
written into the tree, and an example budget that keeps the whole property suite within about half a minute."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile("policykg", deadline=None, database=None, max_examples=200,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("policykg")
