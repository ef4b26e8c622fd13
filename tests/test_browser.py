"""A real browser: JupyterLab in headless Chromium runs 07_visualization, and
moving the photo slider changes the pictures the widget shows.

Needs Debian's `chromium` (`.ci/run` installs it) and the `playwright` package.
A screenshot is saved to test-artifacts/ (or $CYCLEGAN_LAB_ARTIFACTS).
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "cyclegan-lab-browser-test"

pytestmark = pytest.mark.slow  # a real browser, and JupyterLab running a notebook
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        message = "Debian's chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory, real_data):
    """A JupyterLab server on 127.0.0.1 serving a copy of the notebooks, in the smoke setting."""
    root = tmp_path_factory.mktemp("lab")
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    settings = root / "settings"
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    port = free_port()
    env = {
        **os.environ,
        "CYCLEGAN_LAB_SMOKE": "1",
        "CYCLEGAN_LAB_DATA": str(real_data),
        "CYCLEGAN_LAB_CACHE": str(root / "cache"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(root / "workspaces"),
    }
    log = open(root / "server.log", "w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            "--allow-root",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--IdentityProvider.token={TOKEN}",
            f"--ServerApp.root_dir={root}",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2)
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail("JupyterLab did not start:\n" + (root / "server.log").read_text()[-3000:])
            time.sleep(0.5)
    yield url
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
    log.close()


def test_moving_the_slider_changes_the_picture_in_jupyterlab(jupyterlab):
    from playwright.sync_api import sync_playwright

    artifacts = Path(os.environ.get("CYCLEGAN_LAB_ARTIFACTS", ROOT / "test-artifacts"))
    artifacts.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        page.goto(f"{jupyterlab}/lab/tree/notebooks/07_visualization.ipynb?token={TOKEN}")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
        page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=90_000)  # the kernel is ready
        page.wait_for_timeout(1000)

        try:
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_role("menuitem", name="Run All Cells", exact=True).click()

            photo_slider = page.locator(".widget-hslider").first
            photo_slider.wait_for(timeout=240_000)
            widget = page.locator(".widget-vbox").filter(has=photo_slider).first
            pictures = widget.locator("img")
            pictures.nth(1).wait_for(timeout=60_000)
            before = [pictures.nth(i).get_attribute("src") for i in range(3)]
            page.wait_for_timeout(500)

            page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=120_000)  # all cells done
            handle = photo_slider.locator(".noUi-handle").first
            handle.focus()
            monet = pictures.nth(1).element_handle()
            times = []
            for key in ["ArrowRight", "ArrowLeft", "ArrowRight"]:  # photo 2, back to 1, photo 2 again
                old = monet.get_attribute("src")
                start = time.perf_counter()
                handle.press(key)
                page.wait_for_function(
                    "([el, old]) => el.getAttribute('src') !== old", arg=[monet, old], timeout=30_000
                )
                times.append(time.perf_counter() - start)
            response = sorted(times)[1]
            after = [pictures.nth(i).get_attribute("src") for i in range(3)]
            shown = page.locator(".widget-hslider .widget-readout").first.inner_text()

            widget.scroll_into_view_if_needed()
            page.screenshot(path=str(artifacts / "07_visualization_widget.png"), full_page=False)
            (artifacts / "07_visualization_widget.txt").write_text(
                f"slider change answered in {response:.3f} s (median of {', '.join(f'{t:.3f}' for t in times)})\n"
            )
        except Exception:
            page.screenshot(path=str(artifacts / "07_visualization_failure.png"), full_page=True)
            raise
        finally:
            browser.close()

    assert shown.strip() == "1", "the slider should now be on the second photo"
    assert after[0] != before[0], "the photo did not change"
    assert after[1] != before[1], "the Monet version did not change"
    print(f"slider change answered in {response:.3f} s")
