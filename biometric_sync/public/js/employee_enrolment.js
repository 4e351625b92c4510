/* global frappe, __ */
// Device Enrolment on the Employee form: per terminal, the last user_set / user_delete about this Employee and
// its result, and what each terminal holds for it (biometric_sync.api.desk.employee_enrolment).

frappe.ui.form.on("Employee", {
  refresh(frm) {
    if (frm.is_new()) return;
    frm.add_custom_button(
      __("Device Enrolment"),
      () => {
        frappe
          .call({ method: "biometric_sync.api.desk.employee_enrolment", args: { employee: frm.doc.name } })
          .then((r) => show_enrolment(r.message));
      },
      __("View"),
    );
  },
});

function show_enrolment(data) {
  const esc = frappe.utils.escape_html;
  const rows = data.commands.map((c) => {
    const result = c.error || (c.result && c.result.action) || "";
    return `<tr><td>${esc(c.device)}</td><td>${esc(c.command_type)} ${esc(c.device_user_id || "")}</td><td>${esc(
      c.status,
    )}</td><td>${esc(result)}</td><td>${esc(c.creation)}</td></tr>`;
  });
  const held = data.device_users.map(
    (u) =>
      `<tr><td>${esc(u.device)}</td><td>${esc(u.device_user_id)}</td><td>${esc(u.user_name || "")}</td><td>${esc(
        u.privilege,
      )}</td><td>${u.removed_on ? __("removed {0}", [esc(u.removed_on)]) : __("present")}</td></tr>`,
  );
  const table = (head, body) =>
    body.length
      ? `<table class="table table-bordered"><thead><tr>${head
          .map((h) => `<th>${__(h)}</th>`)
          .join("")}</tr></thead><tbody>${body.join("")}</tbody></table>`
      : `<p class="text-muted">${__("None")}</p>`;
  frappe.msgprint({
    title: __("Device Enrolment"),
    wide: true,
    message:
      `<h5>${__("Last command per terminal")}</h5>` +
      table(["Device", "Command", "Status", "Result", "Queued"], rows) +
      `<h5>${__("On the terminals")}</h5>` +
      table(["Device", "User ID", "Name", "Privilege", "State"], held),
  });
}
