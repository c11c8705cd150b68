"""The blocking client: the same coroutines, run on a loop thread through a portal.

Owns: the portal and its jobs, the waiting thread's wake-up, the mirror that turns each
async method into a blocking one, and ``VideoClient``. May import: ``_client`` and the
folders below it.
"""
