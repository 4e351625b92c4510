"""Background jobs of the ingest side (RQ, via frappe.enqueue).

Processing runs as ONE deduplicated job per site (``job_id`` + ``deduplicate=True``): a push enqueues it after
its commit; if the job is already queued or running nothing is added, and the running job keeps taking chunks
until no Pending punch is left. The scheduler's per-minute tick enqueues it too when Pending punches exist,
which covers punches committed just as a job was finishing.
"""

import frappe

PROCESS_JOB_ID = "biometric_sync:process_punches"
PROCESS_METHOD = "biometric_sync.ingest.tasks.process_pending_job"


def enqueue_processing() -> None:
	"""Queues the processing job once the current transaction commits (deduplicated)."""
	frappe.enqueue(
		PROCESS_METHOD,
		queue="default",
		timeout=3600,
		job_id=PROCESS_JOB_ID,
		deduplicate=True,
		enqueue_after_commit=True,
	)


def process_pending_job() -> None:
	from biometric_sync.ingest.processor import process_pending

	process_pending()


def has_pending() -> bool:
	return bool(frappe.db.exists("Biometric Punch", {"status": "Pending"}))
