"""Benchmarks: videoclient side by side with openai-python, bare aiohttp and curl.

Run ``python -m benchmarks`` from the repository root (``--quick`` for a CI-sized smoke,
``--json`` for machine-readable output); ``python -m benchmarks.chaos`` for the chaos run.

Every client runs in its own process (``benchmarks.drivers.*``) against a server in another
process (the emulator, through :mod:`benchmarks.emulator_proc`, or the static
:mod:`benchmarks.fileserver` for large transfers), so each process's CPU time and peak RSS
belong to one client only. This package's ``__init__`` imports nothing, so a driver's
figures are not polluted by the orchestrator's imports.
"""
