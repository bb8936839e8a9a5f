"""Starting a farm on the GPU side: the Ray head, joining machines, the dispatcher and the API.

Network layout (what faces whom):

    creator's machine ──HTTPS or SSH tunnel──► farm API   (--bind, --port; token + Host check)
                                               Ray head   (--ray-bind IP:--ray-port, Ray token)
    GPU machines ──────── private network ───► Ray head   (`shotloom farm join IP:PORT`)

- Ray's own ports (GCS 6379, the raylets' and object managers' ports, workers' ports) must only be
  reachable from the farm's machines: bind Ray to the private interface (`--ray-bind`) and let the
  firewall admit only the farm's subnet, e.g. `ufw allow from 10.0.0.0/24 to any port 6379` (and the
  node, object manager and worker port ranges), `ufw deny 6379`. Ray's token (RAY_AUTH_MODE=token)
  guards its control plane; it does not cover the farm API, whose own guard does.
- Ray's dashboard listens on 127.0.0.1 only (reach it with `ssh -L 8265:127.0.0.1:8265 gpu-box`).
- The farm API listens on 127.0.0.1 by default: reach it through `ssh -N -L 8765:127.0.0.1:8765
  gpu-box` and use `--farm http://127.0.0.1:8765`. To face a network, give `--bind` and `--tls`
  (a self-signed certificate, pinned by clients on first use) and `--name` for each host name.
- Tokens: HOME/token (the API's) and HOME/cluster-token (Ray's), mode 0600.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.farm.security import FarmError, allowed_hosts, ensure_certificate, ensure_secret, read_secret

API_TOKEN = "token"
CLUSTER_TOKEN = "cluster-token"
NAMESPACE = "shotloom"
WORKER_RESOURCE = "shotloom_worker"
VRAM_RESOURCE = "shotloom_vram_mib"


def farm_home(path: Path | None = None) -> Path:
    if path is None:
        from engine.paths import user_data_dir

        path = user_data_dir() / "farm"
    path = Path(path).expanduser().absolute()
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def ray_environment(home: Path) -> dict[str, str]:
    """Ray's token authentication for every process of this node (the token made once, 0600)."""
    ensure_secret(home / CLUSTER_TOKEN, "cluster token")
    return {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": str(home / CLUSTER_TOKEN),
            "RAY_USAGE_STATS_ENABLED": "0"}


