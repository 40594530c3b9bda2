"""Screenshots of each role's home and main page at the role's viewport, from the demo
company, into docs/screens/ (`make screens`). The next reader sees what users see.

Runs the embedded server on a free loopback port against a fresh SQLite database of its
own, loads the demo company, signs each role in with Debian's chromium and saves PNGs.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screens"
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "demo-2026"
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}

# (file name, user, viewport, pages after the home page: (name, path))
ROLES = [
    (
        "agent",
        "agent",
        DESKTOP,
        [
            ("intake", "/cases/new/"),
            ("cases", "/cases/"),
            ("followed", "/callbacks/followed/"),
            ("wechat", "/wechat/messages/"),
        ],
    ),
    (
        "dispatcher",
        "dispatcher",
        DESKTOP,
        [("dispatch", "/cases/?view=dispatch"), ("routing", "/cases/routing/")],
    ),
    ("technician", "tech_east", PHONE, [("work-orders", "/field/")]),
    ("team-leader", "leader_east", PHONE, [("work-orders", "/field/")]),
    ("station-head", "head_east", DESKTOP, [("unit-queue", "/cases/?view=unit")]),
    (
        "service-office",
        "office",
        DESKTOP,
        [
            ("callbacks", "/callbacks/"),
            ("rates", "/kpis/rates/"),
            ("reports", "/reports/"),
            ("exchange-12345", "/exchange/12345/"),
        ],
    ),
    (
        "service-centre-head",
        "sc_head",
        DESKTOP,
        [("due", "/cases/?view=due"), ("duty", "/duty/")],
    ),
    ("general-manager", "gm", DESKTOP, [("rates", "/kpis/rates/"), ("kpis", "/kpis/")]),
    ("billing", "billing", DESKTOP, [("customers", "/customers/")]),
    ("administrator", "admin", DESKTOP, [("policy", "/sla/policy/"), ("admin", "/admin/")]),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # nosec B310: loopback only
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer")


def main() -> int:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="utilitydesk-screens-"))
    env = {
        **os.environ,
        "UTILITYDESK_VAR_DIR": str(work),
        "DATABASE_URL": f"sqlite:///{work / 'screens.sqlite3'}",
        "DEBUG": "0",
        "THROTTLE_PERSONAL_DATA": "100000/min",
    }
    python = sys.executable
    subprocess.run(
        [python, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    subprocess.run([python, "manage.py", "load_demo"], cwd=ROOT, env=env, check=True)
    port = free_port()
    server = subprocess.Popen(
        [python, "manage.py", "serve", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    written = 0
    try:
        wait_for(f"{base}/healthz")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
            )
            for name, user, viewport, pages in ROLES:
                phone = viewport is PHONE
                context = browser.new_context(
                    viewport=viewport,
                    locale="zh-CN",
                    device_scale_factor=2 if phone else 1,
                    is_mobile=phone,
                    has_touch=phone,
                )
                page = context.new_page()
                page.goto(f"{base}/accounts/login/")
                page.fill("#id_username", user)
                page.fill("#id_password", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_load_state("networkidle")
                shots = [("home", page.url)] + [(p, f"{base}{path}") for p, path in pages]
                for shot, url in shots:
                    page.goto(url)
                    page.wait_for_load_state("networkidle")
                    target = OUT / f"{name}-{shot}.png"
                    page.screenshot(path=str(target), full_page=True)
                    written += 1
                    print(f"{target.relative_to(ROOT)}")
                context.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=20)
    print(f"{written} screenshots in {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
