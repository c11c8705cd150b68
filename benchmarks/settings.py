"""How big each scenario is: the full run, and ``--quick`` (a CI smoke on 2 cores, < 60 s)."""

from __future__ import annotations

from dataclasses import dataclass, replace

__all__ = ["MIB", "Settings"]

MIB = 1024 * 1024


@dataclass(frozen=True)
class Settings:
    """Sizes and repetitions of one benchmark run.

    Attributes:
        quick: The CI-sized smoke.
        runs: Runs per figure (the figure is their median).
        lifecycle_jobs: Measured jobs per lifecycle driver (after one warm-up job).
        lifecycle_render: Emulator render seconds for lifecycle and per-call runs.
        scale_jobs: Jobs submitted at once in the scale scenario.
        scale_render: Emulator render seconds there.
        download_bytes: Size of the large download.
        upload_bytes: Size of the large upload.
        waiting_jobs: Jobs at once in the waiting-cost scenario.
        waiting_render: Emulator render seconds there.
        waiting_hint_ms: The fixed ``openai-poll-after-ms`` there.
        calls: Timed retrieves per per-call driver.
        inflight_jobs: Jobs in the many-jobs-in-flight scenario (after one warm-up job).
        inflight_concurrency: Of those, how many are in flight at once.
        inflight_render: Emulator render seconds there.
        import_runs: Interpreter starts per import-time figure.
        transfer_dir: Where the transfer files are written; None chooses a RAM-backed
            directory (``/dev/shm``) when there is one with room, else the temp dir.
        baseline: ``--baseline``: (short commit, directory) of another videoclient to
            measure beside this one, or None.
    """

    quick: bool
    runs: int
    lifecycle_jobs: int
    lifecycle_render: float
    scale_jobs: int
    scale_render: float
    download_bytes: int
    upload_bytes: int
    waiting_jobs: int
    waiting_render: float
    waiting_hint_ms: int
    calls: int
    import_runs: int
    inflight_jobs: int
    inflight_concurrency: int
    inflight_render: float
    transfer_dir: str | None = None
    baseline: tuple[str, str] | None = None

    @classmethod
    def for_mode(cls, *, quick: bool, runs: int | None = None) -> Settings:
        """The full settings, or the quick ones; ``runs`` overrides the repetitions."""
        if quick:
            settings = cls(
                quick=True,
                runs=1,
                lifecycle_jobs=1,
                lifecycle_render=0.4,
                scale_jobs=100,
                scale_render=1.0,
                download_bytes=32 * MIB,
                upload_bytes=16 * MIB,
                waiting_jobs=30,
                waiting_render=0.4,
                waiting_hint_ms=100,
                calls=50,
                import_runs=1,
                inflight_jobs=30,
                inflight_concurrency=10,
                inflight_render=0.5,
            )
        else:
            settings = cls(
                quick=False,
                runs=5,
                lifecycle_jobs=5,
                lifecycle_render=1.0,
                scale_jobs=2000,
                scale_render=10.0,
                download_bytes=512 * MIB,
                upload_bytes=256 * MIB,
                waiting_jobs=300,
                waiting_render=1.0,
                waiting_hint_ms=200,
                calls=500,
                import_runs=9,
                inflight_jobs=150,
                inflight_concurrency=50,
                inflight_render=0.5,
            )
        return settings if runs is None else replace(settings, runs=runs)
