"""Clearing a device's log (issue 15): who may ask, which devices can, and when the scheduler asks.

The clear itself is done by the sidecar (``clear_log`` command, sidecar/src/service/logClearer.ts): it reads
the whole log, spools it, waits until this site has staged every punch under its uid (``confirm_punches``),
then clears with the device disabled, only if the log still holds nothing else. Here:

- only ZK terminals can be cleared from here: ADMS firmware's ``CLEAR LOG`` cannot be tied to a confirmed read
  (a punch can land between the upload and the command), Hikvision and eSSL offer no clear;
- a device is cleared only when its **Allow Clear Log** is on: by a person (Clear Log on the Desk or the HR
  page) or by the scheduler when its log memory reaches the alert threshold (Biometric Sync Settings →
  Memory Alert %), at most once per ``RETRY_HOURS`` while the clears are refused;
- a refused clear (the site could not confirm, a punch arrived) is not a device error: the device keeps its
  status, the command and its Sync Log say why.
"""

import frappe
from frappe.utils import add_to_date, cint

CLEARABLE_DRIVERS = ("zk",)
# The sidecar refused to clear for a reason that leaves the device healthy.
REFUSAL_CODES = ("CLEAR_NOT_CONFIRMED", "CLEAR_LOG_CHANGED", "CLEAR_NOT_ALLOWED")
RETRY_HOURS = 6


def can_clear(driver: str | None) -> bool:
	return driver in CLEARABLE_DRIVERS


def why_not(device) -> str | None:
	"""Why this device may not be cleared now, or None when it may."""
	if not can_clear(device.driver):
		return f"a {device.driver or 'device'} terminal's log cannot be cleared from here (only ZK terminals)"
	if not cint(device.allow_clear_log):
		return f"Allow Clear Log is off for {device.name}"
	if not device.sidecar:
		return f"{device.name} has no sidecar"
	return None


def is_refusal(result: dict | None) -> bool:
	return isinstance(result, dict) and result.get("code") in REFUSAL_CODES


def due_clears(now, settings) -> list[frappe._dict]:
	"""Devices whose log memory reached the alert threshold, that allow clearing and have no clear in flight or
	in the last RETRY_HOURS."""
	limit = cint(settings.memory_alert_percent)
	if limit <= 0:
		return []
	devices = frappe.get_all(
		"Biometric Device",
		filters={
			"enabled": 1,
			"allow_clear_log": 1,
			"driver": ("in", CLEARABLE_DRIVERS),
			"sidecar": ("is", "set"),
			"memory_used_percent": (">=", limit),
		},
		fields=["name", "sidecar"],
	)
	if not devices:
		return []
	recent = set(
		frappe.get_all(
			"Biometric Command",
			filters={
				"device": ("in", [d.name for d in devices]),
				"command_type": "clear_log",
				"creation": (">", add_to_date(now, hours=-RETRY_HOURS)),
			},
			pluck="device",
		)
	)
	return [d for d in devices if d.name not in recent]
