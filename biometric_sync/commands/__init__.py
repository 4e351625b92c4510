"""bench CLI of the app: ``bench --site S biometric-sync create-sidecar NAME [--location L]``.

Frappe imports ``<app>.commands`` and adds every click command in ``commands`` to bench, so this package
holds ONLY the CLI (the command outbox lives in ``biometric_sync.outbox``).
"""

import json

import click
from frappe.commands import get_site, pass_context


@click.group("biometric-sync")
def biometric_sync():
	"""biometric_sync administration."""


@biometric_sync.command("create-sidecar")
@click.argument("name")
@click.option("--location", default=None, help="Where the sidecar runs (free text).")
@click.option("--rotate-secret", is_flag=True, default=False, help="New API secret for an existing sidecar.")
@pass_context
def create_sidecar(context, name, location=None, rotate_secret=False):
	"""Create a sidecar: API user, keys, Biometric Sidecar row; print the config JSON it needs."""
	import frappe

	from biometric_sync.sidecars import create_sidecar as provision

	site = get_site(context)
	frappe.init(site=site)
	frappe.connect()
	try:
		frappe.set_user("Administrator")
		frappe.flags.mute_messages = True
		config = provision(name, location=location, rotate_secret=rotate_secret)
		frappe.db.commit()
	except frappe.ValidationError as error:
		frappe.db.rollback()
		raise click.ClickException(str(error)) from error
	finally:
		frappe.destroy()
	click.echo(json.dumps(config, indent=2))


commands = [biometric_sync]
