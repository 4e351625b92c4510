"""Provisioning of a sidecar (used by ``bench --site S biometric-sync create-sidecar``)."""

import re

import frappe
from frappe.utils import get_url

from biometric_sync.api.access import SIDECAR_ROLE

# HR User too: Employee Checkin.time is permlevel 1 (design.md, Roles).
SIDECAR_USER_ROLES = (SIDECAR_ROLE, "HR User")
USER_DOMAIN = "sidecar.biometric-sync.invalid"


def sidecar_user_email(name: str) -> str:
	local_part = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "sidecar"
	return f"{local_part}@{USER_DOMAIN}"


def create_sidecar(name: str, location: str | None = None, rotate_secret: bool = False) -> dict:
	"""Creates the API user (roles Biometric Sidecar + HR User), its API key and secret, and the Biometric
	Sidecar row; returns the config the sidecar needs. With ``rotate_secret`` an existing sidecar gets a new
	secret instead (the old one stops working)."""
	name = (name or "").strip()
	if not name:
		frappe.throw("A sidecar needs a name")
	exists = frappe.db.exists("Biometric Sidecar", name)
	if exists and not rotate_secret:
		frappe.throw(f"Biometric Sidecar {name} already exists (use --rotate-secret for a new secret)")
	if not exists and rotate_secret:
		frappe.throw(f"Biometric Sidecar {name} does not exist")

	if exists:
		email = frappe.db.get_value("Biometric Sidecar", name, "api_user")
		if not email:
			frappe.throw(f"Biometric Sidecar {name} has no API user")
		user = frappe.get_doc("User", email)
	else:
		email = sidecar_user_email(name)
		user = frappe.get_doc("User", email) if frappe.db.exists("User", email) else frappe.new_doc("User")
		user.update({"email": email, "first_name": f"Sidecar {name}", "enabled": 1, "send_welcome_email": 0})
		have = {row.role for row in user.get("roles", [])}
		for role in SIDECAR_USER_ROLES:
			if role not in have:
				user.append("roles", {"role": role})

	user.api_key = user.api_key or frappe.generate_hash(length=15)
	api_secret = frappe.generate_hash(length=15)
	user.api_secret = api_secret
	if user.is_new():
		user.insert(ignore_permissions=True)
	else:
		user.save(ignore_permissions=True)

	if not exists:
		frappe.get_doc(
			{
				"doctype": "Biometric Sidecar",
				"sidecar_name": name,
				"api_user": user.name,
				"location": location,
			}
		).insert(ignore_permissions=True)

	return {
		"site_url": get_url(),
		"site_name": frappe.local.site,
		"sidecar": name,
		"api_key": user.api_key,
		"api_secret": api_secret,
	}
