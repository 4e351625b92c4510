"""The single writer of Employee Checkin: turns Pending Biometric Punches into checkins.

Every punch ends with a final status and a reason; nothing raises out of ``process_punches``:

- **Unmapped**: no Employee has the configured lookup field equal to the device user id (exact string match,
  also for case and trailing spaces, which the database collation would ignore). Parked until an Employee's
  lookup field is set or changed (``replay``).
- **Skipped**: the Employee's status is not Active (reason names the status).
- **Duplicate**: an Employee Checkin with the same employee, time and log type exists (HRMS rejects such
  repeats); the punch is linked to that checkin.
- **Processed**: a new Employee Checkin, linked.
- **Error**: anything else (e.g. HRMS validation such as a shift that wants a log type), with the message.

Time: the punch's device-local time → the site's time zone (device time zone from Biometric Device, empty =
site zone). Direction: the site's rules applied to the punch state; a punch without a state keeps the
direction the sidecar sent.
"""

from collections import defaultdict

import frappe
from frappe.utils import now_datetime, strip_html

from biometric_sync import settings as bsync_settings
from biometric_sync.ingest import sync_log
from biometric_sync.ingest.timezones import convert_wall_time, is_valid_time_zone

PUNCH = "Biometric Punch"
CHUNK_SIZE = 200
REASON_LENGTH = 1000
FIELDS = ["name", "device", "device_user_id", "punch_time", "state", "direction", "sync_log"]


def process_pending(max_chunks: int | None = None, commit: bool = True) -> dict:
	"""Processes Pending punches in chunks of CHUNK_SIZE, oldest first, committing after each chunk.
	Returns the totals per status."""
	totals: dict[str, int] = defaultdict(int)
	chunks = 0
	while max_chunks is None or chunks < max_chunks:
		names = [
			row[0]
			for row in frappe.db.sql(
				f"select name from `tab{PUNCH}` where status = 'Pending' order by site_time, name "
				f"limit {CHUNK_SIZE} for update skip locked"
			)
		]
		if not names:
			break
		for status, count in process_punches(names).items():
			totals[status] += count
		chunks += 1
		if commit:
			frappe.db.commit()
	return dict(totals)


def process_punches(names: list[str]) -> dict:
	"""Processes the given punches (those still Pending). Never raises. Returns counts per final status."""
	rows = frappe.get_all(PUNCH, filters={"name": ("in", names), "status": "Pending"}, fields=FIELDS)
	if not rows:
		return {}
	settings = bsync_settings.get_settings()
	context = _Context(
		field=bsync_settings.lookup_field(settings),
		rules=bsync_settings.direction_rules(settings),
		skip_auto_attendance=int(settings.skip_auto_attendance or 0),
		site_zone=bsync_settings.site_time_zone(),
	)
	context.load_devices({row.device for row in rows})
	context.load_employees({row.device_user_id for row in rows})

	counts: dict[str, int] = defaultdict(int)
	per_log: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
	for row in rows:
		outcome = _process_one(row, context)
		_write_outcome(row.name, outcome)
		counts[outcome["status"]] += 1
		if row.sync_log and outcome["status"] in ("Unmapped", "Error"):
			per_log[row.sync_log]["unmapped_count" if outcome["status"] == "Unmapped" else "error_count"] += 1

	for log_name, log_counts in per_log.items():
		sync_log.add_counts(log_name, **log_counts)
	_after_chunk({row.device for row in rows})
	return dict(counts)


class _Context:
	def __init__(self, field, rules, skip_auto_attendance, site_zone):
		self.field = field
		self.rules = rules
		self.skip_auto_attendance = skip_auto_attendance
		self.site_zone = site_zone
		self.device_zones: dict[str, str] = {}
		self.employees: dict[str, list] = {}

	def load_devices(self, devices: set[str]) -> None:
		for row in frappe.get_all(
			"Biometric Device", filters={"name": ("in", list(devices))}, fields=["name", "time_zone"]
		):
			zone = row.time_zone if is_valid_time_zone(row.time_zone) else self.site_zone
			self.device_zones[row.name] = zone

	def load_employees(self, user_ids: set[str]) -> None:
		self.employees = lookup_employees(self.field, user_ids)


def lookup_employees(field: str, user_ids: set[str]) -> dict[str, list]:
	"""user id → Employees whose ``field`` equals it exactly (string comparison in Python, because the
	database collation would match "A-17" to "a-17" and ignore trailing spaces)."""
	if not user_ids:
		return {}
	found: dict[str, list] = defaultdict(list)
	rows = frappe.get_all(
		"Employee",
		filters={field: ("in", list(user_ids))},
		fields=["name", "status", "employee_name", f"`{field}` as lookup_value"],
	)
	for row in rows:
		value = "" if row.lookup_value is None else str(row.lookup_value)
		if value in user_ids:
			found[value].append(row)
	return found


