"""Mapping a device user id to an Employee: the Employee's lookup field (Biometric Sync Settings, default
``attendance_device_id``) is set to the id, and saving the Employee replays the punches parked for it
(``biometric_sync.ingest.replay``). One function for the HR page's Map (``api.ui.map_user_id``), its "accept
suggestions" (``api.ui.accept_suggestions``) and the automatic mapping of exact names
(``biometric_sync.users.device_users``).

Errors (coded): ``INVALID_ARGUMENT``, ``UNKNOWN_EMPLOYEE`` 404, ``INVALID_LOOKUP_FIELD`` 400, ``NOT_PERMITTED``
403 (no write permission on the Employee), ``ALREADY_MAPPED`` 409 (another Employee has this id),
``EMPLOYEE_HAS_ID`` 409 (the Employee has another id and ``replace`` is false).
"""

import frappe

from biometric_sync import settings as bsync_settings
from biometric_sync.api.access import require_name
from biometric_sync.errors import ConflictError, InvalidArgumentError, NotFoundError, NotPermittedError, fail
from biometric_sync.ingest.replay import requeue_unmapped


def lookup_field() -> str:
	field = bsync_settings.lookup_field()
	if not frappe.get_meta("Employee").has_field(field):
		fail(
			InvalidArgumentError,
			"INVALID_LOOKUP_FIELD",
			f"Employee has no field {field} (Biometric Sync Settings → Employee Lookup Field)",
		)
	return field


def holders(field: str, device_user_id: str, other_than: str | None = None) -> list[str]:
	"""Employees whose lookup value is exactly ``device_user_id`` (the collation ignores case and trailing
	spaces, so the database's answer is checked again here)."""
	filters = {field: device_user_id}
	if other_than:
		filters["name"] = ("!=", other_than)
	return [
		row.name
		for row in frappe.get_all("Employee", filters=filters, fields=["name", f"`{field}` as lookup_value"])
		if str(row.lookup_value) == device_user_id
	]


def map_id(device_user_id, employee, replace: bool = False, check_permission: bool = True) -> dict:
	if not isinstance(device_user_id, str) or device_user_id == "":
		fail(InvalidArgumentError, "INVALID_ARGUMENT", "device_user_id is required")
	require_name(employee, "employee")
	field = lookup_field()
	if not frappe.db.exists("Employee", employee):
		fail(NotFoundError, "UNKNOWN_EMPLOYEE", f"Employee {employee} does not exist")
	if check_permission and not frappe.has_permission("Employee", "write", doc=employee):
		fail(NotPermittedError, "NOT_PERMITTED", f"You may not change Employee {employee}")

	taken = holders(field, device_user_id, other_than=employee)
	if taken:
		fail(ConflictError, "ALREADY_MAPPED", f"{', '.join(taken)} already has {field} = {device_user_id!r}")

	doc = frappe.get_doc("Employee", employee)
	previous = doc.get(field)
	previous = None if previous in (None, "") else str(previous)
	if previous not in (None, device_user_id) and not replace:
		fail(
			ConflictError,
			"EMPLOYEE_HAS_ID",
			f"{doc.employee_name or employee} already has {field} = {previous!r}",
		)

	parked = [
		name
		for name, user_id in frappe.get_all(
			"Biometric Punch",
			filters={"status": "Unmapped", "device_user_id": device_user_id},
			fields=["name", "device_user_id"],
			as_list=True,
		)
		if user_id == device_user_id
	]
	if previous == device_user_id:
		# Nothing changes on the Employee, so its on_update hook will not replay: do it here.
		requeue_unmapped(
			device_user_id, reason=f"Replayed: Employee {employee} has {field} = {device_user_id}"
		)
	else:
		doc.set(field, device_user_id)
		doc.save(ignore_permissions=not check_permission)  # on_update → replay of the parked punches
	return {
		"employee": doc.name,
		"employee_name": doc.employee_name,
		"field": field,
		"device_user_id": device_user_id,
		"previous": previous,
		"replayed": len(parked),
	}
