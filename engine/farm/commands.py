"""`shotloom farm serve|join|status|token` (registered into engine/cli.py by `register`).

On the GPU side (needs the `farm` extra: Ray):
    shotloom farm serve [--port 8765] [--bind 127.0.0.1] [--tls] [--num-cpus N] [--num-gpus N]
    shotloom farm token [--cluster] [--rotate]           prints the API (or cluster) token
    shotloom farm token --cluster | ssh gpu2 shotloom farm join HEAD_IP:6379
On the creator's machine (no Ray):
    shotloom farm token URL                              saves the token read from stdin for URL
    shotloom farm status URL [--json]
    shotloom render PROJECT --farm URL
"""

from __future__ import annotations

import argparse
import getpass
import json
import signal
import sys
from pathlib import Path
from typing import Any

from engine.errors import ShotloomError

URL_ENV = "SHOTLOOM_FARM_URL"


def register(subparsers: Any, groups: dict[str, Any] | None = None) -> None:
    farm = subparsers.add_parser("farm", help="render on a remote GPU box or a farm of them (Ray)")
    sub = farm.add_subparsers(dest="farm_command", metavar="ACTION", required=True)

    p = sub.add_parser("serve", help="run a farm on this machine: the Ray head, the dispatcher and the farm API",
                       description="Runs the farm on this machine until Ctrl-C. Ray's ports must face only the "
                                   "farm's machines (bind them with --ray-bind, firewall the rest); the API "
                                   "listens on 127.0.0.1 unless --bind says otherwise (use --tls then, or an SSH "
                                   "tunnel).")
    p.add_argument("--port", type=int, default=8765, help="the farm API's port (0: any free port)")
    p.add_argument("--bind", default="127.0.0.1", help="the farm API's address (default 127.0.0.1: SSH tunnels)")
    p.add_argument("--name", action="append", default=[], help="a host name clients use (Host check); repeatable")
    p.add_argument("--tls", action="store_true", help="HTTPS with a self-signed certificate (pinned by clients)")
    p.add_argument("--ray-bind", default="127.0.0.1", help="the address Ray binds (the farm's private network)")
    p.add_argument("--ray-port", type=int, default=6379, help="Ray's GCS port, which joining machines use")
    p.add_argument("--ray-address", default=None,
                   help="serve on a Ray cluster started elsewhere (ray start --head) instead of starting one")
    p.add_argument("--num-cpus", type=int, default=None, help="CPUs this machine gives Ray")
    p.add_argument("--num-gpus", type=int, default=None, help="GPUs this machine gives the farm (default: all)")
    p.add_argument("--workers", type=int, default=None,
                   help="GPU workers on this machine (default: one per GPU, or one on the CPU without a GPU)")
    p.add_argument("--gpu-memory-gb", type=float, default=None, help="memory of each GPU (default: detected)")
    p.add_argument("--max-upload-mb", type=float, default=1024, help="largest input file a job may upload")
    p.add_argument("--keep-days", type=float, default=7, help="days a finished take waits to be fetched")
    p.add_argument("--home", type=Path, default=None, help="the farm's folder (jobs, takes, tokens)")
    p.set_defaults(func=cmd_farm_serve)

    p = sub.add_parser("join", help="add this machine's GPUs to a farm (Ray worker node)")
    p.add_argument("address", help="the farm head's Ray address, IP:PORT (printed by `farm serve`)")
    p.add_argument("--cluster-token-file", type=Path, default=None,
                   help="file holding the farm's cluster token (default: read from stdin, or the one saved)")
    p.add_argument("--num-cpus", type=int, default=None)
    p.add_argument("--num-gpus", type=int, default=None)
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--gpu-memory-gb", type=float, default=None)
    p.add_argument("--node-ip", default=None, help="this machine's address on the farm's private network")
    p.add_argument("--home", type=Path, default=None)
    p.set_defaults(func=cmd_farm_join)

    p = sub.add_parser("status", help="nodes, GPUs, workers and jobs of a farm")
    p.add_argument("url", nargs="?", default=None, help=f"the farm's URL (default: ${URL_ENV})")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_farm_status)

    p = sub.add_parser("token", help="print this farm's token, or save a farm's token (read from stdin) for URL")
    p.add_argument("url", nargs="?", default=None, help="on the creator's machine: the farm whose token to save")
    p.add_argument("--cluster", action="store_true", help="the Ray cluster token (for `farm join`) instead")
    p.add_argument("--rotate", action="store_true", help="make a new token (restart `farm serve` to use it)")
    p.add_argument("--home", type=Path, default=None)
    p.set_defaults(func=cmd_farm_token)


