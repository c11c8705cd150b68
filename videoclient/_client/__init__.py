"""The async drivers shared by every provider, and the public async client.

Owns: the :class:`~videoclient._client.session.Session` (config, default options,
provider, lazy transport: all an operation may touch), the operations of
``client.videos``, waiting, transfers, ``generate``, raw responses, ``AsyncVideos`` and
``AsyncVideoClient``. May import: ``_io``, ``_providers`` and ``_sansio``.
"""