def _process_one(row, context: _Context) -> dict:
	outcome: dict = {"status": "Error", "reason": None}
	try:
		zone = context.device_zones.get(row.device, context.site_zone)
		outcome["site_time"] = site_time = convert_wall_time(row.punch_time, zone, context.site_zone)

		matches = context.employees.get(row.device_user_id) or []
		if not matches:
			outcome.update(
				status="Unmapped",
				reason=f"No Employee has {context.field} = {row.device_user_id!r}",
			)
			return outcome
		if len(matches) > 1:
			names = ", ".join(sorted(m.name for m in matches))
			outcome.update(
				reason=f"Several Employees have {context.field} = {row.device_user_id!r}: {names}",
			)
			return outcome

		employee = matches[0]
		outcome.update(employee=employee.name, employee_name=employee.employee_name)
		if employee.status != "Active":
			outcome.update(status="Skipped", reason=f"Employee {employee.name} is {employee.status}")
			return outcome

		state = _as_int(row.state)
		log_type = context.rules.direction_for(state) if state is not None else (row.direction or None)
		existing = existing_checkin(employee.name, site_time, log_type)
		if existing:
			outcome.update(status="Duplicate", employee_checkin=existing, reason=_duplicate_reason(existing))
			return outcome

		outcome.update(_insert_checkin(row, employee.name, site_time, log_type, context))
	except Exception as error:
		outcome.update(status="Error", reason=_message(error))
		frappe.log_error(title=f"biometric_sync: punch {row.name} failed")
	return outcome


def _insert_checkin(row, employee: str, site_time, log_type: str | None, context: _Context) -> dict:
	frappe.db.savepoint("bsync_checkin")
	try:
		checkin = frappe.get_doc(
			{
				"doctype": "Employee Checkin",
				"employee": employee,
				"time": site_time,
				"log_type": log_type,
				"device_id": row.device,
				"skip_auto_attendance": context.skip_auto_attendance,
			}
		)
		checkin.flags.ignore_permissions = True
		checkin.insert(ignore_permissions=True)
	except Exception as error:
		frappe.db.rollback(save_point="bsync_checkin")
		frappe.clear_messages()
		# HRMS's validate_duplicate_log, or a checkin stored since our check: link the existing one.
		existing = existing_checkin(employee, site_time, log_type)
		if existing:
			return {
				"status": "Duplicate",
				"employee_checkin": existing,
				"reason": _duplicate_reason(existing),
			}
		return {"status": "Error", "reason": _message(error)}
	frappe.db.release_savepoint("bsync_checkin")
	return {"status": "Processed", "employee_checkin": checkin.name, "reason": None}


def existing_checkin(employee: str, time, log_type: str | None) -> str | None:
	"""The checkin HRMS would call a duplicate (same employee, time and log type), as its own check does.
	HRMS stores a missing log type as "", so "no direction" matches both "" and NULL."""
	filters = [["employee", "=", employee], ["time", "=", time]]
	filters.append(["log_type", "=", log_type] if log_type else ["log_type", "is", "not set"])
	found = frappe.get_all(
		"Employee Checkin", filters=filters, pluck="name", limit=1, order_by="creation asc"
	)
	return found[0] if found else None


def _as_int(value) -> int | None:
	if value is None or value == "":
		return None
	try:
		return int(value)
	except (TypeError, ValueError):
		return None


def _duplicate_reason(checkin: str) -> str:
	return f"Employee Checkin {checkin} already has this employee, time and log type"


def _message(error: Exception) -> str:
	text = strip_html(str(error)) if str(error) else type(error).__name__
	return text[:REASON_LENGTH]


def _write_outcome(name: str, outcome: dict) -> None:
	values = {
		"status": outcome["status"],
		"reason": outcome.get("reason"),
		"employee": outcome.get("employee"),
		"employee_name": outcome.get("employee_name"),
		"employee_checkin": outcome.get("employee_checkin"),
		"processed_on": now_datetime(),
	}
	if outcome.get("site_time"):
		values["site_time"] = outcome["site_time"]
	frappe.db.set_value(PUNCH, name, values)


def _after_chunk(devices: set[str]) -> None:
	from biometric_sync.ingest.watermark import update_watermarks

	try:
		update_watermarks(devices)
	except Exception:
		frappe.log_error(title="biometric_sync: watermark update failed")
	for device in sorted(devices):
		frappe.publish_realtime(
			"biometric_sync:refresh",
			{"device": device},
			doctype="Biometric Device",
			docname=device,
			after_commit=True,
		)