def detect_gpus() -> list[int]:
    """Memory of each NVIDIA GPU in MiB (nvidia-smi); empty without one."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return []
    try:
        out = subprocess.run([smi, "--query-gpu=memory.total", "--format=csv,noheader,nounits"], check=True,
                             capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [int(float(line)) for line in out.split() if line.strip()]


def node_options(*, num_gpus: int | None, workers: int | None, gpu_memory_gb: float | None) -> dict[str, Any]:
    """GPUs, worker slots and per-GPU memory this machine offers the farm (detected, or as given).
    A machine without a GPU offers one CPU worker (tiny models, trying the farm out)."""
    detected = detect_gpus()
    gpus = len(detected) if num_gpus is None else num_gpus
    slots = workers if workers is not None else (gpus or 1)
    vram_mib = int(gpu_memory_gb * 1024) if gpu_memory_gb else (min(detected) if detected else None)
    resources: dict[str, float] = {WORKER_RESOURCE: slots}
    if vram_mib:
        resources[VRAM_RESOURCE] = vram_mib
    return {"num_gpus": gpus, "resources": resources}


def _ray_command() -> list[str]:
    exe = Path(sys.executable).with_name("ray")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "ray.scripts.scripts"]


def _ray_start_args(options: dict[str, Any], num_cpus: int | None) -> list[str]:
    args = [f"--num-gpus={options['num_gpus']}", f"--resources={json.dumps(options['resources'])}",
            "--disable-usage-stats"]
    if num_cpus is not None:
        args.append(f"--num-cpus={num_cpus}")
    return args


def start_head(home: Path, *, ray_bind: str, ray_port: int, num_cpus: int | None,
               options: dict[str, Any]) -> tuple[subprocess.Popen[bytes], str]:
    """`ray start --head --block` in a session of its own (its log in HOME/ray-head.log); returns the
    process and the address GPU machines join. Stopping the process stops the head."""
    address = f"{ray_bind}:{ray_port}"
    log = open(home / "ray-head.log", "ab")  # noqa: SIM115 — the child keeps it open
    cmd = [*_ray_command(), "start", "--head", "--block", f"--port={ray_port}", f"--node-ip-address={ray_bind}",
           "--dashboard-host=127.0.0.1", *_ray_start_args(options, num_cpus)]
    proc = subprocess.Popen(cmd, stdout=log, stderr=log, env={**os.environ, **ray_environment(home)},
                            start_new_session=True)
    return proc, address


def connect(address: str, home: Path, *, head: subprocess.Popen[bytes] | None = None, timeout: float = 120) -> None:
    """ray.init against `address` (waiting for a head that is starting)."""
    import ray

    os.environ.update(ray_environment(home))
    deadline = time.monotonic() + timeout
    while True:
        if head is not None and head.poll() is not None:
            tail = (home / "ray-head.log").read_text(errors="replace").strip().splitlines()[-1:] or ["(no log)"]
            raise FarmError(f"the Ray head stopped (exit {head.returncode}): {tail[0][:200]}; see {home / 'ray-head.log'}")
        try:
            ray.init(address=address, namespace=NAMESPACE, log_to_driver=False, logging_level="warning")
            return
        except (ConnectionError, RuntimeError, ValueError) as exc:
            if time.monotonic() > deadline:
                raise FarmError(f"cannot connect to the Ray cluster at {address} ({exc}); check the address, "
                                "the cluster token and the firewall.") from None
            time.sleep(1.0)


@dataclass
class Farm:
    """A running farm in this process: the dispatcher actor and the API server."""

    home: Path
    url: str
    token: str
    dispatcher: Any
    server: Any
    hosts: frozenset[str]
    fingerprint: str | None = None


def start_farm(home: Path, *, bind: str = "127.0.0.1", port: int = 8765, names: tuple[str, ...] = (),
               tls: bool = False, max_upload_bytes: int = 1 << 30, keep_days: float = 7.0,
               max_attempts: int = 3) -> Farm:
    """The dispatcher (pinned to this node, restarted by Ray if it dies) and the HTTP API on
    bind:port (0: any free port). Ray must be initialised (`connect`)."""
    import hashlib

    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    from engine import __version__
    from engine.farm.dispatcher import RemoteDispatcher
    from engine.farm.server import ApiServer, listen, make_app

    token = ensure_secret(home / API_TOKEN)
    hosts = allowed_hosts(bind, list(names))
    cert = key = fingerprint = None
    if tls:
        cert, key, fingerprint = ensure_certificate(home, sorted(hosts))
    config = {"max_upload_bytes": max_upload_bytes, "keep_days": keep_days, "max_attempts": max_attempts,
              "tls": tls, "version": __version__}
    name = "farm-dispatcher-" + hashlib.sha256(str(home).encode()).hexdigest()[:12]
    dispatcher = RemoteDispatcher.options(
        # Restarted by Ray if its process dies (it reloads its state from disk); calls made meanwhile
        # are retried (each is idempotent: submissions carry their key).
        name=name, namespace=NAMESPACE, get_if_exists=True, num_cpus=0, max_restarts=-1, max_task_retries=-1,
        max_concurrency=1000,
        scheduling_strategy=NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(), soft=False),
    ).remote(str(home), config)
    ray.get(dispatcher.ping.remote())
    sock = listen(bind, port)
    app = make_app(dispatcher, home, token=token, hosts=hosts, max_upload_bytes=max_upload_bytes)
    server = ApiServer(app, sock, cert=cert, key=key)
    host = f"[{bind}]" if ":" in bind else ("127.0.0.1" if bind in ("0.0.0.0", "") else bind)
    url = f"{'https' if tls else 'http'}://{host}:{server.port}"
    return Farm(home, url, token, dispatcher, server, hosts, fingerprint)


def join(address: str, home: Path, *, options: dict[str, Any], num_cpus: int | None,
         node_ip: str | None) -> int:
    """`ray start --address ADDRESS --block` with the cluster token: blocks while this machine is
    part of the farm; returns ray's exit code."""
    read_secret(home / CLUSTER_TOKEN, "cluster token")
    cmd = [*_ray_command(), "start", f"--address={address}", "--block", *_ray_start_args(options, num_cpus)]
    if node_ip:
        cmd.append(f"--node-ip-address={node_ip}")
    return subprocess.call(cmd, env={**os.environ, **ray_environment(home)})
