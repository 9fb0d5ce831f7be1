"""Browser test: what the lock and its account know, shown and changed in the UI.

The firmware offer on the device page, a lock setting changed from the UI (and
honestly waiting for the lock to sync), the guided calibration as a repair, and
the export of the kept activity log from Developer tools.
"""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from .harness import STEP_TIMEOUT_MS
from .living import HASS, LOCK, LivingWithIt, open_device_page

FIRMWARE = "update.front_door_firmware"
AUTO_LOCK = "switch.front_door_auto_lock"
EXPORT_YAML = """action: tedee_bluetooth.export_activity
target:
  entity_id: lock.front_door
"""


class WhatTheLockKnows(LivingWithIt):
    """The issue-20 steps, each ending in a screenshot."""

    def __init__(self, page: Page, url: str, shot: Callable[[str], None]) -> None:
        super().__init__(page, url, shot)

    def attribute(self, entity_id: str, name: str) -> object:
        return self.page.evaluate(
            f"([id, a]) => {HASS}.states[id]?.attributes?.[a]", [entity_id, name]
        )

    def firmware_offer(self) -> None:
        """Tedee offers new firmware: the device page says so; the dialog says where."""
        page = self.page
        self.action("tedee_sim", "offer_firmware")
        self.action("homeassistant", "update_entity", {"entity_id": FIRMWARE})
        self.wait_state(FIRMWARE, "on", 30)
        open_device_page(page, self.url)
        row = page.get_by_text("Firmware", exact=True).first
        expect(row).to_be_visible(timeout=STEP_TIMEOUT_MS)
        row.evaluate("(el) => el.scrollIntoView({block: 'center'})")
        self.shot("firmware-update-on-the-device-page")
        row.click()
        dialog = page.locator("ha-more-info-dialog")
        expect(dialog.get_by_text("Update it in the Tedee app").first).to_be_visible(
            timeout=STEP_TIMEOUT_MS
        )
        self.shot("firmware-update-dialog")
        page.keyboard.press("Escape")

    def change_auto_lock(self) -> None:
        """Auto-lock switched on from the device page; the lock has yet to sync it."""
        page = self.page
        open_device_page(page, self.url)
        name = page.get_by_text("Auto-lock", exact=True).first
        expect(name).to_be_visible(timeout=STEP_TIMEOUT_MS)
        name.evaluate("(el) => el.scrollIntoView({block: 'center'})")
        name.click()
        dialog = page.locator("ha-more-info-dialog")
        toggle = dialog.get_by_role("switch").first
        expect(toggle).to_be_visible(timeout=STEP_TIMEOUT_MS)
        toggle.click()
        self.wait_state(AUTO_LOCK, "on", 30)
        assert self.attribute(AUTO_LOCK, "waiting_for_lock_sync") is True
        self.shot("auto-lock-switched-on")
        page.keyboard.press("Escape")
        # Where attributes read the same in every release: Developer tools.
        page.goto(f"{self.url}/developer-tools/state")
        page.get_by_role("textbox", name="Filter entities").fill(AUTO_LOCK)
        row = page.get_by_role("row").filter(has_text=AUTO_LOCK)
        expect(row).to_have_count(1, timeout=STEP_TIMEOUT_MS)
        expect(row.get_by_text("waiting_for_lock_sync: true")).to_be_visible()
        self.shot("auto-lock-on-waiting-for-the-lock")

    def calibration_repair(self) -> None:
        """The lock lost its calibration; the repair walks the owner through."""
        page = self.page
        self.action("tedee_sim", "lose_calibration")
        self.wait_state(LOCK, "unknown", 30)
        page.goto(f"{self.url}/config/repairs")
        issue = page.get_by_text("Front door is not calibrated").first
        expect(issue).to_be_visible(timeout=STEP_TIMEOUT_MS)
        self.shot("calibration-repair-listed")
        issue.click()
        expect(page.get_by_text("Calibrate Front door").first).to_be_visible(
            timeout=STEP_TIMEOUT_MS
        )
        self.shot("calibration-start")
        submit = page.get_by_role("button", name="Submit").filter(visible=True)
        submit.last.click()
        expect(page.get_by_text("Locked position").first).to_be_visible(
            timeout=STEP_TIMEOUT_MS
        )
        self.shot("calibration-turn-to-locked")
        self.action("tedee_sim", "turn_knob", {"degrees": 0})
        submit.last.click()
        expect(page.get_by_text("Unlocked position").first).to_be_visible(
            timeout=STEP_TIMEOUT_MS
        )
        self.shot("calibration-turn-to-unlocked")
        self.action("tedee_sim", "turn_knob", {"degrees": 90})
        submit.last.click()
        self.wait_state(LOCK, "unlocked", 30)
        expect(page.get_by_text("Front door is not calibrated")).to_have_count(
            0, timeout=STEP_TIMEOUT_MS
        )
        self.shot("calibration-done")
        # The demo lock has a pull spring: it finds the spring's position itself.
        page.get_by_text("Calibrate the pull spring").click()
        expect(page.get_by_text("Keep the door open").first).to_be_visible(
            timeout=STEP_TIMEOUT_MS
        )
        submit.last.click()
        expect(page.get_by_text("Keep the door open")).to_have_count(
            0, timeout=STEP_TIMEOUT_MS
        )
        page.wait_for_timeout(500)
        self.shot("pull-spring-calibrated")
        page.keyboard.press("Escape")

    def export_activity(self) -> None:
        """Developer tools -> Actions: the kept log written to a file."""
        page = self.page
        page.goto(f"{self.url}/developer-tools/action")
        yaml_mode = page.get_by_role("button", name="Go to YAML mode")
        expect(yaml_mode).to_be_visible(timeout=STEP_TIMEOUT_MS)
        yaml_mode.click()
        editor = page.locator("ha-code-editor .cm-content").first
        expect(editor).to_be_visible(timeout=STEP_TIMEOUT_MS)
        editor.click()
        page.keyboard.press("Control+a")
        page.keyboard.insert_text(EXPORT_YAML)
        page.get_by_role("button", name="Perform action").click()
        expect(page.get_by_text("-activity.json").first).to_be_visible(
            timeout=STEP_TIMEOUT_MS
        )
        self.shot("activity-exported")
