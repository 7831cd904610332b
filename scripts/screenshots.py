"""Screenshots of the admin console for the README: `python scripts/screenshots.py URL [OUT_DIR]`.

Signs in to a running demo (`make run`) as the demo L&D admin (grace / grace, through the demo IdP) with
Debian's Chromium and saves the dashboard and a person page at 1366 px wide (the laptop width every page
must fit)."""

import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
WIDTH, HEIGHT = 1366, 900
PAGES = {
    "dashboard": "/admin/dashboard/",
    "person": "/admin/lms_identity/user/?q=grace",  # then the first result
}


def shoot(page: Page, path: Path) -> None:
    """The whole page in one viewport as tall as the page: a full-page capture repeats fixed elements."""
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": WIDTH, "height": max(HEIGHT, height)})
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})


def main(base_url: str, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
        # Admins sign in through the IdP: Grace is an L&D admin by the demo IdP's "LMS Admins" group.
        page.goto(f"{base_url}/admin/login/")
        page.click("a.sso-button")
        page.fill("#username", "grace")
        page.fill("#password", "grace")
        page.click("#submit")
        page.wait_for_url(f"{base_url}/admin/**")
        page.goto(f"{base_url}{PAGES['dashboard']}")
        page.wait_for_timeout(800)  # the charts animate in
        shoot(page, out_dir / "dashboard.png")
        page.goto(f"{base_url}{PAGES['person']}")
        page.click("#result_list tbody tr a")
        page.wait_for_selector("#person-page")
        shoot(page, out_dir / "person.png")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/"), Path(sys.argv[2] if len(sys.argv) > 2 else "docs/screenshots"))
