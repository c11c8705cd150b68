"""The videoclient command line against the real emulator (click's CliRunner, not a TTY)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from videoclient.cli import INSTALL_HINT, main
from videoclient.cli._app import cli
from videoclient.emulator import FAIL_TRIGGER, Emulator, EmulatorConfig, EmulatorThread

KEY = "sk-cli-test"
SMALL = ["--size", "64x64", "--poll-interval", "0.05"]


@pytest.fixture
def emu() -> Iterator[EmulatorThread]:
    with Emulator(EmulatorConfig(render_seconds=0.2, api_key=KEY)).in_thread() as e:
        yield e


@pytest.fixture
def run(emu: EmulatorThread, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """Invoke the CLI with OPENAI_API_KEY / OPENAI_BASE_URL pointing at the emulator, in tmp_path."""
    monkeypatch.chdir(tmp_path)
    env = {"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": emu.base_url}

    def invoke(*args: str, env_: dict[str, str | None] | None = None) -> Result:
        result = CliRunner().invoke(cli, list(args), env=env if env_ is None else env_)
        assert "\x1b" not in result.output, "escape codes in non-TTY output"
        return result

    return invoke


def as_json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def new_video(run: Any, prompt: str = "a kite", *extra: str) -> Any:
    return as_json(run("--json", "create", prompt, "--size", "64x64", *extra))


def test_help_lists_every_command(run: Any) -> None:
    """--help names all thirteen commands."""
    out = run("--help").stdout
    for name in (
        "create",
        "get",
        "list",
        "delete",
        "remix",
        "edit",
        "extend",
        "wait",
        "download",
        "generate",
        "batch",
        "gallery",
        "serve",
    ):
        assert f"  {name}" in out


def test_missing_click_prints_the_install_hint(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without the [cli] extra, main() prints how to install it and exits 2."""
    monkeypatch.setitem(sys.modules, "click", None)
    assert main(["--help"]) == 2
    assert capsys.readouterr().err.strip() == INSTALL_HINT


def test_no_key_is_one_line_naming_the_variable_and_local(run: Any) -> None:
    """Without a key: one line naming OPENAI_API_KEY and suggesting --local; exit 2."""
    result = run("get", "video_1", env_={"OPENAI_API_KEY": None, "OPENAI_BASE_URL": None})
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert "OPENAI_API_KEY" in line and "--local" in line and "Traceback" not in result.output


@pytest.mark.parametrize("debug", [pytest.param(False, id="plain"), pytest.param(True, id="debug")])
def test_api_error_is_one_line_with_status_and_request_id(run: Any, debug: bool) -> None:
    """An API error prints status, message and request id on one line (traceback only with --debug); exit 3."""
    result = run(*(["--debug"] if debug else []), "get", "video_nope")
    assert result.exit_code == 3
    assert ("Traceback" in result.stderr) is debug
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("videoclient: error: API error 404") and "request id req_" in line


def test_api_error_as_json(run: Any) -> None:
    """With --json, an error is a JSON object on stderr with status and request id."""
    result = run("--json", "get", "video_nope")
    assert result.exit_code == 3
    error = json.loads(result.stderr)["error"]
    assert error["status"] == 404 and error["request_id"] and error["type"] == "NotFoundError"


def test_wrong_key_never_shows_the_key(run: Any, emu: EmulatorThread) -> None:
    """A rejected key gives exit 3 and the key appears nowhere in the output."""
    result = run("--api-key", "sk-wrong-secret", "list", env_={"OPENAI_BASE_URL": emu.base_url})
    assert (
        result.exit_code == 3 and "401" in result.stderr and "sk-wrong-secret" not in result.output
    )


def test_usage_errors_exit_2(run: Any, tmp_path: Path) -> None:
    """Bad arguments exit 2: unknown option, missing argument, bad size, missing file."""
    assert run("create").exit_code == 2
    assert run("list", "--limit", "0").exit_code == 2
    assert run("create", "x", "--size", "big").exit_code == 2
    result = run("create", "x", "--size", "64x64", "--input-reference", str(tmp_path / "no.png"))
    assert result.exit_code == 2 and "no.png" in result.stderr