def _need_ray() -> None:
    try:
        import ray  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise ShotloomError("the farm's GPU side needs Ray, which this install lacks; install it with "
                            "`bash installer/install.sh --farm` (or pip install 'shotloom[farm]').") from None


def _ray_for(home: Path) -> None:
    """Ray's token settings for this process, set before Ray is first imported (it reads them then)."""
    import os

    from engine.farm.cluster import ray_environment

    os.environ.update(ray_environment(home))
    _need_ray()


def cmd_farm_serve(args: argparse.Namespace) -> int:
    from engine.farm.cluster import connect, farm_home, node_options, start_farm, start_head

    home = farm_home(args.home)
    _ray_for(home)
    import ray

    head = None
    if args.ray_address:
        address = args.ray_address
    else:
        options = node_options(num_gpus=args.num_gpus, workers=args.workers, gpu_memory_gb=args.gpu_memory_gb)
        head, address = start_head(home, ray_bind=args.ray_bind, ray_port=args.ray_port, num_cpus=args.num_cpus,
                                   options=options)
    try:
        connect(address, home, head=head)
        farm = start_farm(home, bind=args.bind, port=args.port, names=tuple(args.name), tls=args.tls,
                          max_upload_bytes=int(args.max_upload_mb * (1 << 20)), keep_days=args.keep_days)
        print(f"farm: serving {farm.url}", flush=True)
        print(f"farm: answers to the host names {', '.join(sorted(farm.hosts))} (add others with --name)", flush=True)
        print(f"farm: API token in {home / 'token'} (`shotloom farm token` prints it)", flush=True)
        if farm.fingerprint:
            print(f"farm: certificate sha256 {farm.fingerprint}", flush=True)
        print(f"farm: GPU machines join with `shotloom farm token --cluster | ssh GPU-MACHINE shotloom farm join "
              f"{address}`", flush=True)
        # uvicorn stops on SIGINT / SIGTERM, then raises the signal again for the handler it found:
        # ours makes SIGTERM (a service manager's stop) end here too, so the head is stopped below.
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            farm.server.run()
        except KeyboardInterrupt:
            pass
        print("farm: stopped", flush=True)
        return 0
    finally:
        if ray.is_initialized():
            ray.shutdown()
        if head is not None:
            head.terminate()  # `ray start --block` stops the head's processes when it is told to
            try:
                head.wait(60)
            except Exception:  # noqa: BLE001 — it must not outlive us
                head.kill()


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def cmd_farm_join(args: argparse.Namespace) -> int:
    _need_ray()  # `ray start` runs in a child process, with the cluster token in its environment
    from engine.farm.cluster import CLUSTER_TOKEN, farm_home, join, node_options
    from engine.farm.security import read_secret, write_secret

    home = farm_home(args.home)
    if args.cluster_token_file is not None:
        write_secret(home / CLUSTER_TOKEN, read_secret(args.cluster_token_file, "cluster token"))
    elif not sys.stdin.isatty():
        token = sys.stdin.readline().strip()
        if token:
            write_secret(home / CLUSTER_TOKEN, token)
    if not (home / CLUSTER_TOKEN).exists():
        raise ShotloomError(f"no cluster token: on the farm run `shotloom farm token --cluster` and pipe it here "
                            f"(`... | shotloom farm join {args.address}`), or pass --cluster-token-file.")
    options = node_options(num_gpus=args.num_gpus, workers=args.workers, gpu_memory_gb=args.gpu_memory_gb)
    print(f"farm: joining {args.address} with {options['num_gpus']} GPU(s), "
          f"{int(options['resources']['shotloom_worker'])} worker(s); Ctrl-C leaves the farm", flush=True)
    try:
        code = join(args.address, home, options=options, num_cpus=args.num_cpus, node_ip=args.node_ip)
    except KeyboardInterrupt:
        return 0
    if code not in (0, -2, 130):
        raise ShotloomError(f"this machine could not join the farm at {args.address} (ray exited {code}); check the "
                            "address, the cluster token and the firewall between the machines.")
    return 0


