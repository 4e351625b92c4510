"""Many rows into one table with one parameterised INSERT.

The two hot writers (staged punches, processed checkins) insert hundreds of rows per statement. Frappe's
``frappe.db.bulk_insert`` builds that statement with pypika value by value, which was a sixth of a processing
job's CPU (py-spy, issue 12); here the values go to the driver as parameters and the statement is one string.
"""

from collections.abc import Sequence

import frappe


def insert(doctype: str, columns: Sequence[str], rows: Sequence[Sequence]) -> None:
	"""Inserts ``rows`` (each a sequence of values in ``columns`` order) into the doctype's table in one
	statement. Raises as the database does (a duplicate key fails the whole statement)."""
	if not rows:
		return
	column_list = ", ".join(f"`{column}`" for column in columns)
	row_placeholders = f"({', '.join(['%s'] * len(columns))})"
	frappe.db.sql(
		f"insert into `tab{doctype}` ({column_list}) values {', '.join([row_placeholders] * len(rows))}",
		[value for row in rows for value in row],
	)
