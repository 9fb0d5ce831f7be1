"""Browser test, after setup: what living with the lock brings.

An automation made in the UI, the lock out of range and back, the cloud refusing
the key (reauthentication), and a restart from the UI. The hallway actions (the
simulated lock and cloud) are called through the page's own Home Assistant
connection, as Developer tools would; everything a user checks is read on screen.
"""

from __future__ import annotations

from collections.abc import Callable
import re
import time
from typing import Any

from playwright.sync_api import Locator, Page, expect

from .harness import KEY, SPARE_PROXY_PORT, STEP_TIMEOUT_MS

HASS = "document.querySelector('home-assistant').hass"
LOCK = "lock.front_door"
STATUS = "sensor.front_door_connection_status"
ACTIVITY = "event.front_door_activity"
ACTIVITY_EVENT = "tedee_bluetooth_activity"
DOOR = "binary_sensor.front_door_door"
# What the action says when the bolt jams while locking (the journey makes it jam).
JAM_MESSAGE = "Front door jammed while locking"
AUTOMATION_YAML = """alias: Button pressed at the front door
description: Made in the browser test
triggers:
  - trigger: state
    entity_id: event.front_door_activity
    not_from: unavailable
conditions:
  - condition: template
    value_template: "{{ trigger.to_state.attributes.event_type in ['locked_button', 'unlocked_button'] }}"
actions:
  - action: persistent_notification.create
    data:
      title: Front door
      message: "{{ trigger.to_state.attributes.event_type }}"
mode: queued
"""
DOOR_AUTOMATION_YAML = """alias: Front door opened
description: Made in the browser test from the device trigger
triggers:
  - trigger: device
    domain: tedee_bluetooth
    device_id: {device_id}
    type: door_opened
actions:
  - action: persistent_notification.create
    data:
      title: Front door
      message: The door was opened
mode: queued
"""


