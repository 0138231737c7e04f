"""``basin serve``: the local dev loop, like ``azmlinfsrv --entry_script score.py``."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

from basin.testing.ports import free_port


def test_basin_serve_runs_a_scoring_script(tmp_path: Path) -> None:
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "weights.txt").write_text("3")
    script = tmp_path / "score.py"
    script.write_text(
        "import json, os\n"
        "def init():\n"
        "    global factor\n"
        "    factor = int(open(os.path.join(os.environ['AZUREML_MODEL_DIR'], 'weights.txt')).read())\n"
        "def run(raw_data):\n"
        "    return [x * factor for x in json.loads(raw_data)['data']]\n"
    )
    port = free_port()
    basin = Path(sys.executable).with_name("basin")
    argv = [
        str(basin),
        "serve",
        "--entry-script",
        str(script),
        "--model-dir",
        str(tmp_path / "model"),
        "--port",
        str(port),
    ]
    process = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        answer = httpx.post(f"http://127.0.0.1:{port}/score", json={"data": [1, 2]})
        assert answer.status_code == 200 and answer.json() == [3, 6]
        assert httpx.get(f"http://127.0.0.1:{port}/swagger.json").status_code == 200
    finally:
        process.terminate()
        process.communicate(timeout=30)
    bad = subprocess.run(
        [
            str(basin),
            "serve",
            "--entry-script",
            str(tmp_path / "missing.py"),
            "--port",
            str(free_port()),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode != 0