def test_create_get_list_delete(run: Any, emu: EmulatorThread) -> None:
    """create, get and list print the job (JSON parses); delete removes it."""
    video = new_video(run, "a red kite", "--seconds", "4", "--idempotency-key", "k-1")
    assert (
        video["status"] == "queued" and video["prompt"] == "a red kite" and video["seconds"] == "4"
    )
    assert (
        new_video(run, "a red kite", "--seconds", "4", "--idempotency-key", "k-1")["id"]
        == video["id"]
    )
    assert emu.jobs_created == 1
    assert as_json(run("--json", "get", video["id"]))["id"] == video["id"]
    human = run("get", video["id"]).stdout
    assert "id:" in human and video["id"] in human and "prompt:" in human
    assert run("--quiet", "get", video["id"]).stdout.strip() == video["id"]
    listed = as_json(run("--json", "list", "--limit", "5"))
    assert [v["id"] for v in listed] == [video["id"]]
    table = run("list").stdout.splitlines()
    assert table[0].split()[:3] == ["ID", "STATUS", "PROGRESS"] and video["id"] in table[1]
    as_json(run("--json", "wait", video["id"], "--poll-interval", "0.05"))
    deleted = as_json(run("--json", "delete", video["id"]))
    assert deleted == {
        "id": video["id"],
        "deleted": True,
        "object": "video.deleted",
        "request_id": deleted["request_id"],
    }
    assert run("get", video["id"]).exit_code == 3


def test_list_all_walks_every_page(run: Any) -> None:
    """list --all follows the cursor past the first page."""
    ids = {new_video(run, f"p{i}")["id"] for i in range(3)}
    assert {v["id"] for v in as_json(run("--json", "list", "--limit", "2", "--all"))} == ids
    assert len(run("--quiet", "list", "--limit", "2").stdout.split()) == 2


def test_create_wait_remix_edit_extend(run: Any, emu: EmulatorThread) -> None:
    """remix, edit and extend start jobs from a finished one; --wait waits for each."""
    done = as_json(run("--json", "create", "a fox", *SMALL, "--wait"))
    assert done["status"] == "completed" and done["progress"] == 100
    remixed = as_json(
        run("--json", "remix", done["id"], "a blue fox", "--wait", "--poll-interval", "0.05")
    )
    assert remixed["remixed_from_video_id"] == done["id"] and remixed["status"] == "completed"
    edited = as_json(run("--json", "edit", done["id"], "at night"))
    assert edited["status"] == "queued"
    extended = as_json(run("--json", "extend", done["id"], "and then it rains", "--seconds", "4"))
    assert extended["status"] == "queued" and extended["id"] != edited["id"]
    assert emu.jobs_created == 4


def test_edit_an_uploaded_file(run: Any, emu: EmulatorThread, tmp_path: Path) -> None:
    """edit takes an MP4 file path as well as an id."""
    done = as_json(run("--json", "generate", "source", *SMALL, "-o", "src.mp4"))
    edited = as_json(run("--json", "edit", "src.mp4", "in colour"))
    assert edited["id"] != done["video"]["id"]


def test_wait_many_and_failed_exit_1(run: Any) -> None:
    """wait on several jobs prints each final state; a failed one makes the exit code 1."""
    good = new_video(run, "fine")["id"]
    bad = new_video(run, f"bad {FAIL_TRIGGER}")["id"]
    result = run("--json", "wait", good, bad, "--poll-interval", "0.05")
    assert result.exit_code == 1
    states = {v["id"]: v["status"] for v in json.loads(result.stdout)}
    assert states == {good: "completed", bad: "failed"}
    plain = run("wait", good, "--poll-interval", "0.05")
    assert plain.exit_code == 0 and "status:" in plain.stdout and "completed" in plain.stdout


def test_wait_timeout_exits_1(run: Any) -> None:
    """A wait past --timeout exits 1 with one line."""
    video = new_video(run, "slow [emulator:slow]")["id"]
    result = run("wait", video, "--timeout", "0.1", "--poll-interval", "0.05")
    assert result.exit_code == 1 and "still" in result.stderr


def test_download_variants_and_overwrite(run: Any, emu: EmulatorThread, tmp_path: Path) -> None:
    """download writes the asset byte for byte; an existing file needs --overwrite (exit 2)."""
    video = as_json(run("--json", "create", "a boat", *SMALL, "--wait"))["id"]
    got = as_json(run("--json", "download", video, "-o", "boat.mp4"))
    assert Path(got["path"]).read_bytes() == emu.asset_bytes(video) and got["bytes"] > 0
    again = run("download", video, "-o", "boat.mp4")
    assert again.exit_code == 2 and "--overwrite" in again.stderr
    assert run("download", video, "-o", "boat.mp4", "--overwrite").exit_code == 0
    thumb = as_json(run("--json", "download", video, "--variant", "thumbnail"))
    assert thumb["path"].endswith(f"{video}.webp") and (tmp_path / f"{video}.webp").exists()
    plain = run("download", video, "--variant", "spritesheet", "-o", "s.jpg").stdout
    assert plain.startswith("downloading spritesheet s.jpg (") and "saved s.jpg" in plain
    assert run("--quiet", "download", video, "-o", "q.mp4").stdout.strip() == "q.mp4"


