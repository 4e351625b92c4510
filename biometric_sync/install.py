"""Install, migrate, uninstall and test-setup hooks (all idempotent)."""

import frappe
from frappe.model import no_value_fields

from biometric_sync.api.access import MANAGER_ROLE, SIDECAR_ROLE
from biometric_sync.indexes import drop_foreign_indexes, ensure_indexes

ROLES = {
	# Configures devices and sidecars, runs Sync Now / Test Connection, reviews punches and logs.
	MANAGER_ROLE: {"desk_access": 1},
	# The API user of a sidecar: calls only the sidecar endpoints, which check this role themselves.
	SIDECAR_ROLE: {"desk_access": 0},
}
OUR_DOCTYPES = (
	"Biometric Sync Settings",
	"Biometric Sidecar",
	"Biometric Device",
	"Biometric Punch",
	"Biometric Sync Log",
	"Biometric Command",
	"Biometric Attendance Mark",
)


def after_install() -> None:
	ensure_roles()
	ensure_settings()
	ensure_indexes()


def after_migrate() -> None:
	ensure_roles()
	ensure_settings()
	ensure_indexes()


def ensure_roles() -> None:
	for role, values in ROLES.items():
		if not frappe.db.exists("Role", role):
			frappe.get_doc({"doctype": "Role", "role_name": role, **values}).insert(ignore_permissions=True)


SETTINGS = "Biometric Sync Settings"


def ensure_settings() -> None:
	"""Writes the Single's defaults to the database, so every reader sees the same values: all of them on a new
	site; on a site migrating from an earlier version, those of settings added since (values already there are
	kept). Without this a new setting reads as empty until someone saves the form."""
	stored = frappe.db.get_singles_dict(SETTINGS)
	if not stored:
		frappe.get_single(SETTINGS).save(ignore_permissions=True)
		return
	for field in frappe.get_meta(SETTINGS).fields:
		if (
			field.default not in (None, "")
			and field.fieldname not in stored
			and field.fieldtype not in ("Date", "Datetime", "Time")  # "Today"/"now" mean the moment of saving
			and field.fieldtype not in no_value_fields
		):
			frappe.db.set_single_value(SETTINGS, field.fieldname, field.default)
	frappe.clear_document_cache(SETTINGS, SETTINGS)


def before_uninstall() -> None:
	"""Removes what Frappe does not delete with the module's doctypes: our roles (and their assignments), alerts
	that point at our documents, the settings' values, stored secrets, the scheduler job, and the API keys of
	sidecar users (the users are disabled, not deleted: they own the Employee Checkins they created)."""
	sidecar_users = frappe.get_all(
		"Has Role", filters={"role": SIDECAR_ROLE, "parenttype": "User"}, pluck="parent", distinct=True
	)
	for user in sidecar_users:
		frappe.db.set_value("User", user, {"enabled": 0, "api_key": None}, update_modified=False)
		frappe.db.delete("__Auth", {"doctype": "User", "name": user, "fieldname": "api_secret"})
	frappe.db.delete("Notification Log", {"document_type": ("in", OUR_DOCTYPES)})
	# Frappe drops our tables but not these: the Single's values, encrypted Password values, the cron job.
	frappe.db.delete("Singles", {"doctype": ("in", OUR_DOCTYPES)})
	frappe.db.delete("__Auth", {"doctype": ("in", OUR_DOCTYPES)})
	frappe.db.delete("Scheduled Job Type", {"method": ("like", "biometric_sync.%")})
	drop_foreign_indexes()  # our index on Employee Checkin (our own tables are dropped with their indexes)
	for role in ROLES:
		frappe.db.delete("Has Role", {"role": role})
		frappe.db.delete("Custom DocPerm", {"role": role})
		if frappe.db.exists("Role", role):
			frappe.delete_doc("Role", role, ignore_permissions=True, force=True)


def before_tests() -> None:
	"""A company and a completed setup wizard, as HRMS's own tests expect (no-op when a Company exists)."""
	from hrms.tests.test_utils import before_tests as hrms_before_tests

	hrms_before_tests()
