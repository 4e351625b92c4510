# Copyright (c) 2026, biometric_sync contributors
# For license information, please see license.txt

from frappe.model.document import Document


class BiometricSyncLog(Document):
	"""One sync run; written only by biometric_sync.ingest.sync_log."""
