"""Limits shared by every instance: counters in the database, named by keyed hashes of what they count (an
account, a city), never by anything about a client (docs/design.md#limits-an-attacker-cannot-turn-against-users).
Imports no other intake subpackage."""
