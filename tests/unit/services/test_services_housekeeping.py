"""What a killed server leaves half-made goes at the next start, and nothing whole goes with it.

Found by the crash matrix (tests/e2e/test_crash_matrix.py): a build's work folder, a staging
folder of a laid-out model, blob data of an upload cut short and the upload's blobs without
its completion marker all stayed for good.
"""

from __future__ import annotations

import fcntl
import io
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from uv import find_uv_bin

from basin.archive import TreeHasher
from basin.entities import Workspace
from basin.envbuild import EnvironmentBuilder
from basin.services import datastores, groups, housekeeping, workspaces
from basin.services._folders import STAGING_PREFIX, build_folder
from basin.services.builds import BuildManager
from basin.testing.hygiene import leftovers
from basin.testing.platform import PlatformUnderTest, platform_under_test

KEY = "0123456789abcdef0123456789abcdef"
OTHER = "fedcba9876543210fedcba9876543210"


@pytest.fixture
def put(tmp_path: Path) -> Iterator[PlatformUnderTest]:
    with platform_under_test(tmp_path / "home") as made:
        made.platform.builds = BuildManager(
            EnvironmentBuilder(made.home / "envs", Path(find_uv_bin()))
        )
        groups.create(made.platform, "rg")
        workspaces.create(made.platform, "rg", Workspace(name="ws1"))
        yield made
        made.platform.builds.shutdown()


def _tar(files: dict[str, bytes], name: str = "m") -> tuple[bytes, str]:
    """The tar of a folder ``name`` holding ``files``, and its upload hash."""
    buffer, hasher = io.BytesIO(), TreeHasher(name, True)
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
            hasher.member(name, len(data))
            hasher.update(data)
    return buffer.getvalue(), hasher.hexdigest()


def test_the_sweep_removes_what_a_kill_left_and_keeps_what_is_whole(
    put: PlatformUnderTest,
) -> None:
    platform, home = put.platform, put.home
    workspace = workspaces.get(platform, "rg", "ws1")
    # a whole upload, and one whose marker was never written (killed between the two)
    whole, whole_hash = _tar({"a.txt": b"a"})
    datastores.upload_tar(
        platform, workspace, io.BytesIO(whole), name="m", is_folder=True, expected_hash=whole_hash
    )
    where = datastores.location_of(platform, workspace)
    assert platform.blobs is not None
    cut = "LocalUpload/" + "9" * 64 + "/m/a.txt"
    platform.blobs.put_blob_bytes(where.account, where.container, cut, b"half")
    # blob data written, never committed
    data = platform.blobs.new_data()
    data.write(b"x" * 100_000)  # past the inline limit: on disk already
    # a staging folder of a laid-out model, a made one beside it
    models = home / "serving" / "models"

    def fill(staging: Path) -> None:
        (staging / "f").write_text("f")

    build_folder(models / "made", fill)
    (models / f"{STAGING_PREFIX}abc-12345678").mkdir(parents=True)
    (home / "wheel-cache" / "k").mkdir(parents=True)
    (home / "wheel-cache" / "k" / ".part-x1").write_bytes(b"part")
    # a killed build's folders; and another build's, running now (its key locked)
    envs = home / "envs"
    for key in (KEY, OTHER):
        (envs / "envs" / f".build-{key}-aa").mkdir(parents=True)
        (envs / "work" / f"{key}-aa").mkdir(parents=True)
    assert len(leftovers(home)) >= 7
    with open(envs / "locks" / f"{OTHER}.lock", "a") as running:
        fcntl.flock(running, fcntl.LOCK_EX)
        removed = housekeeping.sweep_after_crash(platform)
    assert removed["uploads"] == 1 and removed["blob files"] >= 1 and removed["builds"] == 1
    assert [str(p.relative_to(home)) for p in leftovers(home)] == [
        f"envs/envs/.build-{OTHER}-aa",
        f"envs/work/{OTHER}-aa",
    ]
    assert datastores.upload_exists(platform, workspace, whole_hash)
    assert (models / "made" / "f").read_text() == "f"
    names = [b.name for b in platform.blobs.iter_blobs(where.account, where.container)]
    assert cut not in names and any(n.startswith(f"LocalUpload/{whole_hash}/") for n in names)
    # the running build's folders go once it is no longer running
    assert housekeeping.sweep_after_crash(platform)["builds"] == 1
    assert leftovers(home) == []


def test_the_sweep_removes_files_a_kill_left_being_replaced_and_keeps_the_replaced(
    put: PlatformUnderTest,
) -> None:
    # the crash matrix found a pid file's; the same holds for credentials, keys, certificates
    home = put.home
    (home / "keys").mkdir(exist_ok=True)
    (home / "tls" / "server").mkdir(parents=True)
    half = [
        home / ".credentials.json.ab12cd_3.tmp",
        home / "keys" / ".manifest.json.zz99yy00.tmp",
        home / "tls" / "server" / ".cert.pem.q1w2e3r4.tmp",
    ]
    for path in half:
        path.write_text("half")
    (home / "tls" / "server" / "cert.pem").write_text("whole")
    removed = housekeeping.sweep_after_crash(put.platform)
    assert removed["temporary files"] == 3
    assert leftovers(home) == []
    assert (home / "tls" / "server" / "cert.pem").read_text() == "whole"
