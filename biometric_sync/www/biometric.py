"""The HR page at /biometric (frontend/, built by `bench build` into ../public/frontend and ./biometric.html).

``biometric.html`` is vite's index.html with frappe-ui's ``jinjaBootData`` block: every key of ``boot`` below
becomes ``window[key]`` in the page. Deep links (/biometric/devices/Main Gate) reach this page through
``website_route_rules`` in hooks.py; the Vue router takes it from there.

Only Biometric Manager, HR Manager and System Manager reach the page. Guests are sent to the login page and come
back here afterwards; a signed-in user without those roles is sent to the login page too, which forwards a
signed-in user to their default page (sending them back here would loop).
"""

from urllib.parse import quote

import frappe

from biometric_sync import settings as bsync_settings
from biometric_sync.api.ui import PAGE_ROLES, can_manage, can_use_page

no_cache = 1


def get_context(context):
	if not can_use_page():
		path = (frappe.local.request.path if getattr(frappe.local, "request", None) else None) or "/biometric"
		frappe.local.flags.redirect_location = (
			f"/login?redirect-to={quote(path)}" if frappe.session.user == "Guest" else "/login"
		)
		raise frappe.Redirect(302)  # temporary: the same URL works once signed in
	csrf_token = frappe.sessions.get_csrf_token()
	frappe.db.commit()  # the CSRF token is stored with the session: keep it even if the page errors later
	context.no_cache = 1
	context.boot = get_boot(csrf_token)
	return context


def get_boot(csrf_token: str | None = None) -> dict:
	user = frappe.session.user
	return {
		"csrf_token": csrf_token or frappe.sessions.get_csrf_token(),
		"site_name": frappe.local.site,
		"socketio_port": frappe.conf.socketio_port or 9000,
		"user": user,
		"user_fullname": frappe.utils.get_fullname(user),
		"roles": sorted(set(frappe.get_roles(user)) & set(PAGE_ROLES)),
		"can_manage": can_manage(user),
		"lookup_field": bsync_settings.lookup_field(),
		"time_zone": bsync_settings.site_time_zone(),
	}


@frappe.whitelist(methods=["POST"])
def get_context_for_dev() -> dict:
	"""Boot data for the vite dev server (`npm run dev --workspace frontend`), in developer mode only."""
	if not frappe.conf.developer_mode:
		frappe.throw("This method is only meant for developer mode")
	if not can_use_page():
		frappe.throw("Not permitted", frappe.PermissionError)
	return get_boot()
