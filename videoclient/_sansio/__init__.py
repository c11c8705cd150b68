"""Provider-neutral values and decisions, with no I/O of any kind.

Owns: the models, the exception tree, configuration and per-call options, HTTP as values
(``http``), the base cattrs converter (``wire``), retry, pacing and range decisions,
multipart framing, argument checks, file-input values, and the provider seam
(``adapter.Provider``). May import: the standard library, attrs and cattrs only; never
aiohttp, anyio, asyncio, sqlite3 or PIL, and no other folder of the package (import
contracts keep it so). No ``open()``: files are read by ``_io``.
"""
