"""The emulator's other protocols, served on the same jobs, renderer, faults and persistence.

Each module speaks one provider's API at its real paths, writing that provider's JSON from
its own documentation (not from the client's wire code), so that one wire bug cannot hide
on both sides: the provider's official SDK is the referee.
"""
