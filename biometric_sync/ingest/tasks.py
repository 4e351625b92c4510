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

import os
from functools import partial

import frappe
from frappe.utils import cint
from frappe.utils.background_jobs import get_job_status
from rq.job import JobStatus

PROCESS_JOB_ID = "biometric_sync:process_punches"
FOLLOW_UP_JOB_ID = "biometric_sync:process_punches:follow-up"
PROCESS_METHOD = "biometric_sync.ingest.tasks.process_pending_job"
# How long one processing job runs before it hands the worker back (and queues its continuation).
JOB_TIME_BOX_SECONDS = 30
# At most this many processing jobs run side by side (one per partition of the device user ids).
MAX_PARTITIONS = 4

Partition = tuple[int, int]  # (index, count): the punches whose crc32(device user id) % count == index
WHOLE: Partition = (0, 1)


def partition_count() -> int:
	"""How many processing jobs run side by side: one per RQ worker serving the default queue, at most
	MAX_PARTITIONS and at most one per CPU of this machine, and at most ``biometric_sync_processing_jobs`` of the
	site config when it is set (1 keeps processing to one job). A device user id (one employee) always falls in the same partition, so two jobs never
	insert checkins for the same employee at once (HRMS's duplicate check is not safe against that).

	Measured (issue 12, 2 cores, sites with 1 to 3.4 million checkins and punches, 60,000-punch backlogs staged
	while the workers were held, sets of three runs each): two jobs on two workers process a backlog 1.45 to 1.66
	times as fast as one (set medians, seven sets on one machine; 1.24 to 1.70 on earlier ones). The machine is
	then CPU-bound: one job keeps 1.1 to 1.15 CPUs busy (its Python about 0.4, MariaDB about 0.65 with its
	flushing and purge), two keep 1.7 to 1.9 busy, and each punch costs both about a tenth more CPU with two
	writers. Three or four jobs on as many workers were no faster than two (hence one per CPU). ``benchmarks/site-history.ts``."""
	try:
		from frappe.utils.background_jobs import generate_qname, get_workers

		default = generate_qname("default")
		workers = sum(1 for worker in get_workers() if default in worker.queue_names())
	except Exception:
		workers = 1
	count = min(MAX_PARTITIONS, workers, os.cpu_count() or 1)
	if frappe.conf.get("biometric_sync_processing_jobs"):
		count = min(count, cint(frappe.conf.get("biometric_sync_processing_jobs")))
	return max(1, count)


def job_ids(partition: Partition) -> tuple[str, str]:
	"""The processing job and its follow-up for a partition (the whole set keeps the plain ids)."""
	if partition == WHOLE:
		return PROCESS_JOB_ID, FOLLOW_UP_JOB_ID
	suffix = f":{partition[0]}of{partition[1]}"
	return PROCESS_JOB_ID + suffix, FOLLOW_UP_JOB_ID + suffix


def enqueue_processing() -> None:
	"""Queues the processing jobs (one per partition) once the current transaction commits (deduplicated)."""
	count = partition_count()
	for index in range(count):
		partition = (index, count)
		process_id, _ = job_ids(partition)
		frappe.enqueue(
			PROCESS_METHOD,
			queue="default",
			timeout=JOB_TIME_BOX_SECONDS * 20,
			job_id=process_id,
			deduplicate=True,
			enqueue_after_commit=True,
			partition=list(partition),
		)
		try:
			running = get_job_status(process_id) == JobStatus.STARTED
		except Exception:
			running = False  # the scheduler's tick is the safety net
		if running:
			# The deduplicated enqueue above did nothing; the running job may miss these punches.
			frappe.db.after_commit.add(partial(ensure_a_run_after_commit, partition))


def ensure_a_run_after_commit(partition: Partition = WHOLE) -> None:
	"""After the commit: make sure some processing run of the partition starts after it. A queued run will see
	the new rows; a running one may not, so it gets a follow-up; if the job finished meanwhile, it is queued
	again."""
	process_id, follow_up_id = job_ids(partition)
	try:
		if JobStatus.QUEUED in (get_job_status(process_id), get_job_status(follow_up_id)):
			return
		running = get_job_status(process_id) == JobStatus.STARTED
		frappe.enqueue(
			PROCESS_METHOD,
			queue="default",
			timeout=JOB_TIME_BOX_SECONDS * 20,
			job_id=follow_up_id if running else process_id,
			deduplicate=True,
			partition=list(partition),
		)
	except Exception:
		# Never fail the request that committed: the scheduler's tick picks the punches up within a minute.
		frappe.log_error(title="biometric_sync: could not queue punch processing")


def process_pending_job(partition: list[int] | None = None) -> None:
	"""One time-boxed run over one partition: a backlog is worked off in runs of at most JOB_TIME_BOX_SECONDS,
	each queueing the next at the back of the queue, so the per-minute tick and other jobs get a worker in
	between (with the bench default of one worker, a single long run starved the scheduler for the whole
	backlog).

	Two runs of a partition never overlap: a run that finds the partition's lock taken ends at once, without
	waiting for it (a worker waiting there could not serve another partition: with two workers, a follow-up
	waiting behind its running job held the second worker idle, and two workers were slower than one). The run
	holding the lock checks for Pending punches again after releasing it, so a punch the other run left is
	never left behind."""
	from biometric_sync.ingest.processor import process_pending

	part: Partition = (int(partition[0]), int(partition[1])) if partition else WHOLE
	lock = f"biometric_sync:processing:{part[0]}of{part[1]}"
	# A named lock of this connection: held until released or the job's connection closes.
	if not frappe.db.sql("select get_lock(%s, 0)", (lock,))[0][0]:
		return  # the running one checks for what is left once it releases the lock
	try:
		process_pending(time_box_seconds=JOB_TIME_BOX_SECONDS, partition=part)
	finally:
		frappe.db.sql("select release_lock(%s)", (lock,))
	if has_pending(part):
		ensure_a_run_after_commit(part)


def has_pending(partition: Partition = WHOLE) -> bool:
	if partition == WHOLE:
		return bool(frappe.db.exists("Biometric Punch", {"status": "Pending"}))
	return bool(
		frappe.db.sql(
			f"select 1 from `tabBiometric Punch` where status = 'Pending' and {partition_condition(partition)} "
			"limit 1"
		)
	)


def partition_condition(partition: Partition) -> str:
	"""SQL for "the punch's device user id falls in this partition" (integers only: safe to format)."""
	index, count = int(partition[0]), int(partition[1])
	return f"crc32(coalesce(device_user_id, '')) % {count} = {index}"
