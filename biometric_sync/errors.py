"""Errors of the biometric_sync API: an HTTP status plus a stable ``code``, never text to match.

Mechanism: every error is a ``BiometricSyncError`` subclass carrying ``code`` and ``http_status_code``, raised
through ``fail()``. ``fail()`` also writes the code into ``frappe.local.response["code"]``; Frappe builds the
JSON error body from ``frappe.local.response``, so a failed call to ``/api/method/biometric_sync...`` answers

    HTTP 403
    {"code": "NOT_YOUR_SIDECAR", "exc_type": "NotPermittedError", "_server_messages": "[...human text...]"}

Clients branch on the HTTP status and ``code``; ``_server_messages`` is for people. In-process callers (tests,
Desk code) read ``exc.code``.

Codes used by the endpoints (per-punch codes are listed in ``biometric_sync.ingest.schema``):

=========================  ====  ==========================================================================
INVALID_ARGUMENT           400   a parameter is missing or has the wrong type/shape
NOT_PERMITTED              403   the caller lacks the role (Biometric Sidecar / Biometric Manager / System Manager)
NOT_YOUR_SIDECAR           403   a sidecar user acting as another sidecar (or on another sidecar's command)
DEVICE_NOT_OWNED           403   the device belongs to another sidecar
UNKNOWN_SIDECAR            404   no such Biometric Sidecar
UNKNOWN_DEVICE             404   no such Biometric Device
UNKNOWN_COMMAND            404   no such Biometric Command
INVALID_STATUS             400   complete_command status other than Done / Failed
BATCH_TOO_LARGE            413   more than 1000 punches in one push_punches call
ATTENDANCE_MODE_OFF        400   mark_attendance while Attendance Mode is not Daily Attendance from punches
INVALID_DEVICE_USER        400   report_device_users: an item of users/removed breaks the contract (which one is named)
DUPLICATE_USER_ID          400   report_device_users: the same user id twice in users
ENROLMENT_NOT_SUPPORTED    400   enrolment asked of a terminal whose family cannot manage users (eSSL)
DEVICE_DISABLED            400   Sync Now, Test Connection, Clear Log, Read Users or Enrol Now on a disabled device
ENROLMENT_OFF              400   Enrol Now on a terminal whose Enrol Employees is No
ALREADY_MAPPED             409   another Employee already has this device user id
EMPLOYEE_HAS_ID            409   the Employee has another device user id (map_user_id: pass replace=1)
=========================  ====  ==========================================================================
"""

import frappe


class BiometricSyncError(frappe.ValidationError):
	http_status_code = 400

	def __init__(self, code: str, message: str | None = None):
		super().__init__(message or code)
		self.code = code
		self.message = message or code


class InvalidArgumentError(BiometricSyncError):
	http_status_code = 400


class NotPermittedError(BiometricSyncError, frappe.PermissionError):
	http_status_code = 403


class NotFoundError(BiometricSyncError, frappe.DoesNotExistError):
	http_status_code = 404


class ConflictError(BiometricSyncError):
	http_status_code = 409


class PayloadTooLargeError(BiometricSyncError):
	http_status_code = 413


def fail(exc_class: type[BiometricSyncError], code: str, message: str) -> None:
	"""Raises ``exc_class(code, message)`` and puts ``code`` into the JSON error body."""
	response = getattr(frappe.local, "response", None)
	if response is not None:
		response["code"] = code
	frappe.msgprint(message, title=code, indicator="red")
	raise exc_class(code, message)