def test_generate_writes_video_and_extras(run: Any, emu: EmulatorThread, tmp_path: Path) -> None:
    """generate creates, waits and downloads the MP4, thumbnail and spritesheet."""
    data = as_json(
        run(
            "--json",
            "generate",
            "a paper boat",
            *SMALL,
            "-o",
            "out/boat.mp4",
            "--create-dirs",
            "--thumbnail",
            "--spritesheet",
        )
    )
    video = data["video"]
    assert video["status"] == "completed"
    assert data["files"] == {
        "video": "out/boat.mp4",
        "thumbnail": "out/boat.thumbnail.webp",
        "spritesheet": "out/boat.spritesheet.jpg",
    }
    assert (tmp_path / "out/boat.mp4").read_bytes() == emu.asset_bytes(video["id"])
    assert (tmp_path / "out/boat.thumbnail.webp").read_bytes()[:4] == b"RIFF"


def test_generate_plain_output_and_default_name(run: Any, tmp_path: Path) -> None:
    """Plain output has status lines and a saved line; without -o the file is named for the job."""
    result = run("generate", "a cat", *SMALL)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].endswith(": queued 0%") and any(": completed 100%" in x for x in lines)
    video_id = lines[0].split(":")[0]
    assert lines[-1].startswith(f"saved {tmp_path / video_id}.mp4 (")


def test_a_trailing_slash_makes_the_output_a_directory(run: Any, tmp_path: Path) -> None:
    """generate -o new/ --create-dirs writes new/<id>.mp4; download -o missing/ fails, creating nothing."""
    result = run("--quiet", "generate", "a cat", *SMALL, "-o", "new/", "--create-dirs")
    assert result.exit_code == 0, result.output
    (saved,) = result.stdout.split()
    assert (tmp_path / saved).parent == tmp_path / "new" and (tmp_path / saved).is_file()
    video_id = Path(saved).stem
    result = run("download", video_id, "-o", "missing/")
    assert result.exit_code != 0 and "does not exist" in result.stderr
    assert not (tmp_path / "missing").exists()


def test_local_without_the_emulator_packages_stops_before_any_job(
    run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--local checks for the emulator's media packages first (a usage error, exit 2)."""
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "av" else real(name, *a)
    )
    result = run("generate", "--local", "a cat", *SMALL)
    assert result.exit_code == 2 and "videoclient[emulator]" in result.stderr
    assert "missing: av" in result.stderr


@pytest.mark.parametrize("command", ["edit", "extend"])
@pytest.mark.parametrize("name", ["clip.mp4", "out/clip", "CLIP.MOV"])
def test_a_missing_video_file_is_a_usage_error(
    run: Any, emu: EmulatorThread, command: str, name: str
) -> None:
    """A file name that does not exist is exit 2 naming it, not a job id sent to the server."""
    extra = ["--seconds", "4"] if command == "extend" else []
    result = run(command, name, "make it blue", *extra)
    assert result.exit_code == 2 and f"no such file: {name}" in result.stderr, result.output
    assert emu.count(method="POST") == 0


def test_local_jobs_get_a_hint_that_finishes_them_locally(run: Any) -> None:
    """The --local emulator keeps its jobs, so the hint finishes the job there, with --local."""
    result = run("generate", "--local", "slow [emulator:slow]", *SMALL, "--timeout", "0.2")
    assert result.exit_code == 1 and "videoclient --local generate --resume video_" in result.stderr


def test_generate_refuses_existing_output_before_creating(
    run: Any, emu: EmulatorThread, tmp_path: Path
) -> None:
    """An existing -o file is exit 2 before any job is created."""
    (tmp_path / "taken.mp4").write_bytes(b"mine")
    result = run("generate", "x", *SMALL, "-o", "taken.mp4")
    assert result.exit_code == 2 and "taken.mp4 already exists" in result.stderr
    assert emu.count("POST", "/v1/videos") == 0


