"""Blob throughput: basin's blob service vs Azurite (the official emulator) vs a raw ``cp``, and
basin through its forward proxy at Azure's host name vs basin direct.

Through the real ``azure-storage-blob`` SDK (shared key), against each server:

* a 256 MiB upload (``upload_blob``: staged 4 MiB blocks + a block list) and its download,
  both with ``max_concurrency`` = ``--concurrency`` (default 4; the same for both servers),
* 1,000 sequential 1 KiB uploads (one ``Put Blob`` each),

and ``cp`` of the same 256 MiB file on the same disk as the ceiling (once plain, once followed by
``sync``). basin runs ``python -m basin.server.blob`` (durable: fsync before every commit);
Azurite 3.35.0 is installed from npm into ``bench/.azurite`` on the first run and started with
``--skipApiVersionCheck --disableTelemetry --loose``. basin also serves its forward proxy in the
same process (``--proxy-port``), and each basin round measures both ways in turn, the order
alternating: direct (``https://127.0.0.1:<port>/devstoreaccount1``) and through the proxy
(``https://devstoreaccount1.blob.core.windows.net`` with ``proxies=``, TLS terminated by the
proxy with a leaf certificate for that name). Both are compared over the same scheme:
HTTPS with certificates from the same basin CA (``--scheme https``, the default, as basin is
deployed), or plain HTTP (``--scheme http``), or both. Rounds alternate between the servers and
the best round of each cell is kept, to damp load from elsewhere on the machine. Prints a
markdown table and writes it to ``bench/results/blob.md``.

    .venv/bin/python bench/blob.py [--scheme https|http|both] [--rounds 3] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from azure.storage.blob import BlobServiceClient

from basin.testing.azurite import AZURITE_VERSION, azurite_blob_command
from basin.tls import ensure_certificate_authority, ensure_server_certificate

sys.path.insert(0, str(Path(__file__).parent))
from _conditions import run_reporting_conditions

ROOT = Path(__file__).resolve().parents[1]
AZURITE_DIR = ROOT / "bench" / ".azurite"
RESULTS = ROOT / "bench" / "results" / "blob.md"
ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
MiB = 1024 * 1024
BIG = 256 * MiB
SMALL_COUNT = 1000


@dataclass
class Cell:
    upload: float = 0.0  # MiB/s, best round
    download: float = 0.0
    small: float = 0.0  # uploads/s
    rounds: list[dict[str, float]] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for_port(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not open port {port}")


@contextmanager
def run_server(command: list[str], port: int, what: str, log: Path) -> Iterator[None]:
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(port, process, what)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def basin_command(
    work: Path, port: int, tls: tuple[Path, Path] | None, proxy_port: int | None = None
) -> list[str]:
    accounts = work / "accounts.json"
    accounts.write_text(json.dumps({ACCOUNT: [KEY]}))
    accounts.chmod(0o600)
    command = [
        sys.executable, "-m", "basin.server.blob", "--root", str(work / "basin-store"),
        "--accounts", str(accounts), "--port", str(port),
    ]  # fmt: skip
    if tls:
        command += ["--cert", str(tls[0]), "--key", str(tls[1])]
    if proxy_port is not None:
        command += ["--proxy-port", str(proxy_port), "--proxy-ca", str(work / "tls")]
    return command


def azurite_command(work: Path, port: int, tls: tuple[Path, Path] | None) -> list[str]:
    return azurite_blob_command(AZURITE_DIR, port, work / "azurite-store", tls, loose=True)


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def measure(
    url: str,
    verify: str | bool,
    payload: bytes,
    small: bytes,
    concurrency: int,
    proxy: str | None = None,
) -> dict[str, float]:
    credential = {"account_name": ACCOUNT, "account_key": KEY}
    extra = {"proxies": {"https": proxy, "http": proxy}} if proxy else {}
    service = BlobServiceClient(url, credential=credential, connection_verify=verify, **extra)
    container = service.get_container_client(f"bench{int(time.time() * 1000)}")
    container.create_container()
    try:
        big = container.get_blob_client("big.bin")
        up = _timed(lambda: big.upload_blob(payload, overwrite=True, max_concurrency=concurrency))
        downloaded: list[bytes] = []
        down = _timed(
            lambda: downloaded.append(big.download_blob(max_concurrency=concurrency).readall())
        )
        if downloaded[0] != payload:
            raise RuntimeError(f"{url}: the download differs from the upload")

        def small_uploads() -> None:
            for i in range(SMALL_COUNT):
                container.upload_blob(f"small/{i:04d}", small, overwrite=True)

        many = _timed(small_uploads)
    finally:
        container.delete_container()
        service.close()
    return {"upload": BIG / MiB / up, "download": BIG / MiB / down, "small": SMALL_COUNT / many}


def record(
    results: dict[tuple[str, str], Cell],
    name: str,
    scheme: str,
    round_number: int,
    figures: dict[str, float],
) -> None:
    cell = results.setdefault((name, scheme), Cell())
    cell.rounds.append(figures)
    cell.upload = max(cell.upload, figures["upload"])
    cell.download = max(cell.download, figures["download"])
    cell.small = max(cell.small, figures["small"])
    print(f"round {round_number + 1} {name:15s} {scheme}: {figures}", file=sys.stderr)


def measure_cp(source: Path, work: Path) -> tuple[float, float]:
    target = work / "copy.bin"
    plain = _timed(lambda: subprocess.run(["cp", str(source), str(target)], check=True))
    target.unlink()
    synced = _timed(
        lambda: subprocess.run(f"cp '{source}' '{target}' && sync", shell=True, check=True)
    )
    target.unlink()
    return BIG / MiB / plain, BIG / MiB / synced


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scheme", choices=["https", "http", "both"], default="https")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    schemes = ["https", "http"] if args.scheme == "both" else [args.scheme]

    payload = os.urandom(BIG)
    small = os.urandom(1024)
    results: dict[tuple[str, str], Cell] = {}
    with tempfile.TemporaryDirectory(prefix="basin-bench-blob-") as tmp:
        work = Path(tmp)
        ca = ensure_certificate_authority(work / "tls")
        cert = ensure_server_certificate(ca, work / "tls", ["127.0.0.1", "localhost"])
        source = work / "source.bin"
        source.write_bytes(payload)
        cp_plain, cp_synced = measure_cp(source, work)
        for scheme in schemes:
            tls = (cert.cert_path, cert.key_path) if scheme == "https" else None
            verify: str | bool = str(ca.cert_path) if tls else False
            for round_number in range(args.rounds):
                for name in ("basin", "Azurite"):
                    port = _free_port()
                    log = work / f"{name}-{scheme}.log"
                    url = f"{scheme}://127.0.0.1:{port}/{ACCOUNT}"
                    if name == "Azurite":
                        with run_server(azurite_command(work, port, tls), port, name, log):
                            record(results, name, scheme, round_number,
                                   measure(url, verify, payload, small, args.concurrency))  # fmt: skip
                    else:
                        proxy_port = _free_port() if scheme == "https" else None
                        command = basin_command(work, port, tls, proxy_port)
                        with run_server(command, port, name, log):
                            ways = [("basin", url, None)]
                            if proxy_port is not None:
                                proxied = f"https://{ACCOUNT}.blob.core.windows.net"
                                proxy = f"http://127.0.0.1:{proxy_port}"
                                ways.append(("basin via proxy", proxied, proxy))
                            if round_number % 2:
                                ways.reverse()
                            for label, target, through in ways:
                                record(results, label, scheme, round_number,
                                       measure(target, verify, payload, small,
                                               args.concurrency, through))  # fmt: skip
                    shutil.rmtree(work / "basin-store", ignore_errors=True)
                    shutil.rmtree(work / "azurite-store", ignore_errors=True)

    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    lines = [
        f"256 MiB upload/download (max_concurrency={args.concurrency}) and 1,000 sequential "
        f"1 KiB uploads through azure-storage-blob; best of {args.rounds} rounds; "
        f"{time.strftime('%Y-%m-%d %H:%M')}, load average at the end {load}.",
        "",
        "| target | upload MiB/s | download MiB/s | 1 KiB uploads/s |",
        "|---|---:|---:|---:|",
    ]
    for scheme in schemes:
        basin, azurite = results[("basin", scheme)], results[("Azurite", scheme)]
        proxied = results.get(("basin via proxy", scheme))
        lines.append(f"| basin ({scheme}) | {basin.upload:.0f} | {basin.download:.0f} | "
                     f"{basin.small:.0f} |")  # fmt: skip
        lines.append(f"| Azurite {AZURITE_VERSION} ({scheme}) | {azurite.upload:.0f} | "
                     f"{azurite.download:.0f} | {azurite.small:.0f} |")  # fmt: skip
        lines.append(
            f"| **basin / Azurite ({scheme})** | **{basin.upload / azurite.upload:.2f}x** | "
            f"**{basin.download / azurite.download:.2f}x** | "
            f"**{basin.small / azurite.small:.2f}x** |"
        )
        if proxied is not None:
            lines.append(
                f"| basin through the proxy at {ACCOUNT}.blob.core.windows.net | "
                f"{proxied.upload:.0f} | {proxied.download:.0f} | {proxied.small:.0f} |"
            )
            lines.append(
                f"| **proxy / direct ({scheme})** | **{proxied.upload / basin.upload:.2f}x** | "
                f"**{proxied.download / basin.download:.2f}x** | "
                f"**{proxied.small / basin.small:.2f}x** |"
            )
    lines.append(f"| `cp` 256 MiB (page cache) | {cp_plain:.0f} | | |")
    lines.append(f"| `cp` 256 MiB + `sync` | {cp_synced:.0f} | | |")
    table = "\n".join(lines)
    print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(table + "\n")
    return 0


if __name__ == "__main__":
    run_reporting_conditions(main)
