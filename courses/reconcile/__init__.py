"""The reconciler: each person's desired grants from rules, the HR matrix, overrides and license pools,
and the few writes that turn their current grants into those.

Level-triggered: it never asks what happened, only what should be, so running it twice changes nothing
the second time, people already in a group when a rule appears get its grants, and a missed event is
repaired by the next run. Work is done a chunk of people at a time with a fixed number of queries per
chunk: rules are loaded once, then people, memberships, overrides and grants of the chunk in four
queries, and the difference is written with bulk statements and one audit event per changed grant.

The package follows the steps of a run:
    context.py  what a run loads once (compiled rules, HR matrix, pools, target names)
    plan.py     desired grants of one person and the writes that reach them (no queries)
    seats.py    seats handed out under the pools' locks; who waits for a seat given back
    apply.py    a chunk's plan written with bulk statements, audited
    runs.py     the public entry points below, a chunk per transaction

Public interface (other apps call these by name):
    reconcile_people(user_ids, *, actor) -> summary counts
    reconcile_everyone(*, actor, chunk_size=CHUNK) -> summary counts
    list_people_affected_by_rule(rule) -> ids whose grants a change of this rule may alter
"""

from .runs import CHUNK, list_people_affected_by_rule, reconcile_everyone, reconcile_people

__all__ = ["CHUNK", "list_people_affected_by_rule", "reconcile_everyone", "reconcile_people"]