@pytest.mark.parametrize("mode", ["--json", "--quiet", None])
@pytest.mark.parametrize("command", ["generate", "create"])
def test_a_job_left_behind_by_an_error_is_named_on_stderr(
    run: Any, emu: EmulatorThread, mode: str | None, command: str
) -> None:
    """When a created job's wait ends in an error, stderr names the job and how to get it."""
    extra = ["--wait"] if command == "create" else []
    args = [*([mode] if mode else []), command, "slow [emulator:slow]", *SMALL, *extra]
    result = run(*args, "--timeout", "0.2")
    assert result.exit_code == 1
    assert result.stdout == "" if mode else "queued" in result.stdout  # plain: progress lines
    (video_id,) = [row["id"] for row in as_json(run("--json", "list"))]
    finish = "generate --resume" if command == "generate" else "wait"
    assert f"videoclient {finish} {video_id}" in result.stderr
    if mode == "--json":
        notes = [json.loads(line) for line in result.stderr.splitlines() if '"note"' in line]
        assert notes and notes[0]["note"]["video_id"] == video_id


def test_a_failed_job_needs_no_such_note(run: Any) -> None:
    """A job that failed is not worth waiting for again: no note."""
    result = run("generate", f"doomed {FAIL_TRIGGER}", *SMALL)
    assert result.exit_code == 1 and "videoclient wait" not in result.stderr


def test_generate_failed_job_exits_1(run: Any, tmp_path: Path) -> None:
    """A job that fails makes generate exit 1 with its reason, and no file."""
    result = run("generate", f"doomed {FAIL_TRIGGER}", *SMALL, "-o", "d.mp4")
    assert result.exit_code == 1 and "failed" in result.stderr and not (tmp_path / "d.mp4").exists()


def test_generate_with_a_reference_image_and_fit(
    run: Any, emu: EmulatorThread, tmp_path: Path
) -> None:
    """--input-reference with --fit resizes the image to --size before sending it."""
    from PIL import Image

    Image.new("RGB", (40, 20), (200, 30, 30)).save(tmp_path / "ref.png")
    assert (
        run("create", "x", "--size", "64x64", "-i", "ref.png").exit_code == 2
    )  # wrong size, not sent
    data = as_json(
        run(
            "--json",
            "generate",
            "from an image",
            *SMALL,
            "-i",
            "ref.png",
            "--fit",
            "contain",
            "-o",
            "r.mp4",
        )
    )
    assert data["video"]["status"] == "completed" and emu.jobs_created == 1


def write_batch(tmp_path: Path, n: int, *extra: dict[str, Any]) -> Path:
    lines = [{"prompt": f"scene {i}", "size": "64x64"} for i in range(n)] + list(extra)
    path = tmp_path / "prompts.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return path


def test_batch_json_summary_and_rerun(run: Any, emu: EmulatorThread, tmp_path: Path) -> None:
    """batch writes every video, reports a JSON summary, and a rerun skips them all."""
    write_batch(tmp_path, 4)
    first = as_json(
        run(
            "--json",
            "batch",
            "prompts.jsonl",
            "-c",
            "2",
            "--out",
            "vids",
            "--poll-interval",
            "0.05",
        )
    )
    assert (first["completed"], first["failed"], first["skipped"]) == (4, 0, 0)
    assert first["journal"] == str(Path("vids") / "videoclient-journal.sqlite")
    assert all((tmp_path / r["output"]).exists() for r in first["results"])
    second = as_json(run("--json", "batch", "prompts.jsonl", "--out", "vids"))
    assert second["skipped"] == 4 and emu.jobs_created == 4


def test_batch_plain_lines_and_failures(run: Any, emu: EmulatorThread, tmp_path: Path) -> None:
    """Plain batch output is a line per change and a summary; a failed line exits 1."""
    write_batch(tmp_path, 2, {"prompt": f"bad {FAIL_TRIGGER}", "size": "64x64", "name": "bad"})
    result = run("batch", "prompts.jsonl", "--poll-interval", "0.05")
    assert result.exit_code == 1
    out = result.stdout
    assert "line 1: creating" in out and "line 1: completed" in out and "line 3: failed" in out
    assert "2 completed, 1 failed, 0 skipped" in out and "again to retry" in out
    assert (tmp_path / "prompts-videos" / "0001-scene-0.mp4").exists()


