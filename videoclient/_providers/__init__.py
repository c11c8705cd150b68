"""One pure package per video API; none imports another (an import contract keeps it so).

Each package turns the neutral surface into its API's requests and reads its answers,
and imports only :mod:`videoclient._sansio`. A new provider is a new folder here that
exposes a :class:`~videoclient._sansio.adapter.Provider`.
"""
