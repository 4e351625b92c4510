"""Who may call what. The sidecar endpoints check roles themselves: the Biometric Sidecar role has no Desk
permissions at all, and every read/write behind these checks uses ``ignore_permissions``.

- A user with **Biometric Sidecar** may act only as the Biometric Sidecar whose ``api_user`` it is.
- **System Manager** may act as any sidecar (admin tooling, tests).
- Desk actions (Sync Now, Test Connection, Reprocess) need **Biometric Manager** or System Manager.
"""

import frappe

from biometric_sync.errors import InvalidArgumentError, NotFoundError, NotPermittedError, fail

SIDECAR_ROLE = "Biometric Sidecar"
MANAGER_ROLE = "Biometric Manager"
ADMIN_ROLE = "System Manager"


def _roles() -> set[str]:
	return set(frappe.get_roles())


def require_name(value, what: str) -> str:
	if not value or not isinstance(value, str):
		fail(InvalidArgumentError, "INVALID_ARGUMENT", f"{what} is required")
	return value


def require_sidecar(sidecar) -> frappe._dict:
	"""The Biometric Sidecar row the caller may act as, or a coded error."""
	require_name(sidecar, "sidecar")
	roles = _roles()
	if ADMIN_ROLE not in roles and SIDECAR_ROLE not in roles:
		fail(NotPermittedError, "NOT_PERMITTED", "Only a Biometric Sidecar user may call this method")
	row = frappe.db.get_value("Biometric Sidecar", sidecar, ["name", "api_user"], as_dict=True)
	if not row:
		fail(NotFoundError, "UNKNOWN_SIDECAR", f"Biometric Sidecar {sidecar} does not exist")
	if ADMIN_ROLE not in roles and row.api_user != frappe.session.user:
		fail(NotPermittedError, "NOT_YOUR_SIDECAR", f"{frappe.session.user} is not the API user of {sidecar}")
	return row


def require_device_of(sidecar: str, device) -> frappe._dict:
	require_name(device, "device")
	row = frappe.db.get_value(
		"Biometric Device", device, ["name", "sidecar", "time_zone", "driver", "enabled"], as_dict=True
	)
	if not row:
		fail(NotFoundError, "UNKNOWN_DEVICE", f"Biometric Device {device} does not exist")
	if row.sidecar != sidecar:
		fail(NotPermittedError, "DEVICE_NOT_OWNED", f"Biometric Device {device} belongs to another sidecar")
	return row


def require_command(command) -> frappe._dict:
	"""The Biometric Command row, if the caller is its sidecar's API user (or a System Manager)."""
	require_name(command, "command")
	roles = _roles()
	if ADMIN_ROLE not in roles and SIDECAR_ROLE not in roles:
		fail(NotPermittedError, "NOT_PERMITTED", "Only a Biometric Sidecar user may call this method")
	row = frappe.db.get_value(
		"Biometric Command", command, ["name", "sidecar", "device", "status"], as_dict=True
	)
	if not row:
		fail(NotFoundError, "UNKNOWN_COMMAND", f"Biometric Command {command} does not exist")
	if ADMIN_ROLE not in roles:
		api_user = frappe.db.get_value("Biometric Sidecar", row.sidecar, "api_user")
		if api_user != frappe.session.user:
			fail(NotPermittedError, "NOT_YOUR_SIDECAR", f"{command} belongs to another sidecar")
	return row


def require_manager() -> None:
	if not _roles() & {MANAGER_ROLE, ADMIN_ROLE}:
		fail(NotPermittedError, "NOT_PERMITTED", "Only a Biometric Manager may do this")
