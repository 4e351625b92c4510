"""Background jobs of the ingest side (RQ, via frappe.enqueue).

Processing runs as ONE deduplicated job per site (``job_id`` + ``deduplicate=True``): a push enqueues it after
its commit; if the job is already queued or running nothing is added, and the running job keeps taking chunks
until no Pending punch is left or JOB_TIME_BOX_SECONDS have passed; then it queues its continuation. The scheduler's per-minute tick enqueues it too when Pending punches exist,
which covers punches committed just as a job was finishing.

That tail is closed here as well, so a punch does not wait up to a minute for the tick: when punches become
Pending while the job is running (it may already have looked for Pending punches for the last time), one
follow-up run is queued behind it after the commit (deduplicated too). So there is at most one queued and one running job;
with more than one RQ worker they can run at the same time, each locking its own chunks (SKIP LOCKED).
"""

import frappe
from frappe.utils.background_jobs import get_job_status
from rq.job import JobStatus

PROCESS_JOB_ID = "biometric_sync:process_punches"
FOLLOW_UP_JOB_ID = "biometric_sync:process_punches:follow-up"
PROCESS_METHOD = "biometric_sync.ingest.tasks.process_pending_job"
# How long one processing job runs before it hands the worker back (and queues its continuation).
JOB_TIME_BOX_SECONDS = 30


def enqueue_processing() -> None:
	"""Queues the processing job once the current transaction commits (deduplicated)."""
	frappe.enqueue(
		PROCESS_METHOD,
		queue="default",
		timeout=JOB_TIME_BOX_SECONDS * 20,
		job_id=PROCESS_JOB_ID,
		deduplicate=True,
		enqueue_after_commit=True,
	)
	try:
		running = get_job_status(PROCESS_JOB_ID) == JobStatus.STARTED
	except Exception:
		running = False  # the scheduler's tick is the safety net
	if running:
		# The deduplicated enqueue above did nothing; the running job may miss these punches.
		frappe.db.after_commit.add(ensure_a_run_after_commit)


def ensure_a_run_after_commit() -> None:
	"""After the commit: make sure some processing run starts after it. A queued run will see the new rows; a
	running one may not, so it gets a follow-up; if the job finished meanwhile, it is queued again."""
	try:
		if JobStatus.QUEUED in (get_job_status(PROCESS_JOB_ID), get_job_status(FOLLOW_UP_JOB_ID)):
			return
		running = get_job_status(PROCESS_JOB_ID) == JobStatus.STARTED
		frappe.enqueue(
			PROCESS_METHOD,
			queue="default",
			timeout=JOB_TIME_BOX_SECONDS * 20,
			job_id=FOLLOW_UP_JOB_ID if running else PROCESS_JOB_ID,
			deduplicate=True,
		)
	except Exception:
		# Never fail the request that committed: the scheduler's tick picks the punches up within a minute.
		frappe.log_error(title="biometric_sync: could not queue punch processing")


def process_pending_job() -> None:
	"""One time-boxed run: a backlog is worked off in runs of at most JOB_TIME_BOX_SECONDS, each queueing the
	next at the back of the queue, so the per-minute tick and other jobs get the worker in between (with the
	bench default of one worker, a single long run starved the scheduler for the whole backlog)."""
	from biometric_sync.ingest.processor import process_pending

	process_pending(time_box_seconds=JOB_TIME_BOX_SECONDS)
	if has_pending():
		ensure_a_run_after_commit()


def has_pending() -> bool:
	return bool(frappe.db.exists("Biometric Punch", {"status": "Pending"}))
