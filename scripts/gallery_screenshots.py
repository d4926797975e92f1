"""Screenshots of the pattern gallery for the README, at 1280 and 390 px wide.

Run it against a demo that is serving (``make demo`` in another terminal):

    .venv/bin/python scripts/gallery_screenshots.py [--base-url http://127.0.0.1:8000]

It writes PNGs to ``apps/core/static/core/screenshots/``, where the README
(on a repository host) and ``/readme/`` (served by the demo) both find them.
As an anonymous visitor (no pin: a login writes), it runs the read/write
splitting page's 100 reads with weights.
"""

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parents[1] / "apps/core/static/core/screenshots"
CHROMIUM = "/usr/bin/chromium"
SHOTS = (  # (file stem, path, the experiment's run button to press or None)
    ("gallery", "/patterns/", None),
    ("read-write-splitting", "/patterns/read-write-splitting/?sets=weighted", "run"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    base = parser.parse_args().base_url.rstrip("/")
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for width, height in ((1280, 900), (390, 844)):
            page = browser.new_page(viewport={"width": width, "height": height})
            for stem, path, button in SHOTS:
                page.goto(base + path)
                if button:
                    form = page.get_by_test_id("experiment")
                    form.locator(f'button[name="{button}"]').first.click()
                    page.get_by_test_id("result").first.scroll_into_view_if_needed()
                target = OUT / f"{stem}-{width}.png"
                page.screenshot(path=target)
                print(target.relative_to(OUT.parents[3]))
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
