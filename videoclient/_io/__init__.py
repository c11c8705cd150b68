"""The only code that touches sockets, files or threads.

Owns: the aiohttp transport (session lifetime, attempts, retries, rate-limit pauses), the
redirect policy it calls, streamed responses and raw socket reads (``receiver``), upload
streaming, the download file writer, disk helpers (targets, temporary files, the final
rename), the reading of the caller's file inputs (run off the event loop), and the one
clock every pause in the package sleeps on (``clock``: tests swap it). May import:
``_providers`` and ``_sansio`` (and aiohttp, anyio); the transport asks the provider for
credentials, error shapes and hints and knows no API's format itself.
"""
