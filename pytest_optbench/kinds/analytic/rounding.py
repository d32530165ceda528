"""How an analytic case's noise envelope is measured, in numbers and words (no torch here:
the kind registry loads without it)."""

from __future__ import annotations

# A replica scales its start points and every gradient by 1 + u, u uniform within this many
# units in the last place: a rounding difference at every step, which covers one at any step.
ULPS = 4.0
DESCRIPTION = (f"start points and every gradient scaled by 1 + u, u uniform within "
               f"{ULPS:g} units in the last place of the case's dtype")
# Machines mixed start by start from the replicas, to see a median jump.
MIXES = 64
# A start whose final point moves by more than this share of the domain in a replica ends
# elsewhere under rounding: far beyond rounding, far below the distance to another basin.
FREE_MOVE = 1e-3