def _url(args: argparse.Namespace) -> str:
    import os

    url = args.url or os.environ.get(URL_ENV)
    if not url:
        raise ShotloomError(f"say which farm: `shotloom farm status URL` (or set {URL_ENV}).")
    return url


def cmd_farm_status(args: argparse.Namespace) -> int:
    from engine.farm.client import FarmClient

    status = FarmClient(_url(args)).status()
    if args.json:
        print(json.dumps(status.model_dump(mode="json"), indent=1))
        return 0
    alive = [n for n in status.nodes if n.alive]
    print(f"farm {_url(args)}: {len(alive)} node(s), {status.gpus} GPU(s), "
          f"{sum(1 for w in status.workers if w.state in ('idle', 'busy'))} worker(s) ready")
    for node in status.nodes:
        vram = f", {node.vram_bytes / (1 << 30):.0f} GiB each" if node.vram_bytes else ""
        state = "" if node.alive else "  (gone)"
        print(f"  node {node.id[:8]}  {node.host or node.address}  {node.gpus:g} GPU(s){vram}, "
              f"{node.workers} worker(s){state}")
    for worker in status.workers:
        busy = f"  job {worker.job[:8]}" if worker.job else ""
        warm = f"  warm: {worker.model}" if worker.model else ""
        print(f"  worker {worker.id[:8]}  {worker.state:<8} on {worker.host or worker.node[:8]}{busy}{warm}")
    counts = ", ".join(f"{n} {s}" for s, n in sorted(status.jobs.items())) or "none"
    print(f"  jobs: {counts}")
    return 0


def cmd_farm_token(args: argparse.Namespace) -> int:
    from engine.farm.security import ensure_secret, new_token, write_secret

    if args.url:
        return _save_token(args.url)
    from engine.farm.cluster import API_TOKEN, CLUSTER_TOKEN, farm_home

    path = farm_home(args.home) / (CLUSTER_TOKEN if args.cluster else API_TOKEN)
    if args.rotate:
        write_secret(path, new_token())
        print(f"farm: a new token is in {path}; restart `shotloom farm serve` to use it", file=sys.stderr)
    print(ensure_secret(path, "cluster token" if args.cluster else "token"))
    return 0


def _save_token(url: str) -> int:
    from engine.farm.client import FarmClient
    from engine.farm.security import KnownFarms, farm_base

    if sys.stdin.isatty():
        token = getpass.getpass(f"token of the farm {farm_base(url)}: ").strip()
    else:
        token = sys.stdin.readline().strip()
    if not token:
        raise ShotloomError("no token given; paste the output of `shotloom farm token` (run on the farm).")
    known = KnownFarms()
    client = FarmClient(url, token, known=known)
    client.pin = None  # saving a token (again) trusts the certificate the farm shows now
    status = client.status()  # checks the token (and pins an HTTPS certificate on first use)
    known.update(url, token=token)
    print(f"saved the token for {client.url} ({len([n for n in status.nodes if n.alive])} node(s), "
          f"{status.gpus} GPU(s)){'; certificate pinned ' + client.pin[:16] + '…' if client.pin else ''}")
    return 0
