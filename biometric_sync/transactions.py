"""Transaction helpers for the write paths that run side by side (pushes, processing, the outbox).

Two rules keep them from blocking each other:

- **No gap locks.** Under REPEATABLE READ (MariaDB's default) a locking read or UPDATE through a list of primary
  keys still takes next-key locks on the supremum of every index page it reaches, so an INSERT whose key falls
  at the end of such a page (a push's new punch, a new command) waits until the other transaction commits; on
  a lived-in table that was a push stalled behind a processing chunk. ``read_committed()`` runs a unit of work
  under READ COMMITTED, where InnoDB takes record locks only. Short transactions that lock a few rows lock them
  one primary-key lookup at a time instead (``outbox.claim``).
- **A shared counter is moved on its own connection.** A row every writer updates (the naming series of
  Employee Checkin) would stay locked by a long transaction until it commits; ``separate_connection()`` gives a
  connection whose short statements commit at once (``ingest.checkin_names``).
- **A deadlock is retried, never shown.** InnoDB rolls the whole transaction back; ``retry_on_deadlock`` runs
  the unit of work again after a short pause with jitter, so a request HR makes does not fail on it.
"""

import random
import time
from collections.abc import Callable
from contextlib import contextmanager
from typing import TypeVar

import frappe

T = TypeVar("T")
DEADLOCK_RETRIES = 3


@contextmanager
def read_committed():
	"""Commits, then runs the work inside under READ COMMITTED, then restores the session's level.

	It commits because a level set for the session applies from the next transaction only (and any statement,
	even reading a variable, starts one). Skipped where the binary log is statement-based: MariaDB refuses row
	changes under READ COMMITTED there (such a server keeps the default level and its gap locks)."""
	frappe.db.commit()
	if frappe.db.db_type != "mariadb":  # PostgreSQL takes no gap locks; READ COMMITTED is its default
		yield
		return
	previous, log_bin, binlog_format = frappe.db.sql(
		"select @@session.tx_isolation, @@global.log_bin, @@session.binlog_format"
	)[0]
	if previous == "READ-COMMITTED" or (int(log_bin or 0) and binlog_format == "STATEMENT"):
		yield
		return
	frappe.db.sql("set session transaction isolation level read committed")
	frappe.db.commit()  # ends the transaction the statements above started
	try:
		yield
	finally:
		frappe.db.sql(f"set session transaction isolation level {previous.replace('-', ' ').lower()}")


def retry_on_deadlock(work: Callable[[], T], retries: int = DEADLOCK_RETRIES) -> T:
	"""Runs ``work`` (which must be safe to run again: nothing of a rolled-back attempt remains) and retries it
	on a deadlock or lock wait timeout, rolling back first. The last failure is raised."""
	for attempt in range(retries):
		try:
			return work()
		except (frappe.QueryDeadlockError, frappe.QueryTimeoutError):
			frappe.db.rollback()
			if attempt == retries - 1:
				raise
			time.sleep((attempt + 1) * 0.1 + random.random() * 0.1)
	raise AssertionError("unreachable")


def separate_connection():
	"""A second connection to the site's database, as another worker would have: what it commits does not wait
	for (or roll back with) the current transaction. The caller closes it."""
	from frappe.database import get_db

	conf = frappe.conf
	db = get_db(
		socket=conf.db_socket,
		host=conf.db_host,
		port=conf.db_port,
		user=conf.db_user or conf.db_name,
		password=conf.db_password,
		cur_db_name=conf.db_name,
	)
	db.connect()
	return db
