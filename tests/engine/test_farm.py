"""The render farm on Ray, on CPU: one local Ray cluster for the whole run (`ray.cluster_utils.Cluster`,
a head and two nodes with one fake GPU each, Ray's token authentication on), the real
`shotloom farm serve --ray-address` as the farm, tiny models, and the creator's side as a person
uses it: `shotloom farm token|status`, `shotloom render P --farm URL`, and the farm's HTTP API.

The order matters: the last test kills a node.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from gen_fixtures import make_clip, tiny_models, tiny_models_dir  # noqa: F401

from engine.farm.client import CorruptDownload, FarmClient
from engine.farm.protocol import JobSubmit
from engine.jobs.tasks import count_decodable_frames

REPO = Path(__file__).resolve().parents[2]
SMALL_GPU_MIB, BIG_GPU_MIB = 8 * 1024, 80 * 1024
MAX_UPLOAD = 1 << 20


def shotloom(*args: object, env: dict | None = None, stdin: str | None = None,
             timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine.cli", *map(str, args)], check=False, capture_output=True,
                          text=True, cwd=REPO, env={**os.environ, **(env or {})}, input=stdin, timeout=timeout)


class Farm:
    def __init__(self, cluster, nodes: dict, home: Path, url: str, proc: subprocess.Popen) -> None:
        self.cluster, self.nodes, self.home, self.url, self.proc = cluster, nodes, home, url, proc
        self.token = (home / "token").read_text().strip()

    def client(self, token: str | None = None) -> FarmClient:
        return FarmClient(self.url, token or self.token)

    def wait_workers(self, n: int, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if sum(1 for w in self.client().status().workers if w.state == "idle") >= n:
                return
            time.sleep(0.25)
        raise AssertionError(f"fewer than {n} farm workers became ready: {self.client().status()}")


@pytest.fixture(scope="module")
def farm(tmp_path_factory, tiny_models_dir):  # noqa: F811
    """One Ray cluster (head without workers, two nodes with a fake GPU each: a small and a large one)
    and `shotloom farm serve` on it, for the whole module. Ray reads its token settings when it is
    first imported, so it is imported here, after they are set."""
    from engine.farm.security import write_secret

    home = tmp_path_factory.mktemp("farm_home")
    write_secret(home / "cluster-token", "test-cluster-token-" + "x" * 24)
    saved = dict(os.environ)
    # Every Ray process of the cluster: token auth, tiny models in the session's model folder, no hub.
    os.environ.update({"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": str(home / "cluster-token"),
                       "RAY_USAGE_STATS_ENABLED": "0", "SHOTLOOM_HOME": str(tiny_models_dir.parents[1]),
                       "HF_HUB_OFFLINE": "1"})
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={
        "num_cpus": 1, "include_dashboard": False,
        "_system_config": {"health_check_period_ms": 500, "health_check_failure_threshold": 4,
                           "health_check_initial_delay_ms": 0}})
    nodes = {
        "small": cluster.add_node(num_cpus=1, num_gpus=1,
                                  resources={"shotloom_worker": 1, "shotloom_vram_mib": SMALL_GPU_MIB}),
        "big": cluster.add_node(num_cpus=1, num_gpus=1, resources={"shotloom_worker": 1, "shotloom_vram_mib": BIG_GPU_MIB}),
    }
    cluster.wait_for_nodes()
    log = open(home / "serve.log", "w")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-m", "engine.cli", "farm", "serve", "--ray-address", cluster.address,
                             "--port", "0", "--home", home, "--max-upload-mb", str(MAX_UPLOAD / (1 << 20))],
                            stdout=subprocess.PIPE, stderr=log, text=True, cwd=REPO)
    url = None
    for line in proc.stdout:
        if line.startswith("farm: serving "):
            url = line.split()[-1]
            break
    assert url, (home / "serve.log").read_text()[-3000:]
    os.environ.clear()
    os.environ.update(saved)
    farm = Farm(cluster, nodes, home, url, proc)
    farm.wait_workers(2)
    yield farm
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
    cluster.shutdown()


def raw(farm: Farm, method: str, path: str, *, headers: dict | None = None, body: bytes | None = None):
    host, port = farm.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def noop(key: str, **params) -> JobSubmit:
    return JobSubmit(key=key, kind="noop", params={"output": True, **params})


# -- security -------------------------------------------------------------------------------------

def test_refused_requests(farm, tmp_path):
    token = {"Authorization": f"Bearer {farm.token}"}
    assert raw(farm, "GET", "/v1/farm", headers=token)[0] == 200
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": farm.token},
                    {"Authorization": f"Basic {farm.token}"}):
        status, head, body = raw(farm, "GET", "/v1/farm", headers=headers)
        assert (status, body) == (401, b"")  # 401 and nothing else
        assert head.get("www-authenticate") == "Bearer"
    # Routes that do not exist are no different without the token (nothing to probe).
    assert raw(farm, "GET", "/v1/nothing-here")[0] == 401
    status, _, body = raw(farm, "GET", "/v1/farm", headers={**token, "Host": "evil.example:80"})
    assert status == 421 and "host" in json.loads(body)["error"]

    client = farm.client()
    # A recipe naming a file outside the job's uploads, in every way a path can sneak in.
    clip = make_clip(tmp_path / "clip.mp4", frames=9, size=(64, 64))
    sha = client.upload(clip)
    request = {"task": "extend", "model": "tiny-ltx", "prompt": "more", "seconds": 0.3,
               "source": {"path": "inputs/a.mp4", "start": 0}}
    for bad in ("/etc/passwd", "inputs/../../token", "../farm.sqlite", "inputs/sub/a.mp4", "inputs/b.mp4"):
        sub = {"key": "bad-path", "kind": "extend", "inputs": {"inputs/a.mp4": sha},
               "params": {"request": {**request, "source": {"path": bad, "start": 0}}, "take_id": "t"}}
        status, _, body = raw(farm, "POST", "/v1/jobs", headers={**token, "Content-Type": "application/json"},
                              body=json.dumps(sub).encode())
        assert status == 422, (bad, body)
        assert "not a file uploaded with the job" in json.loads(body)["error"]
    # Not data the request models know (an extra field), a kind that reads the project, code.
    for params, kind, words in (({"request": {**request, "source": {"path": "inputs/a.mp4"}, "exec": "import os"},
                                  "take_id": "t"}, "extend", "Extra inputs are not permitted"),
                                ({"project": "/x", "out": "/tmp/x.mp4"}, "export", "kind"),
                                ({"steps": 1, "__reduce__": "os.system"}, "noop", "Extra inputs are not permitted")):
        sub = {"key": "bad", "kind": kind, "params": params, "inputs": {"inputs/a.mp4": sha}}
        status, _, body = raw(farm, "POST", "/v1/jobs", headers={**token, "Content-Type": "application/json"},
                              body=json.dumps(sub).encode())
        assert status == 422 and words in json.loads(body)["error"], body
    # An input that was never uploaded.
    sub = {"key": "missing", "kind": "extend", "inputs": {"inputs/a.mp4": "0" * 64},
           "params": {"request": request, "take_id": "t"}}
    status, _, body = raw(farm, "POST", "/v1/jobs", headers={**token, "Content-Type": "application/json"},
                          body=json.dumps(sub).encode())
    assert status == 422 and "was not uploaded" in json.loads(body)["error"]
    # An oversized upload is refused from its Content-Length, before its body is read.
    big = b"\0" * (MAX_UPLOAD + 1)
    status, _, body = raw(farm, "PUT", "/v1/blobs/" + "1" * 64, headers={**token, "Content-Length": str(len(big))})
    assert status == 413 and "at most" in json.loads(body)["error"]
    # An upload that does not match its hash is not kept.
    status, _, body = raw(farm, "PUT", "/v1/blobs/" + "2" * 64, headers=token, body=b"not the right bytes")
    assert status == 400 and "does not match its sha256" in json.loads(body)["error"]
    assert not client.has_blob("2" * 64) and client.has_blob(sha)
    assert not list((farm.home / "blobs").glob(".*"))  # no partial upload left behind


def test_tokens_and_status_on_the_command_line(farm, tmp_path):
    for name in ("token", "cluster-token", "farms.json"):
        path = farm.home / name
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
    res = shotloom("farm", "token", "--home", farm.home)
    assert res.returncode == 0 and res.stdout.strip() == farm.token

    # The creator's machine: no token yet, a wrong one, then the right one saved from stdin.
    env = {"SHOTLOOM_FARM_TOKEN": ""}
    res = shotloom("farm", "status", farm.url, env=env)
    assert res.returncode == 1 and "no token for the farm" in res.stderr and len(res.stderr.splitlines()) == 1
    res = shotloom("farm", "token", farm.url, stdin="not-the-token\n", env=env)
    assert res.returncode == 1 and "refused the token" in res.stderr and "Traceback" not in res.stderr
    res = shotloom("farm", "token", farm.url, stdin=farm.token + "\n", env=env)
    assert res.returncode == 0 and "saved the token" in res.stdout, res.stderr
    saved = Path(os.environ["SHOTLOOM_HOME"]) / "config" / "farms.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    res = shotloom("farm", "status", farm.url, "--json", env=env)
    assert res.returncode == 0, res.stderr
    status = json.loads(res.stdout)
    assert sum(n["gpus"] for n in status["nodes"] if n["alive"]) == 2
    assert {w["vram_bytes"] for w in status["workers"]} == {SMALL_GPU_MIB << 20, BIG_GPU_MIB << 20}
    res = shotloom("farm", "status", farm.url, env=env)
    assert res.returncode == 0 and "2 GPU(s)" in res.stdout
    # A token file others can read is refused.
    loose = tmp_path / "token"
    loose.write_text(farm.token)
    loose.chmod(0o644)
    res = shotloom("farm", "join", "127.0.0.1:1", "--cluster-token-file", loose, "--home", tmp_path / "h")
    assert res.returncode == 1 and "chmod 600" in res.stderr
    # Unreachable farm: one line, exit 1.
    res = shotloom("farm", "status", "http://127.0.0.1:9", env={"SHOTLOOM_FARM_TOKEN": "x"})
    assert res.returncode == 1 and "cannot reach the farm" in res.stderr and len(res.stderr.splitlines()) == 1


# -- scheduling ------------------------------------------------------------------------------------

def test_a_job_goes_to_a_gpu_it_fits(farm):
    """The planner's figure decides where a job may run: a real-size job needs more than the small
    GPU has, so it goes to the large one (where the model is fetched before it runs: offline here,
    so it fails saying so); one larger than every GPU waits, saying why."""
    client = farm.client()
    fits_big = {"task": "text_to_video", "model": "ltx-video-2b", "prompt": "a city", "tier": "gpu"}
    job = client.submit(JobSubmit(key="fits-big", kind="generate", params={"request": fits_big, "take_id": "x"}))
    assert SMALL_GPU_MIB << 20 < job.need_bytes < BIG_GPU_MIB << 20
    job = client.wait(job.id, timeout=60)
    big = farm.nodes["big"].node_id
    assert job.status == "failed" and job.node == big, job
    assert "ltx-video-2b" in job.error and "download" in job.error, job.error

    # 257 frames decoded at 2560x1440 in one piece: the planner (real configs) needs about 120 GiB.
    too_big = {**fits_big, "width": 2560, "height": 1440, "frames": 257}
    job = client.submit(JobSubmit(key="too-big", kind="generate", params={"request": too_big, "take_id": "y"}))
    if job.need_bytes is None or job.need_bytes <= BIG_GPU_MIB << 20:
        pytest.fail(f"the planner should need more than {BIG_GPU_MIB} MiB for {too_big}: {job.need_bytes}")
    time.sleep(1.5)
    job = client.job(job.id)
    assert job.status == "queued" and "waiting for a GPU with" in job.message
    assert client.cancel(job.id).status == "canceled"


def test_cancel_reaches_the_denoise_loop(farm, tiny_models):  # noqa: F811
    client = farm.client()
    request = {"task": "text_to_video", "model": "tiny-ltx", "prompt": "a long rain", "seed": 5, "steps": 500,
               "seconds": 0.4, "width": 256, "height": 256}  # steps of some milliseconds, not a few
    job = client.submit(JobSubmit(key="doomed", kind="generate", params={"request": request, "take_id": "doomed"}))
    after, steps = 0, []
    deadline = time.monotonic() + 180
    while not steps or steps[-1] < 3:
        assert time.monotonic() < deadline, client.job(job.id)
        events, after, job = client.events(job.id, after, wait=5)
        steps += [e.done for e in events if e.type == "progress" and e.total]
    assert client.cancel(job.id).status in ("running", "canceled")
    job = client.wait(job.id, timeout=60)
    assert job.status == "canceled" and not job.files
    stopped = int(job.message.rsplit(" ", 1)[-1])  # "canceled at step N": where the runner stopped
    # Of 500 steps: stopped in the loop soon after the cancel (how many ran meanwhile depends on the
    # machine's load: at 64x64, 104 tiny steps once ran between the cancel and the check).
    assert steps[-1] <= stopped < 250
    # The worker is free again and keeps its pipeline warm: a short job on the same model runs.
    request.update(steps=2, seed=6, width=64, height=64)
    quick = client.wait(client.submit(JobSubmit(key="after-cancel", kind="generate",
                                                params={"request": request, "take_id": "q"})).id, timeout=120)
    assert quick.status == "succeeded", quick.error
    assert any(w.model == "tiny-ltx" for w in client.status().workers)


# -- downloads -------------------------------------------------------------------------------------

def test_download_resumes_and_a_corrupted_take_is_refused(farm, tmp_path):
    client = farm.client()
    job = client.wait(client.submit(noop("download", steps=24, step_seconds=0)).id, timeout=60)
    assert job.status == "succeeded" and [f.name for f in job.files] == ["noop.mp4"]
    entry = job.files[0]
    on_farm = farm.home / "jobs" / job.id / "take" / "noop.mp4"
    data = on_farm.read_bytes()

    # A download that stopped half-way resumes from where it stopped (HTTP Range).
    folder = tmp_path / "take"
    folder.mkdir()
    (folder / ".noop.mp4.download").write_bytes(data[: len(data) // 2])
    seen = []
    client.download(job, folder, progress=lambda done, total, msg="": seen.append(done))
    assert (folder / "noop.mp4").read_bytes() == data and not (folder / ".noop.mp4.download").exists()
    assert min(seen) > len(data) // 2  # the first half was not fetched again
    assert count_decodable_frames(folder / "noop.mp4") == 24

    # The farm's copy damaged on its disk: the download is refused by its hash and nothing is kept.
    damaged = bytearray(data)
    damaged[len(damaged) // 3] ^= 0xFF
    on_farm.write_bytes(bytes(damaged))
    other = tmp_path / "other"
    with pytest.raises(CorruptDownload, match="arrived corrupted"):
        client.download(job, other)
    assert list(other.iterdir()) == []
    assert entry.sha256 != __import__("hashlib").sha256(bytes(damaged)).hexdigest()


# -- the creator's side -----------------------------------------------------------------------------

def test_render_on_the_farm_lands_takes_and_survives_a_disconnect(farm, tmp_path, tiny_models):  # noqa: F811
    """`shotloom render P --farm URL`: an extension of imported footage (the clip is uploaded with
    its job) and a slow shot. The render is killed while the farm works (a laptop that sleeps);
    the next render picks the same farm job up, downloads its take and adds both takes."""
    from engine.gen.takes import add_generated_shot
    from engine.project import Project

    (tmp_path / "footage").mkdir()
    clip = make_clip(tmp_path / "footage" / "walk.mp4", frames=24, size=(64, 64))
    project_path = tmp_path / "film.shotloom"
    assert shotloom("new", project_path, "--size", "64x64").returncode == 0
    res = shotloom("import", project_path, clip, "--no-proxy")
    assert res.returncode == 0, res.stderr
    project = Project.open(project_path, writer="test")
    walk = project.shots()[0].id
    ext = add_generated_shot(project, prompt="and on", task="extend", model="tiny-ltx", source_shot=walk,
                             seconds=0.34, seed=2)
    slow = add_generated_shot(project, prompt="slowly", model="tiny-ltx", seconds=0.4, seed=3, steps=150)
    project.save()
    project.close()
    env = {"SHOTLOOM_FARM_TOKEN": farm.token}
    client = farm.client()

    render = subprocess.Popen([sys.executable, "-m", "engine.cli", "render", project_path, "--farm", farm.url],
                              cwd=REPO, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              start_new_session=True)
    deadline = time.monotonic() + 240
    running = None
    while running is None:
        assert time.monotonic() < deadline and render.poll() is None, render.communicate()
        running = next((j for j in client.jobs() if slow[:8] in j.label and j.status == "running"
                        and j.progress > 0.05), None)
        time.sleep(0.2)
    os.killpg(render.pid, signal.SIGKILL)  # the render and its farm agent, mid-job
    render.wait()

    res = shotloom("render", project_path, "--farm", farm.url, env=env)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "shot(s) generated" in res.stdout
    project = Project.open(project_path)
    shots = {s.id: s for s in project.shots()}
    assert [s.status for s in shots.values()] == ["ready"] * 3
    assert len(shots[ext].takes) == 1 and len(shots[slow].takes) == 1
    for shot_id in (ext, slow):
        take = shots[shot_id].takes[0]
        assert take.path.parent.parent == project_path / "media" / "generated"
        recipe = json.loads((take.path.parent / "recipe.json").read_text())
        assert count_decodable_frames(take.path) == recipe["output"]["frames"] == shots[shot_id].frames
        assert count_decodable_frames(take.path.parent / "scrub.mp4") == recipe["output"]["frames"]
    # The extension read the imported clip, uploaded with its job; its recipe names the creator's file.
    recipe = json.loads((shots[ext].takes[0].path.parent / "recipe.json").read_text())
    assert Path(recipe["request"]["source"]["path"]) == clip.resolve()
    assert shots[ext].sources == (walk,)  # recorded as made from that shot (it goes stale when the shot changes)
    # The slow shot was rendered once, by the farm job that ran while the first render was killed.
    record = json.loads((shots[slow].takes[0].path.parent / "farm-job.json").read_text())
    assert record["farm"]["job"] == running.id and record["farm"]["attempts"] == 1
    assert not [j for j in client.jobs() if slow[:8] in j.label]  # fetched, then freed on the farm
    assert not list((project_path / "media" / "generated").glob(".*"))  # nothing partial left


def test_render_refuses_a_recipe_naming_a_file_outside_the_project(farm, tmp_path):
    """A start image the project neither holds nor uses is never sent to the farm."""
    import numpy as np

    from engine.gen.takes import add_generated_shot
    from engine.media import save_png
    from engine.project import Project

    (tmp_path / "elsewhere").mkdir()
    private = save_png(np.full((64, 64, 3), 90, dtype=np.uint8), tmp_path / "elsewhere" / "still.png")
    project = Project.create(tmp_path / "still.shotloom", fps=24, size=(64, 64), writer="test")
    shot = add_generated_shot(project, prompt="it moves", task="image_to_video", model="tiny-ltx", image=private,
                              seconds=0.34, seed=1)
    project.save()
    project.close()
    res = shotloom("render", project.path, "--farm", farm.url, env={"SHOTLOOM_FARM_TOKEN": farm.token})
    assert res.returncode == 1, res.stderr
    last = res.stderr.strip().splitlines()[-1]
    assert "did not generate" in last and "outside the project" in last and str(private) in last
    assert not [j for j in farm.client().jobs() if shot[:8] in j.label]  # nothing reached the farm


def test_a_shot_with_a_lora_renders_on_the_farm(farm, tmp_path, tiny_models):  # noqa: F811
    """The LoRA file a shot's recipe loads is uploaded with its job (from the creator's library);
    the farm loads it and the take differs from the same shot without it."""
    from test_gen_loras import make_lora

    from engine.gen.loras import add_lora
    from engine.gen.takes import add_generated_shot
    from engine.project import Project

    entry = add_lora(make_lora(tiny_models, "tiny-ltx", tmp_path / "look", seed=1), "look")
    project = Project.create(tmp_path / "styled.shotloom", fps=24, size=(64, 64), writer="test")
    ref = {"id": "look", "strength": 1.0, "sha256": entry.sha256}
    plain = add_generated_shot(project, prompt="a boat", model="tiny-ltx", seconds=0.34, seed=4, steps=2)
    styled = add_generated_shot(project, prompt="a boat", model="tiny-ltx", seconds=0.34, seed=4, steps=2,
                                extra={"loras": [ref]})
    project.save()
    project.close()
    res = shotloom("render", project.path, "--farm", farm.url, env={"SHOTLOOM_FARM_TOKEN": farm.token})
    assert res.returncode == 0, res.stderr[-3000:]
    shots = {s.id: s for s in Project.open(project.path).shots()}
    recipes = {k: json.loads((shots[k].takes[0].path.parent / "recipe.json").read_text()) for k in (plain, styled)}
    assert recipes[styled]["loras"][0]["sha256"] == entry.sha256 and "loras" not in recipes[plain]
    assert recipes[styled]["output"]["frames_sha256"] != recipes[plain]["output"]["frames_sha256"]
    # It was the job's uploaded input; the recipe names the creator's library file.
    assert Path(recipes[styled]["request"]["loras"][0]["path"]) == entry.path


def test_https_farm_is_pinned_on_first_use(farm, tmp_path):
    """`farm serve --tls`: the creator's machine pins the certificate when it saves the token and
    refuses the farm once it shows another one (a different machine answering at that address)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    home = tmp_path / "tls_home"

    def serve() -> tuple[subprocess.Popen, str]:
        proc = subprocess.Popen([sys.executable, "-m", "engine.cli", "farm", "serve", "--ray-address",
                                 farm.cluster.address, "--port", str(port), "--home", home, "--tls"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=REPO,
                                env={**os.environ, "RAY_AUTH_MODE": "token",
                                     "RAY_AUTH_TOKEN_PATH": str(farm.home / "cluster-token")})
        for line in proc.stdout:
            if line.startswith("farm: serving "):
                return proc, line.split()[-1]
        raise AssertionError(f"farm serve --tls did not start (exit {proc.wait()})")

    def stop(proc: subprocess.Popen) -> None:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 0

    home.mkdir(mode=0o700)
    from engine.farm.security import write_secret

    write_secret(home / "cluster-token", (farm.home / "cluster-token").read_text())
    proc, url = serve()
    try:
        assert url == f"https://127.0.0.1:{port}"
        assert stat.S_IMODE((home / "farm-key.pem").stat().st_mode) == 0o600
        token = (home / "token").read_text().strip()
        res = shotloom("farm", "token", url, stdin=token + "\n", env={"SHOTLOOM_FARM_TOKEN": ""})
        assert res.returncode == 0 and "certificate pinned" in res.stdout, res.stderr
        assert shotloom("farm", "status", url, env={"SHOTLOOM_FARM_TOKEN": ""}).returncode == 0
    finally:
        stop(proc)
    (home / "farm-cert.pem").unlink()  # another certificate at the same address
    proc, url = serve()
    try:
        res = shotloom("farm", "status", url, env={"SHOTLOOM_FARM_TOKEN": ""})
        assert res.returncode == 1 and "different certificate" in res.stderr and len(res.stderr.splitlines()) == 1
    finally:
        stop(proc)


def test_the_farm_store_survives_a_restart(tmp_path):
    """The dispatcher's state is on disk: a job that was running when the farm stopped is queued
    again (its checkpoints kept), a finished one keeps its take for the client to fetch."""
    from engine.farm.protocol import FileEntry
    from engine.farm.store import FarmStore

    store = FarmStore(tmp_path)
    running, _ = store.submit(noop("a", steps=3), {"steps": 3}, model=None, need_bytes=None)
    done, _ = store.submit(noop("b", steps=3), {"steps": 3}, model=None, need_bytes=None)
    assert store.submit(noop("a", steps=3), {"steps": 3}, model=None, need_bytes=None) == (running, False)
    assert store.start(running.id, node="n", host="h", worker="w") == 1
    assert store.start(done.id, node="n", host="h", worker="w") == 1
    store.finish(done.id, "succeeded", message="done", result={"steps": 3},
                 files=[FileEntry(name="noop.mp4", size=1, sha256="0" * 64)])
    store.close()

    store = FarmStore(tmp_path)
    assert store.requeue_running("queued again: the farm restarted") == [running.id]
    again = store.get(running.id)
    assert again.status == "queued" and again.attempts == 1 and "restarted" in again.message
    assert store.start(running.id, node="n2", host="h2", worker="w2") == 2
    kept = store.get(done.id)
    assert kept.status == "succeeded" and kept.files[0].name == "noop.mp4" and kept.result == {"steps": 3}
    store.close()


# -- a node dies ------------------------------------------------------------------------------------

def test_a_node_killed_mid_job_and_the_job_finishes_elsewhere(farm, tmp_path):
    import psutil

    client = farm.client()
    job = client.submit(noop("survivor", steps=30, step_seconds=0.2))
    deadline = time.monotonic() + 120
    while job.status != "running" or job.progress < 0.3:
        assert time.monotonic() < deadline, job
        time.sleep(0.1)
        job = client.job(job.id)
    first_node = job.node
    victim = next(n for n in farm.nodes.values() if n.node_id == first_node)
    # The machine dies: its raylet and every process it started (the GPU actor with the job).
    raylet = victim.all_processes["raylet"][0].process.pid
    children = psutil.Process(raylet).children(recursive=True)
    farm.cluster.remove_node(victim, allow_graceful=False)
    for child in children:
        child.kill()

    events: list = []
    job = client.wait(job.id, timeout=180, on_event=events.append)
    assert job.status == "succeeded", job.error
    assert job.attempts == 2 and job.node != first_node
    assert any(e.type == "retrying" for e in events)
    assert 0 < job.result["resumed_from"] < 30  # resumed from the checkpoint its first node sent
    assert [f.name for f in job.files] == ["noop.mp4"]  # one complete take
    (path,) = client.download(job, tmp_path)
    assert count_decodable_frames(path) == 30
    status = client.status()
    assert [n.alive for n in status.nodes if n.id == first_node] == [False]

