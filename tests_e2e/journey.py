"""Browser test: onboarding, discovery, pairing, unlock and lock, in a real Home Assistant.

Starts ``scripts/develop`` on free ports with a fresh config, drives Debian's
chromium through Playwright, saves a screenshot of every step, and stops every
process it started. Exit status 0 means the whole journey worked.
"""

from __future__ import annotations

import os
from pathlib import Path
import re
import shutil
import sys
import tempfile
import time

from playwright.sync_api import Page, expect, sync_playwright

from simulator.demo_owner import PASSWORD, USERNAME

from .harness import ARTIFACTS, KEY, STEP_TIMEOUT_MS, develop, logged_errors
from .living import JAM_MESSAGE, LivingWithIt, open_device_page
from .lock_knows import WhatTheLockKnows

CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class Journey:
    """The steps, each ending in a screenshot."""

    def __init__(self, page: Page, url: str) -> None:
        self.page = page
        self.url = url
        self.shots = 0

    def shot(self, name: str) -> None:
        self.shots += 1
        self.page.screenshot(path=str(ARTIFACTS / f"{self.shots:02d}-{name}.png"))
        print(f"  step {self.shots:02d}: {name}", flush=True)

    def onboard(self) -> None:
        """Log in with the account the demo made, then finish onboarding.

        The demo's YAML sets the location, so onboarding's location step (which would
        add default integrations that fail offline) is done, and the demo made the
        account (simulator/demo_owner.py): what is left is analytics and the devices.
        """
        page = self.page
        page.goto(self.url)
        page.get_by_label("Username").fill(USERNAME)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        self.shot("login")
        page.get_by_role("button", name="Log in").click()
        # Analytics, discovered integrations: accept the defaults.
        for _ in range(8):
            page.wait_for_timeout(1500)
            if "onboarding" not in page.url:
                break
            for name in ("Next", "Finish"):
                button = page.get_by_role("button", name=name, exact=True)
                if button.count() and button.first.is_visible():
                    self.shot(f"onboarding-{name.lower()}")
                    button.first.click()
                    break
        expect(page).not_to_have_url(re.compile("onboarding"), timeout=STEP_TIMEOUT_MS)
        expect(page.get_by_text("Demo User").first).to_be_visible(
            timeout=STEP_TIMEOUT_MS
        )
        self.shot("onboarding-done")

    def see_discovery(self) -> None:
        page = self.page
        page.goto(f"{self.url}/config/integrations/dashboard")
        expect(page.get_by_text("Discovered").first).to_be_visible(
            timeout=STEP_TIMEOUT_MS
        )
        expect(page.get_by_text("Tedee Bluetooth").first).to_be_visible(
            timeout=STEP_TIMEOUT_MS
        )
        self.shot("discovered-lock")

    def add_integration(self) -> None:
        page = self.page
        page.get_by_role("button", name="Add integration").click()
        # Typed as a person types: filling the search at once raced the frontend's
        # list (an uncaught "reading 'domain'" in dialog-add-integration, 2025.4).
        page.get_by_label("Search for a brand name").press_sequentially(
            "Tedee Bluetooth", delay=60
        )
        dialog = page.locator("dialog-add-integration")
        dialog.get_by_text("Tedee Bluetooth", exact=True).first.click()
        # Home Assistant lists the discovered lock; the user path picks from the account.
        # "Setup" up to the 2025 frontends, "Set up" from 2026.
        another = page.get_by_text(
            re.compile(r"Set ?up another instance of Tedee Bluetooth")
        )
        another.click()
        # By the form field's name: from 2026 the label matches two elements.
        field = page.locator("input[name=personal_access_key]")
        expect(field).to_be_visible(timeout=STEP_TIMEOUT_MS)
        field.fill(KEY)
        self.shot("enter-key")
        page.get_by_role("button", name="Submit").click()
        expect(
            page.get_by_text("In Bluetooth range now: Front door, Back door")
        ).to_be_visible(timeout=STEP_TIMEOUT_MS)
        lock = page.get_by_text(re.compile(r"Front door \(\d{8}-\d{6}\)"))
        expect(lock).to_be_visible(timeout=STEP_TIMEOUT_MS)
        lock.click()
        self.shot("pick-lock")
        page.get_by_role("button", name="Submit").click()
        # Pairing takes seconds over Bluetooth: the dialog says what is happening.
        expect(page.get_by_text("Home Assistant makes its own key")).to_be_visible(
            timeout=STEP_TIMEOUT_MS
        )
        self.shot("pairing")
        # "Created configuration for Front door." and "Finish" up to the 2025
        # frontends; "Device created", the device's name and "Skip and finish" from 2026.
        expect(
            page.get_by_text("Created configuration for Front door.")
            .or_(page.get_by_text("Device created"))
            .first
        ).to_be_visible(timeout=STEP_TIMEOUT_MS)
        self.shot("paired")
        page.get_by_role("button", name=re.compile(r"^(Skip and )?[Ff]inish$")).click()

    def german_pick_lock(self) -> None:
        """The same picker in German, as a user who chose Deutsch in their profile.

        The second demo lock is still unconfigured, so the account's key finds it.
        """
        page = self.page
        page.goto(f"{self.url}/profile/general")
        # What the profile's language picker sends when Deutsch is chosen.
        page.locator("home-assistant").evaluate(
            "(el) => el.dispatchEvent(new CustomEvent('hass-language-select',"
            " {detail: 'de', bubbles: true, composed: true}))"
        )
        expect(page.get_by_text("Sprache").first).to_be_visible(timeout=STEP_TIMEOUT_MS)
        # As in English: Add integration, the brand, then the user path (not the
        # discovered Back door).
        page.goto(f"{self.url}/config/integrations/dashboard")
        page.get_by_role("button", name="Integration hinzufügen").click()
        dialog = page.locator("dialog-add-integration")
        search = dialog.locator("input").first
        expect(search).to_be_visible(timeout=STEP_TIMEOUT_MS)
        search.press_sequentially("Tedee Bluetooth", delay=60)  # as in English
        dialog.get_by_text("Tedee Bluetooth", exact=True).first.click()
        page.get_by_text("Eine weitere Instanz von Tedee Bluetooth einrichten").click()
        field = page.locator("input[name=personal_access_key]")
        expect(field).to_be_visible(timeout=STEP_TIMEOUT_MS)
        field.fill(KEY)
        field.press("Enter")
        expect(
            page.get_by_text("Jetzt in Bluetooth-Reichweite: Back door")
        ).to_be_visible(timeout=STEP_TIMEOUT_MS)
        expect(
            page.get_by_text(re.compile(r"Back door \(\d{8}-\d{6}\)"))
        ).to_be_visible()
        self.shot("pick-lock-german")
        page.keyboard.press("Escape")

    def device_page(self) -> None:
        page = self.page
        open_device_page(page, self.url)
        expect(page.get_by_text("Tedee GO").first).to_be_visible(
            timeout=STEP_TIMEOUT_MS
        )
        expect(page.get_by_text("Battery").first).to_be_visible()
        # The cloud's record says the lock has a door sensor: its entity is there
        # at pairing, before the door first moves.
        expect(page.get_by_text("Door", exact=True).first).to_be_visible()
        self.shot("device-page")

    def unlock_and_lock(self) -> None:
        page = self.page
        controls = page.locator("ha-card", has_text="Controls")
        controls.get_by_text("Front door", exact=True).click()
        dialog = page.locator("ha-more-info-dialog")
        expect(dialog.get_by_text("Locked", exact=True)).to_be_visible(
            timeout=STEP_TIMEOUT_MS
        )
        self.shot("lock-dialog")
        toggle = dialog.get_by_role("switch")
        toggle.click()  # unlock
        expect(dialog.get_by_text("Unlocking", exact=True)).to_be_visible(
            timeout=STEP_TIMEOUT_MS
        )
        self.shot("unlocking")
        expect(dialog.get_by_text("Unlocked", exact=True)).to_be_visible(
            timeout=STEP_TIMEOUT_MS
        )
        self.shot("unlocked")
        toggle.click()  # lock again
        expect(dialog.get_by_text("Locking", exact=True)).to_be_visible(
            timeout=STEP_TIMEOUT_MS
        )
        self.shot("locking")
        expect(dialog.get_by_text("Locked", exact=True)).to_be_visible(
            timeout=STEP_TIMEOUT_MS
        )
        self.shot("locked-again")
        page.keyboard.press("Escape")

    def discovery_consumed(self) -> None:
        page = self.page
        page.goto(f"{self.url}/config/integrations/dashboard")
        expect(page.get_by_text("Tedee Bluetooth").first).to_be_visible(
            timeout=STEP_TIMEOUT_MS
        )
        expect(page.get_by_text("Lock-8BD8")).to_have_count(0, timeout=STEP_TIMEOUT_MS)
        self.shot("integrations-after")