class LivingWithIt:
    """The steps after pairing, each ending in a screenshot."""

    def __init__(self, page: Page, url: str, shot: Callable[[str], None]) -> None:
        self.page = page
        self.url = url
        self.shot = shot

    # -- talking to Home Assistant through the page ------------------------------------

    def action(
        self, domain: str, service: str, data: dict[str, Any] | None = None
    ) -> None:
        """Call an action over the frontend's connection (as Developer tools does)."""
        self.page.evaluate(
            f"([d, s, data]) => {HASS}.callService(d, s, data)",
            [domain, service, data or {}],
        )

    def wait_state(self, entity_id: str, state: str, limit: float) -> float:
        """Seconds until ``entity_id`` shows ``state``; fails after ``limit`` s."""
        start = time.monotonic()
        self.page.wait_for_function(
            f"([id, s]) => {HASS}?.states?.[id]?.state === s",
            arg=[entity_id, state],
            timeout=limit * 1000,
            polling=100,
        )
        return time.monotonic() - start

    def runs(self, automation_id: str) -> int:
        """How often the automation's actions ran (a stopped condition is no run)."""
        traces = self.page.evaluate(
            f"(id) => {HASS}.callWS({{type: 'trace/list', domain: 'automation', item_id: id}})",
            automation_id,
        )
        return sum(trace.get("script_execution") == "finished" for trace in traces)

    def record_states(self, entity_id: str) -> None:
        """From now on, every state of ``entity_id`` lands in ``window.__states``.

        The recording before it stops: its entity's states would land there too.
        """
        self.page.evaluate(
            f"""async (id) => {{
                await window.__statesEnd?.();
                window.__states = [];
                window.__statesEnd = await {HASS}.connection.subscribeEvents((event) => {{
                    if (event.data.entity_id === id)
                        window.__states.push(event.data.new_state?.state ?? null);
                }}, "state_changed");
            }}""",
            entity_id,
        )

    def recorded_states(self) -> list[str | None]:
        """The states recorded since ``record_states``; the recording stops."""
        states: list[str | None] = self.page.evaluate(
            "async () => { await window.__statesEnd(); window.__statesEnd = null;"
            " return window.__states; }"
        )
        return states

    def open_menu(self) -> None:
        """The page's ⋮ menu, top right, opened from the keyboard.

        A pointer click lands on the icon drawn over the button, which the 2026
        frontend does not take as a click on its menu.
        """
        menu = self.page.get_by_role("button", name="Menu").filter(visible=True).last
        menu.focus()
        self.page.keyboard.press("Enter")

    def timed(self, name: str, seconds: float) -> None:
        print(f"  {name}: {seconds:.1f} s", flush=True)

    # -- the steps ----------------------------------------------------------------------

    def activity_says_who(self) -> None:
        """Home Assistant's own lock, named as the lock logged it: the demo's user.

        Read where a user writing an automation reads attributes: Developer tools.
        """
        page = self.page
        page.goto(f"{self.url}/developer-tools/state")
        page.get_by_role("textbox", name="Filter entities").fill(ACTIVITY)
        row = page.get_by_role("row").filter(has_text=ACTIVITY)
        expect(row).to_have_count(1, timeout=STEP_TIMEOUT_MS)
        for text in (
            "event_type: locked_remote",
            "user_id: 1001",
            "user_name: Demo User",
        ):
            expect(row.get_by_text(text)).to_be_visible()
        self.shot("activity-says-who")

    def save_automation(self, yaml: str, name: str, shot: str) -> str:
        """Written in the editor's YAML mode and saved; the automation's id."""
        page = self.page
        page.goto(f"{self.url}/config/automation/edit/new")
        expect(page.get_by_role("button", name="Add trigger")).to_be_visible()
        self.open_menu()
        page.get_by_role("menuitem", name="Edit in YAML").click()
        editor = page.locator("ha-code-editor .cm-content").first
        expect(editor).to_be_visible(timeout=STEP_TIMEOUT_MS)
        editor.click()
        page.keyboard.press("Control+a")
        page.keyboard.insert_text(yaml)
        self.shot(shot)
        page.get_by_role("button", name="Save").first.click()
        # The first save asks for the name. The dialog's fields are slotted, so they
        # are found from the page; its button ("Rename" in 2025.4, "Save" later)
        # comes after the editor's own Save button.
        expect(page.get_by_role("textbox", name=re.compile("^Name"))).to_have_value(
            name, timeout=STEP_TIMEOUT_MS
        )
        page.get_by_role("button", name=re.compile("^(Rename|Save)$")).last.click()
        page.wait_for_url(re.compile(r"/config/automation/edit/(?!new)[^/]+$"))
        return page.url.rsplit("/", 1)[1]

    def reload_and_wait(self) -> None:
        """Reload the lock's entry: its entities go unavailable and come back."""
        self.record_states(ACTIVITY)
        self.action("homeassistant", "reload_config_entry", {"entity_id": LOCK})
        self.page.wait_for_function(
            "() => window.__states.includes('unavailable')"
            " && window.__states.at(-1) !== 'unavailable'",
            timeout=STEP_TIMEOUT_MS,
        )
        self.wait_state(STATUS, "connected", 60)
        self.page.wait_for_timeout(3000)  # what a reload would trigger, it has by now

    def door_trigger_and_logbook(self) -> None:
        """The device trigger "door opened": once per opening, not on a reload.

        Then the logbook says what happened, in words a user reads: the door, and
        who unlocked with the keypad.
        """
        page = self.page
        device_id = page.evaluate(f"(id) => {HASS}.entities[id].device_id", LOCK)
        automation_id = self.save_automation(
            DOOR_AUTOMATION_YAML.format(device_id=device_id),
            "Front door opened",
            "door-trigger-yaml",
        )
        self.action("tedee_sim", "open_door")
        deadline = time.monotonic() + STEP_TIMEOUT_MS / 1000
        while self.runs(automation_id) == 0:
            assert time.monotonic() < deadline, "the door trigger never fired"
            page.wait_for_timeout(200)
        self.reload_and_wait()
        assert self.runs(automation_id) == 1, "the door trigger fired on a reload"
        self.action("tedee_sim", "close_door")
        # The door's own logbook, as its entity's "Show more" opens it (a reload
        # adds a line per entity to the whole logbook).
        page.goto(f"{self.url}/logbook?entity_id=binary_sensor.front_door_door")
        # The logbook draws only the rows in view: look before more lines come.
        expect(page.get_by_text("Door opened (door sensor)").first).to_be_visible(
            timeout=STEP_TIMEOUT_MS
        )
        expect(page.get_by_text("Door closed (door sensor)").first).to_be_visible(
            timeout=STEP_TIMEOUT_MS
        )
        self.shot("door-trigger-once-and-the-logbook")
        # Locked, then Anna types her PIN on the keypad, then locked again.
        for action, state in (
            (("lock", "lock", {"entity_id": LOCK}), "locked"),
            (("tedee_sim", "keypad_unlock", {}), "unlocked"),
            (("lock", "lock", {"entity_id": LOCK}), "locked"),
        ):
            self.action(*action)
            self.wait_state(LOCK, state, 30)
        page.goto(f"{self.url}/logbook?entity_id={LOCK}")
        expect(
            page.get_by_text("Unlocked with the keypad (Anna, PIN Garden gate)").first
        ).to_be_visible(timeout=STEP_TIMEOUT_MS)
        self.shot("logbook-keypad-unlock-by-anna")

    def automation_in_the_ui(self) -> None:
        """Made in the editor; fires once per button press, not on a reload."""
        page = self.page
        automation_id = self.save_automation(
            AUTOMATION_YAML, "Button pressed at the front door", "automation-yaml"
        )
        self.shot("automation-saved")
        self.action("tedee_sim", "press_button")
        deadline = time.monotonic() + STEP_TIMEOUT_MS / 1000
        while self.runs(automation_id) == 0:
            assert time.monotonic() < deadline, "the automation never ran"
            page.wait_for_timeout(200)
        # A reload makes the activity entity unavailable and brings it back.
        self.reload_and_wait()
        assert self.runs(automation_id) == 1, "the automation ran again on reload"
        # What the user sees: one notification from it, not two.
        page.locator("ha-sidebar").get_by_text("Notifications", exact=True).click()
        ours = page.get_by_text("unlocked_button", exact=True)
        expect(ours).to_have_count(1)
        expect(ours).to_be_visible()
        page.wait_for_timeout(500)  # the drawer slides in
        self.shot("automation-ran-once-not-again-after-reload")
        page.keyboard.press("Escape")

    def out_of_range_and_back(self) -> None:
        """The status says so within a bounded time; back in range, quickly available.

        The activity entity stays through it (the lock's log fills the gap), so
        the logbook gets no "became unavailable" and "detected an event" for it.
        """
        self.device_page()
        self.record_states(ACTIVITY)
        self.action("tedee_sim", "out_of_range")
        self.timed(
            "out of range shown after", self.wait_state(STATUS, "out_of_range", 180)
        )
        self.expect_status("Out of range")
        self.shot("out-of-range")
        self.action("tedee_sim", "into_range")
        self.timed("available again after", self.wait_state(STATUS, "connected", 60))
        self.expect_status("Connected")
        self.shot("back-in-range")
        activity = self.recorded_states()
        assert "unavailable" not in activity, activity

    def reauthentication(self) -> None:
        """The cloud refuses the key; a new key is asked for and taken in the UI."""
        page = self.page
        self.action("tedee_sim", "reject_key", {"key": KEY})
        self.action("tedee_sim", "lose_time")  # the lock asks for a signed time
        page.goto(f"{self.url}/config/integrations/dashboard")
        button = page.get_by_role(
            "button", name=re.compile("^Re(authenticate|configure)$")
        )
        expect(button.first).to_be_visible(timeout=STEP_TIMEOUT_MS)
        self.shot("reauth-needed")
        button.first.click()
        field = page.locator("input[name=personal_access_key]")
        expect(field).to_be_visible(timeout=STEP_TIMEOUT_MS)
        field.fill(KEY)
        page.get_by_role("button", name="Submit").click()
        expect(
            page.get_by_text(
                "The Tedee cloud does not accept this Personal Access Key."
            )
        ).to_be_visible(timeout=STEP_TIMEOUT_MS)
        self.shot("reauth-key-still-refused")
        self.action("tedee_sim", "accept_key", {"key": KEY})  # a valid key again
        self.record_states(STATUS)
        submitted = time.monotonic()
        field.fill(KEY)  # a refused key is not kept in the form
        page.get_by_role("button", name="Submit").click()
        expect(page.get_by_text("The key was updated.")).to_be_visible(
            timeout=STEP_TIMEOUT_MS
        )
        self.shot("reauth-done")
        close = page.get_by_role("button", name="Close", exact=True).filter(
            visible=True
        )
        close.last.click()
        expect(button).to_have_count(0, timeout=STEP_TIMEOUT_MS)  # nothing left to do
        # The key is taken in place (no reload, nothing goes unavailable): the
        # lock, which still wants a signed time, gets it with the key that works.
        page.wait_for_function(
            "() => window.__states.at(-1) === 'connected'", timeout=60_000
        )
        self.timed("connected again after the new key", time.monotonic() - submitted)
        assert "unavailable" not in self.recorded_states(), "the new key reloaded"

    def restart_from_the_ui(self) -> None:
        """Settings, restart; the lock is connected again afterwards."""
        page = self.page
        page.goto(f"{self.url}/config/dashboard")
        self.open_menu()
        page.get_by_role("menuitem", name="Restart Home Assistant").click()
        expect(page.get_by_text("Advanced options")).to_be_visible()
        page.wait_for_timeout(500)  # the dialog's opening animation
        self.shot("restart-dialog")
        # The item, not the dialog's title of the same words.
        page.get_by_text("Interrupts all running automations and scripts.").click()
        confirm = page.get_by_role("button", name="Restart", exact=True).filter(
            visible=True
        )
        expect(confirm.last).to_be_visible()
        page.wait_for_timeout(500)
        self.shot("restart-confirm")
        started = time.monotonic()
        confirm.last.click()
        page.wait_for_function(
            f"() => {HASS}?.connected === false", timeout=STEP_TIMEOUT_MS
        )
        # Only a reconnected frontend has fresh states: the old ones still say
        # connected until the new Home Assistant's arrive, so load the page again.
        page.wait_for_function(f"() => {HASS}?.connected === true", timeout=120_000)
        page.reload()
        page.wait_for_function(f"() => {HASS}?.connected === true", timeout=120_000)
        self.wait_state(STATUS, "connected", 120 - (time.monotonic() - started))
        self.timed("connected again after the restart", time.monotonic() - started)
        self.device_page()
        self.expect_status("Connected")
        self.shot("after-restart")

    def add_proxy_in_the_ui(self) -> None:
        """Add integration -> ESPHome -> host and port, as a user adds a proxy."""
        page = self.page
        page.goto(f"{self.url}/config/integrations/dashboard")
        page.get_by_role("button", name="Add integration").click()
        dialog = page.locator("dialog-add-integration")
        # The list first, as a user sees it before typing: searching while it
        # still loads can trip the 2026.2 dialog's list (an uncaught TypeError
        # in its virtualizer, which the frontend reports to Home Assistant's log).
        expect(dialog.locator("ha-integration-list-item").first).to_be_visible(
            timeout=STEP_TIMEOUT_MS
        )
        page.get_by_label("Search for a brand name").fill("ESPHome")
        dialog.get_by_text("ESPHome", exact=True).first.click()
        host = page.locator("input[name=host]")
        expect(host).to_be_visible(timeout=STEP_TIMEOUT_MS)
        host.fill("127.0.0.1")
        port = page.get_by_role("spinbutton", name="Port")  # a number field
        port.fill(str(SPARE_PROXY_PORT))
        expect(port).to_have_value(str(SPARE_PROXY_PORT))
        self.shot("esphome-host-and-port")
        page.get_by_role("button", name="Submit").click()
        # "Created configuration for Bluetooth proxy 3." up to the 2025 frontends;
        # "Device created" with the name in a field from 2026.
        expect(
            page.get_by_text("Created configuration for Bluetooth proxy 3")
            .or_(page.get_by_text("Device created"))
            .first
        ).to_be_visible(timeout=STEP_TIMEOUT_MS)
        name = page.get_by_label("Device name")
        if name.count():
            expect(name.first).to_have_value("Bluetooth proxy 3")
        self.shot("esphome-proxy-added")
        page.keyboard.press("Escape")

    def connected_through_a_proxy(self) -> None:
        """Settings -> Bluetooth: the proxies' slots, and the lock's link on one."""
        page = self.page
        page.goto(f"{self.url}/config/bluetooth/connection-monitor")
        expect(
            page.get_by_text(re.compile("Bluetooth proxy [12]")).first
        ).to_be_visible(timeout=STEP_TIMEOUT_MS)
        self.shot("lock-connected-through-a-proxy")

    def jam_said_once(self) -> None:
        """A jam on a command from Home Assistant: the action says so, in words; the
        jam is one activity event, however often the door moves while it lasts."""
        page = self.page
        self.action("lock", "unlock", {"entity_id": LOCK})
        self.wait_state(LOCK, "unlocked", 30)
        self.action("tedee_sim", "jam_next")
        self.device_page()
        controls = page.locator("ha-card", has_text="Controls")
        controls.get_by_text("Front door", exact=True).click()
        dialog = page.locator("ha-more-info-dialog")
        dialog.get_by_role("switch").click()  # lock: the bolt jams on the way
        expect(page.get_by_text(JAM_MESSAGE).first).to_be_visible(
            timeout=STEP_TIMEOUT_MS
        )
        self.shot("jammed-while-locking")
        page.keyboard.press("Escape")
        self.wait_state(LOCK, "jammed", 30)
        self.record_activity()
        for action, state in (("open_door", "on"), ("close_door", "off")):
            self.action("tedee_sim", action)
            self.wait_state(DOOR, state, 30)
        page.wait_for_timeout(2000)  # what the door's reports would fire, has
        fired = page.evaluate("() => window.__activity")
        assert fired == ["door_opened", "door_closed"], fired
        page.goto(f"{self.url}/logbook?entity_id={LOCK}")
        expect(page.get_by_text("Jammed (while locking)").first).to_be_visible(
            timeout=STEP_TIMEOUT_MS
        )
        self.shot("jam-logged-once")

    def record_activity(self) -> None:
        """From now on, each activity event's type lands in ``window.__activity``."""
        self.page.evaluate(
            f"""async () => {{
                window.__activity = [];
                await {HASS}.connection.subscribeEvents((event) => {{
                    window.__activity.push(event.data.type);
                }}, "{ACTIVITY_EVENT}");
            }}"""
        )

    def log_reading_in_place(self) -> None:
        """Log reading switched off, then on again, in the options: no reload.

        The link stays, so no entity goes "unavailable" (nothing for the logbook).
        """
        page = self.page
        self.integration_page()
        self.record_states(LOCK)
        for reading, step in ((False, "options-log-reading-off"), (True, None)):
            dialog = self.open_options()
            box = (
                dialog.locator("ha-formfield")
                .filter(has_text="Read the lock's activity log")
                .get_by_role("checkbox")
            )
            expect(box).to_be_checked(checked=not reading)
            box.click()
            expect(box).to_be_checked(checked=reading)
            if step:
                page.wait_for_timeout(400)  # the box's tick drawn, for the picture
                self.shot(step)
            dialog.get_by_role("button", name="Submit").click()
            expect(dialog.get_by_text("Options successfully saved.")).to_be_visible(
                timeout=STEP_TIMEOUT_MS
            )
            dialog.get_by_role("button", name="Finish").click()
            expect(dialog.get_by_text("Options successfully saved.")).to_have_count(
                0, timeout=STEP_TIMEOUT_MS
            )
            page.wait_for_timeout(2000)  # a reload would have begun by now
        assert self.recorded_states() == [], "the options reloaded the entry"
        assert page.evaluate(f"(id) => {HASS}.states[id].state", STATUS) == "connected"

    def integration_page(self) -> None:
        """The integration's page, loaded (Home Assistant's state with it)."""
        page = self.page
        page.goto(f"{self.url}/config/integrations/integration/tedee_bluetooth")
        expect(page.get_by_text("Front door").first).to_be_visible(
            timeout=STEP_TIMEOUT_MS
        )

    def open_options(self) -> Locator:
        """The integration's options dialog (on its page), opened from the keyboard.

        A text button up to 2025, a cog from 2026; a pointer lands on the icon
        drawn over it.
        """
        page = self.page
        configure = page.get_by_role("button", name="Configure").first
        configure.focus()
        page.keyboard.press("Enter")
        dialog = page.locator("dialog-data-entry-flow")
        expect(
            dialog.get_by_text("Between connections the connection status reads")
        ).to_be_visible(timeout=STEP_TIMEOUT_MS)
        return dialog

    def on_demand_idle(self) -> None:
        """Switched to on demand in the options, and back: no reload either way.

        On demand the status says idle, and when the lock's state was last read;
        back to always connected it is connected again. The lock entity writes
        no state meanwhile (nothing for the logbook).
        """
        self.integration_page()
        self.record_states(LOCK)
        dialog = self.open_options()
        dialog.get_by_text("On demand", exact=True).click()
        self.page.wait_for_timeout(400)  # the radio's animation ends, for the picture
        self.shot("options-on-demand")
        dialog.get_by_role("button", name="Submit").click()
        self.wait_state(STATUS, "idle", 60)
        last_read = self.page.evaluate(
            f"(id) => {HASS}.states[id].attributes.last_read", STATUS
        )
        assert last_read, "idle, but when the state was read is not said"
        assert self.recorded_states() == [], "on demand reloaded the entry"
        self.device_page()
        self.expect_status("Idle \\(on demand\\)")
        self.shot("on-demand-idle")
        self.integration_page()
        self.record_states(LOCK)
        dialog = self.open_options()
        dialog.get_by_text("Always connected", exact=True).click()
        dialog.get_by_role("button", name="Submit").click()
        self.wait_state(STATUS, "connected", 60)
        assert self.recorded_states() == [], "always connected reloaded the entry"
        self.device_page()
        self.expect_status("Connected")
        self.shot("always-connected-again")

    def expect_status(self, text: str) -> None:
        """The device page's Diagnostic card shows this connection status."""
        # The card's rows are slotted: only the accessibility tree reads them whole.
        # The card also lists the calibration and door-sensor problem sensors.
        expect(self.page.locator("body")).to_match_aria_snapshot(
            f"- list: /Connection status {text}/", timeout=STEP_TIMEOUT_MS
        )
        heading = self.page.get_by_role("heading", name="Diagnostic")
        heading.evaluate("(el) => el.scrollIntoView({block: 'center'})")

    def device_page(self) -> None:
        open_device_page(self.page, self.url)
        expect(self.page.get_by_text("Connection status").first).to_be_visible(
            timeout=STEP_TIMEOUT_MS
        )


def open_device_page(page: Page, url: str) -> None:
    """The lock's device page, reached as a user does: Devices, then the lock."""
    page.goto(f"{url}/config/devices/dashboard")
    page.get_by_text("Front door", exact=True).first.click()
