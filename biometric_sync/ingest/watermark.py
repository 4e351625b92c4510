"""Watermarks: how far each device's punches are known to be in Employee Checkin, and the Shift Type
``last_sync_of_checkin`` that follows from them.

Definitions (all times are naive SITE-local datetimes, like ``Employee Checkin.time``):

- ``Biometric Device.read_through``: the sidecar has read every punch the device had up to this time. Set when
  a ``pull`` command completes (its result's ``read_through``, a device-local time, converted to site time;
  without one, the time the command was claimed) or from a heartbeat's per-device ``read_through`` (push
  devices such as ADMS).
- ``Biometric Device.watermark``: every punch of the device up to this time has reached a final status. It is
  ``read_through``, held back to just before the oldest punch of that device still Pending, and never moves
  backwards.
- A shift's devices are the Biometric Devices that fed that shift's Employee Checkins in the last
  ``SHIFT_DEVICE_LOOKBACK_DAYS`` days. ``Shift Type.last_sync_of_checkin`` advances to the MINIMUM of their
  watermarks, so Auto Attendance never runs on a day one device has not delivered yet; it never moves
  backwards, and a device without a watermark holds its shifts where they are.

The first part of this module is pure (no frappe import at module level); the functions under "Frappe
part" import frappe when called.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

SHIFT_DEVICE_LOOKBACK_DAYS = 30


def min_watermark(watermarks: Iterable[datetime | None]) -> datetime | None:
	"""The minimum of the devices' watermarks; None when there are none or any device has none yet."""
	values = list(watermarks)
	if not values or any(value is None for value in values):
		return None
	return min(values)


def advance(current: datetime | None, candidate: datetime | None) -> datetime | None:
	"""The new value of a never-backwards watermark, or None when it must not change."""
	if candidate is None:
		return None
	if current is not None and candidate <= current:
		return None
	return candidate


def device_watermark_candidate(
	read_through: datetime | None, oldest_pending: datetime | None
) -> datetime | None:
	"""How far a device is complete: its read_through, held back before its oldest Pending punch."""
	if read_through is None:
		return None
	if oldest_pending is not None and oldest_pending <= read_through:
		return oldest_pending - timedelta(seconds=1)
	return read_through


# --- Frappe part ------------------------------------------------------------------------------------------


def update_device_watermark(device: str) -> datetime | None:
	"""Recomputes ``Biometric Device.watermark`` (never backwards). Returns the new value if it moved."""
	import frappe

	current, read_through = frappe.db.get_value("Biometric Device", device, ["watermark", "read_through"])
	oldest_pending = frappe.db.sql(
		"select min(site_time) from `tabBiometric Punch` where device = %s and status = 'Pending'", device
	)[0][0]
	new = advance(
		_as_datetime(current),
		device_watermark_candidate(_as_datetime(read_through), _as_datetime(oldest_pending)),
	)
	if new is not None:
		frappe.db.set_value("Biometric Device", device, "watermark", new, update_modified=False)
	return new


def shift_types_fed_by(devices: Iterable[str]) -> list[str]:
	import frappe

	devices = list(devices)
	if not devices:
		return []
	since = frappe.utils.add_days(frappe.utils.now_datetime(), -SHIFT_DEVICE_LOOKBACK_DAYS)
	return frappe.get_all(
		"Employee Checkin",
		filters={"device_id": ("in", devices), "shift": ("is", "set"), "time": (">=", since)},
		distinct=True,
		pluck="shift",
	)


def devices_of_shift(shift_type: str) -> list[str]:
	import frappe

	since = frappe.utils.add_days(frappe.utils.now_datetime(), -SHIFT_DEVICE_LOOKBACK_DAYS)
	fed = frappe.get_all(
		"Employee Checkin",
		filters={"shift": shift_type, "time": (">=", since), "device_id": ("is", "set")},
		distinct=True,
		pluck="device_id",
	)
	return frappe.get_all("Biometric Device", filters={"name": ("in", fed or [""])}, pluck="name")


def update_shift_last_sync(shift_type: str) -> datetime | None:
	"""Advances ``Shift Type.last_sync_of_checkin`` to the minimum watermark of the shift's devices."""
	import frappe

	devices = devices_of_shift(shift_type)
	if not devices:
		return None
	watermarks = frappe.get_all("Biometric Device", filters={"name": ("in", devices)}, pluck="watermark")
	current = frappe.db.get_value("Shift Type", shift_type, "last_sync_of_checkin")
	new = advance(_as_datetime(current), min_watermark(_as_datetime(w) for w in watermarks))
	if new is not None:
		frappe.db.set_value("Shift Type", shift_type, "last_sync_of_checkin", new, update_modified=False)
	return new


def update_watermarks(devices: Iterable[str]) -> None:
	"""After processing: move the devices' watermarks, then the Shift Types they feed."""
	devices = sorted(set(devices))
	for device in devices:
		update_device_watermark(device)
	for shift_type in shift_types_fed_by(devices):
		update_shift_last_sync(shift_type)


def _as_datetime(value) -> datetime | None:
	if value is None or value == "":
		return None
	if isinstance(value, datetime):
		return value
	from frappe.utils import get_datetime

	return get_datetime(value)