def main() -> int:
    """Run the journey; 0 on success. ``--newest``: on Home Assistant 2026.2.3."""
    # Two locks: one paired on the way, the other still to pick (in German).
    extra = ["--locks", "2", *(arg for arg in sys.argv[1:] if arg == "--newest")]
    started = time.monotonic()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    with (
        tempfile.TemporaryDirectory(prefix="tedee-e2e-") as tmp,
        develop(Path(tmp) / "config", extra) as url,
    ):
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(STEP_TIMEOUT_MS)
            journey = Journey(page, url)
            try:
                journey.onboard()
                journey.see_discovery()
                journey.add_integration()
                journey.device_page()
                journey.unlock_and_lock()
                journey.discovery_consumed()
                living = LivingWithIt(page, url, journey.shot)
                living.activity_says_who()
                living.automation_in_the_ui()
                living.door_trigger_and_logbook()
                living.out_of_range_and_back()
                living.reauthentication()
                living.restart_from_the_ui()
                living.connected_through_a_proxy()
                living.add_proxy_in_the_ui()
                knows = WhatTheLockKnows(page, url, journey.shot)
                knows.firmware_offer()
                knows.change_auto_lock()
                knows.export_activity()
                knows.calibration_repair()
                living.jam_said_once()
                living.log_reading_in_place()
                living.on_demand_idle()
                journey.german_pick_lock()
            except Exception:
                journey.shot("failure")
                raise
            finally:
                browser.close()
    # The jam the journey provokes fails the user's action: Home Assistant logs it.
    if errors := logged_errors(ARTIFACTS / "develop.log", expected=(JAM_MESSAGE,)):
        raise AssertionError(
            "the demo logged errors (develop.log):\n" + "\n".join(errors)
        )
    print(
        f"Journey passed: {journey.shots} screenshots in {ARTIFACTS} "
        f"({time.monotonic() - started:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