def test_batch_csv_with_journal_path(run: Any, tmp_path: Path) -> None:
    """A CSV batch works and --journal puts the journal where asked."""
    (tmp_path / "p.csv").write_text("prompt,size,name\na cat,64x64,cat\na dog,64x64,dog\n")
    result = as_json(
        run(
            "--json",
            "batch",
            "p.csv",
            "--out",
            "o",
            "--journal",
            "j/run.sqlite",
            "--poll-interval",
            "0.05",
        )
    )
    assert result["completed"] == 2 and (tmp_path / "j/run.sqlite").exists()
    assert sorted(p.name for p in (tmp_path / "o").glob("*.mp4")) == ["cat.mp4", "dog.mp4"]


def test_batch_bad_file_is_usage_error(run: Any, emu: EmulatorThread, tmp_path: Path) -> None:
    """A malformed batch file exits 2 naming the line, before any request."""
    (tmp_path / "bad.jsonl").write_text('{"prompt": "ok"}\n{"promt": "typo"}\n')
    result = run("batch", "bad.jsonl")
    assert result.exit_code == 2 and "bad.jsonl:2" in result.stderr and len(emu.request_log) == 0
    assert run("batch", "missing.jsonl").exit_code == 2


def test_serve_help_lists_the_emulator_flags(run: Any) -> None:
    """serve --help is click's help like every command's, with the emulator's flags."""
    result = run("serve", "--help")
    assert result.exit_code == 0
    assert "Usage: cli serve [OPTIONS]" in result.stdout
    for flag in ("--host", "--port", "--render-seconds", "--fault-rate", "--rate-limit"):
        assert flag in result.stdout


def test_serve_rejects_bad_flags(run: Any) -> None:
    """An invalid emulator flag is a usage error (exit 2)."""
    assert run("serve", "--fail-rate", "7").exit_code == 2


CLI = [sys.executable, "-m", "videoclient.cli"]


def test_quickstart_generate_local_makes_a_playable_mp4(tmp_path: Path) -> None:
    """The README's first command, as typed: --local generate writes an MP4 that decodes."""
    import av

    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    prompt = "a paper boat sailing on a rainy street"
    done = subprocess.run(
        [*CLI, "generate", "--local", prompt, "-o", "demo.mp4"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert b"\x1b" not in done.stdout and done.stdout.decode().splitlines()[-1].startswith(
        "saved demo.mp4 ("
    )
    with av.open(str(tmp_path / "demo.mp4")) as container:
        frames = sum(1 for _ in container.decode(video=0))
    assert frames > 0


def test_local_before_the_command_and_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--local works before the command too, with a short render time and JSON output."""
    monkeypatch.chdir(tmp_path)
    args = [
        "--local",
        "--local-render-seconds",
        "0.1",
        "--json",
        "generate",
        "x",
        *SMALL,
        "-o",
        "l.mp4",
    ]
    result = CliRunner().invoke(cli, args, env={"OPENAI_API_KEY": None})
    data = as_json(result)
    assert data["video"]["status"] == "completed" and (tmp_path / "l.mp4").stat().st_size > 0


@contextlib.contextmanager
def serving(*flags: str) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``videoclient serve --port 0 FLAGS`` running, with its base URL; SIGINT at the end."""
    proc = subprocess.Popen(
        [*CLI, "serve", "--port", "0", *flags], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().decode()
        match = re.search(r"serving (http://\S+/v1)", line)
        assert match, line + (proc.stderr.read().decode() if proc.stderr else "")
        yield proc, match.group(1)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)


def test_serve_runs_the_emulator_until_interrupted(tmp_path: Path) -> None:
    """serve --port 0 listens, answers the CLI, and stops cleanly on SIGINT."""
    with serving("--render-seconds", "0.1") as (proc, base_url):
        listed = subprocess.run(
            [*CLI, "--base-url", base_url, "--api-key", "sk-any", "--json", "list"],
            capture_output=True,
            timeout=60,
        )
        assert listed.returncode == 0 and json.loads(listed.stdout) == []
    assert proc.returncode == 0


def test_serve_gateway_quirks_alone_plays_every_quirk(run: Any) -> None:
    """`videoclient serve --gateway-quirks` with no value is every quirk (as the README says):
    the list route then answers 400; a shape that does not exist is a usage error."""
    assert run("serve", "--gateway-error-shape", "nope").exit_code == 2
    assert run("serve", "--gateway-quirks", "no-such-quirk").exit_code == 2
    with serving("--gateway-quirks") as (_, base_url):
        listed = subprocess.run(
            [*CLI, "--base-url", base_url, "--api-key", "sk-any", "list"],
            capture_output=True,
            timeout=60,
        )
        assert listed.returncode == 3 and b"refuse-list" in listed.stderr
