"""The package's shape: layers without cycles, small modules, OpenAI knowledge in one place."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import grimp
import pytest

PKG = Path(__file__).resolve().parents[1] / "videoclient"
FOLDERS = ("_sansio", "_providers", "_io", "_client", "_sync", "batch")


def test_the_top_level_holds_folders_and_at_most_four_private_modules() -> None:
    """Private code lives in the layer folders, not beside the public face."""
    private = [p.name for p in PKG.glob("_*.py") if p.name != "__init__.py"]
    assert len(private) <= 4, private
    for folder in FOLDERS:
        assert (PKG / folder / "__init__.py").is_file(), folder


def test_no_module_is_over_600_lines() -> None:
    """Every module stays small enough to read in one sitting."""
    long = {
        str(p.relative_to(PKG)): n
        for p in PKG.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > 600
    }
    assert not long


@pytest.mark.parametrize("folder", FOLDERS)
def test_no_import_cycle_inside_a_layer_even_under_type_checking(folder: str) -> None:
    """No two modules of a folder import each other, directly or not (TYPE_CHECKING counts)."""
    graph = grimp.build_graph("videoclient", exclude_type_checking_imports=False)
    prefix = f"videoclient.{folder}"
    mods = [m for m in graph.modules if m == prefix or m.startswith(prefix + ".")]
    cycles = [
        (a, b)
        for a, b in itertools.combinations(sorted(mods), 2)
        if graph.chain_exists(a, b) and graph.chain_exists(b, a)
    ]
    assert not cycles


def test_the_operations_never_touch_the_client() -> None:
    """The operation classes get a Session: nothing below the client reaches into it."""
    for path in (PKG / "_client").glob("*.py"):
        if path.name == "client.py":
            continue
        text = path.read_text()
        assert "._client." not in text.replace("videoclient._client.", ""), path.name
        assert "_get_transport" not in text and "._options(" not in text, path.name


OPENAI_ONLY = re.compile(
    r"openai-poll-after-ms|x-should-retry|retry-after-ms|OpenAI-Organization|"
    r"""["']error["']\s*:\s*\{""",
    re.IGNORECASE,
)


def test_openai_knowledge_lives_only_in_its_provider_package() -> None:
    """OpenAI's header names and error shape appear nowhere but _providers/openai (and the emulator).

    The CLI is skipped for the error shape only: ``--json`` errors are its own documented
    output, not a reading of the API's.
    """
    found = []
    for path in PKG.rglob("*.py"):
        rel = path.relative_to(PKG).as_posix()
        if rel.startswith(("_providers/openai/", "emulator/")):
            continue
        for m in OPENAI_ONLY.finditer(path.read_text()):
            if rel.startswith("cli/") and m.group(0).lower().startswith(('"error"', "'error'")):
                continue
            found.append(f"{rel}: {m.group(0)}")
    assert not found


SLEEPS = re.compile(r"\b(?:anyio|asyncio|trio|time)\.sleep\((?!0\))|\bclock\.sleep\([^)]*\"retry\"")


def test_every_pause_goes_through_the_one_clock_and_retries_through_one_loop() -> None:
    """Nothing sleeps but the clock; retry pauses happen only in the transport's loop and the batch.

    The body reader resumes by handing its failure to ``Transport.stream(after=...)``, so a
    second retry loop (with its own pause) in the drivers would show up here.
    """
    allowed = {"_io/clock.py", "_io/transport.py", "batch/_run.py", "batch/_wait.py"}
    found = []
    for path in PKG.rglob("*.py"):
        rel = path.relative_to(PKG).as_posix()
        if rel in allowed or rel.startswith("emulator/"):
            continue
        found += [f"{rel}: {m.group(0)}" for m in SLEEPS.finditer(path.read_text())]
    assert not found
