"""The package version, importable from every layer (``videoclient.__version__`` re-exports it)."""

__version__ = "0.1.0"
