"""Decompression bomb benchmark: a worker's peak memory while refusing a .docx bomb.

    python bench/upload_bomb.py --database-url postgres://…/bombbench \\
        [--unpacked-mb 1500] [--project PATH]

Generates a .docx whose ``word/document.xml`` inflates to ``--unpacked-mb``
megabytes (a few MB on disk), starts gunicorn with one sync worker and the
production settings (``DEBUG=0``), and uploads through ``POST
/api/v1/articles/`` with a write token: first an ordinary .docx (the floor:
what any upload costs), then the bomb. It prints each answer's status and the
worker's peak RSS (``VmHWM``, and ``VmRSS`` sampled every 20 ms in case the
worker dies) side by side.

``--project`` runs another checkout of the code (say, one before the guard) on
the same database; the figures then compare the two. The worker's address
space is capped (``--memory-cap-gb``) so that a bomb that gets through fails
with a MemoryError instead of starving the machine. Use a database of its own:
the benchmark migrates it and adds a user.
"""

import argparse
import io
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
USER = "bench-bomb"
PASSWORD = "bench-bomb-password-9f2c"
WORD = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MB = 1024 * 1024


def ordinary_docx() -> bytes:
    import docx

    document = docx.Document()
    for sentence in (
        "Le conseil municipal de Villebrune a voté mardi le budget du port.",
        "« Nous ne reculerons pas », a déclaré la maire, Zoé Lefèvre.",
        "Les travaux du quai nord débuteront à l’été.",
    ):
        document.add_paragraph(sentence)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def write_bomb(path: Path, unpacked_mb: int) -> None:
    """Write an ordinary .docx whose text part is ``unpacked_mb`` MB of one letter."""
    source = zipfile.ZipFile(io.BytesIO(ordinary_docx()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for member in source.infolist():
            if member.filename != "word/document.xml":
                bomb.writestr(member.filename, source.read(member))
                continue
            with bomb.open(member.filename, "w", force_zip64=True) as part:
                part.write(
                    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                    f'<w:document xmlns:w="{WORD}"><w:body><w:p><w:r><w:t>'.encode()
                )
                block = b"a" * MB
                for _index in range(unpacked_mb):
                    part.write(block)
                part.write(b"</w:t></w:r></w:p></w:body></w:document>")


def production_env(database_url: str) -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="newsroom.settings",
        DEBUG="0",
        SECRET_KEY=os.environ.get("SECRET_KEY", "benchmark-only-secret-key"),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        # gunicorn speaks plain http here, with no proxy in front.
        SECURE_SSL_REDIRECT="0",
        # Only the API is asked for: no collected static files needed.
        STATIC_FROM_SOURCE="1",
        LOG_LEVEL="WARNING",
    )
    return env


def manage(project: Path, env: dict, *args, check=True) -> str:
    done = subprocess.run(
        [sys.executable, str(project / "manage.py"), *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )
    if check and done.returncode != 0:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def prepare(project: Path, env: dict) -> str:
    """Migrate, create the editor if missing, and return a new write token."""
    manage(project, env, "migrate", "--noinput")
    manage(
        project,
        env,
        "createuser",
        USER,
        "--role",
        "editor",
        "--password",
        PASSWORD,
        check=False,
    )
    output = manage(
        project, env, "create_api_token", USER, "--scope", "write", "--name", "bomb"
    )
    return output.strip().splitlines()[-1].strip()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def memory_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class Sampler(threading.Thread):
    """Keep the highest RSS of ``pid`` seen while an upload runs."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kb = 0
        self.running = True

    def run(self):
        while self.running:
            self.peak_kb = max(self.peak_kb, memory_kb(self.pid, "VmRSS"))
            time.sleep(0.02)

    def stop(self) -> int:
        self.running = False
        self.join()
        return max(self.peak_kb, memory_kb(self.pid, "VmHWM"))


def upload(base: str, token: str, name: str, data: bytes) -> tuple[int, str, float]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        f"{base}/api/v1/articles/",
        data=body,
        method="POST",
        headers={
            "Authorization": f"Token {token}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode(errors="replace")
    except OSError as error:
        status, text = 0, f"no answer: {error}"
    return status, text, time.perf_counter() - started


def message(text: str) -> str:
    try:
        return json.loads(text)["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return text[:120]


def cap_memory(gigabytes: float):
    def apply():
        limit = int(gigabytes * 1024**3)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bombbench"
        ),
    )
    parser.add_argument("--unpacked-mb", type=int, default=1500)
    parser.add_argument("--project", type=Path, default=ROOT)
    parser.add_argument("--memory-cap-gb", type=float, default=6)
    args = parser.parse_args()
    project = args.project.resolve()
    env = production_env(args.database_url)
    token = prepare(project, env)

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bomb.docx"
        started = time.perf_counter()
        write_bomb(path, args.unpacked_mb)
        bomb = path.read_bytes()
        print(
            f"bomb: {len(bomb) / MB:.1f} MB on disk, {args.unpacked_mb:,} MB "
            f"unpacked (built in {time.perf_counter() - started:.0f} s)",
            flush=True,
        )
    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "newsroom.wsgi",
            "--workers",
            "1",
            "--timeout",
            "600",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=project,
        env=env,
        preexec_fn=cap_memory(args.memory_cap_gb),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _attempt in range(150):
            try:
                urllib.request.urlopen(f"{base}/api/v1/", timeout=5)
            except urllib.error.HTTPError:
                break
            except OSError:
                time.sleep(0.2)
            else:
                break
        [worker] = children(server.pid)
        print(f"code: {project}  worker {worker}, cap {args.memory_cap_gb:g} GB")
        rows = []
        for label, name, data in (
            ("ordinary .docx (floor)", "budget.docx", ordinary_docx()),
            (f"bomb .docx ({len(bomb) / MB:.1f} MB)", "budget.docx", bomb),
        ):
            sampler = Sampler(worker)
            sampler.start()
            status, text, seconds = upload(base, token, name, data)
            peak = sampler.stop()
            rows.append((label, status, seconds, peak, message(text)))
        for label, status, seconds, peak, said in rows:
            print(
                f"{label:26} HTTP {status:3}  {seconds:6.2f} s  "
                f"worker peak RSS {peak / 1024:7.1f} MB  {said[:110]}",
                flush=True,
            )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
