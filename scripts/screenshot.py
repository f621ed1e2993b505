"""Screenshot of a chapter notebook open in JupyterLab, for the README (docs/img/).

    .venv/bin/python scripts/screenshot.py [NOTEBOOK] [--cell N] [--out docs/img/jupyterlab.png]

Starts `scripts/lab` on a free port, opens NOTEBOOK (default ch06_training_techniques.ipynb)
in headless Debian Chromium through selenium (`pip install selenium` into .venv; chromium,
chromium-driver and, for the Korean headings, fonts-nanum from Debian), scrolls to code cell N and saves a 1400×1000 PNG. Not part of
the tests: a look at what a learner sees, committed as an image.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("notebook", nargs="?", default="ch06_training_techniques.ipynb")
    ap.add_argument("--cell", type=int, default=6, help="1-based code cell to scroll to")
    ap.add_argument("--out", default=str(ROOT / "docs" / "img" / "jupyterlab.png"))
    args = ap.parse_args()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    port, token = free_port(), "dlfs-screenshot"
    # a settings folder of its own: every cell drawn (no lazy rendering, so a cell can be
    # scrolled to), and none of the user's open tabs
    settings = tempfile.TemporaryDirectory()
    tracker = Path(settings.name) / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    news = Path(settings.name) / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True)
    (news / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=settings.name,
               JUPYTERLAB_WORKSPACES_DIR=settings.name)
    lab = subprocess.Popen(
        [str(ROOT / "scripts" / "lab"), "--no-browser", f"--port={port}",
         f"--IdentityProvider.token={token}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    profile = tempfile.TemporaryDirectory()
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for flag in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={profile.name}", "--window-size=1400,1000", "--hide-scrollbars"]:
        opts.add_argument(flag)
    driver = None
    try:
        url = f"http://127.0.0.1:{port}/lab/workspaces/shot/tree/{args.notebook}?reset&token={token}"
        for _ in range(120):  # the server (after scripts/setup) takes a few seconds
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
        driver.get(url)
        deadline = time.time() + 90
        cells = []
        while time.time() < deadline:
            cells = driver.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-CodeCell")
            if len(cells) >= args.cell:
                break
            time.sleep(1)
        if len(cells) < args.cell:
            print(f"screenshot: the notebook did not show {args.cell} code cells", file=sys.stderr)
            return 1
        # JupyterLab renders cells lazily: scroll step by step until the cell is drawn
        for _ in range(30):
            driver.execute_script("arguments[0].scrollIntoView({block: 'start'});", cells[args.cell - 1])
            time.sleep(1)
            imgs = cells[args.cell - 1].find_elements(By.CSS_SELECTOR, ".jp-OutputArea img, .jp-OutputArea svg")
            if imgs:
                break
        time.sleep(3)  # kernel status and fonts settle
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(args.out)
        print(f"screenshot: {args.out}")
        return 0
    finally:
        if driver:
            driver.quit()
        lab.terminate()
        try:
            lab.wait(10)
        except subprocess.TimeoutExpired:
            lab.kill()


if __name__ == "__main__":
    sys.exit(main())
