"""The public surface: __all__ is complete and exact, and importing the package stays light."""

from __future__ import annotations

import subprocess
import sys

import videoclient


def test_all_is_a_sorted_tuple_of_existing_names() -> None:
    """__all__ is a tuple, names only what exists, and lists every public error and model."""
    assert isinstance(videoclient.__all__, tuple)
    for name in videoclient.__all__:
        assert hasattr(videoclient, name), name
    exported = set(videoclient.__all__)
    for name, obj in vars(videoclient).items():
        if isinstance(obj, type) and not name.startswith("_"):
            assert name in exported, f"{name} is public in videoclient but missing from __all__"


def test_every_error_derives_from_the_root() -> None:
    """Every exported exception class is a VideoClientError."""
    for name in videoclient.__all__:
        obj = getattr(videoclient, name)
        if isinstance(obj, type) and issubclass(obj, Exception) and not issubclass(obj, Warning):
            assert issubclass(obj, videoclient.VideoClientError), name


def test_import_does_not_load_aiohttp() -> None:
    """`import videoclient` leaves aiohttp unloaded (it is imported on the first request)."""
    code = "import sys, videoclient; c = videoclient.AsyncVideoClient('k'); print('aiohttp' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
