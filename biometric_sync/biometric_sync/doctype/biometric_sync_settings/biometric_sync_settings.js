/* global frappe, __ */
// "Mark a Day Now" (Daily Attendance from punches): decides one past day without waiting for its cut-off time
// and shows what was marked; the Biometric Attendance report shows every employee's outcome.

const DAILY = "Daily Attendance from punches";

frappe.ui.form.on("Biometric Sync Settings", {
  refresh(frm) {
    if (frm.doc.attendance_mode !== DAILY) return;
    frm.add_custom_button(__("Biometric Attendance Report"), () =>
      frappe.set_route("query-report", "Biometric Attendance"),
    );
    frm.add_custom_button(__("Mark a Day Now"), () => mark_day_dialog(frm));
  },
});

function mark_day_dialog(frm) {
  const dialog = new frappe.ui.Dialog({
    title: __("Mark a Day Now"),
    fields: [
      {
        fieldname: "date",
        fieldtype: "Date",
        label: __("Date"),
        reqd: 1,
        default: frappe.datetime.add_days(frappe.datetime.get_today(), -1),
      },
    ],
    primary_action_label: __("Mark"),
    primary_action(values) {
      dialog.hide();
      frappe
        .call({
          method: "biometric_sync.api.attendance.mark_attendance",
          args: { date: values.date },
          freeze: true,
          freeze_message: __("Marking attendance…"),
        })
        .then((r) => show_summary(frm, r.message));
    },
  });
  dialog.show();
}

function show_summary(frm, summary) {
  const counts = Object.entries(summary.counts || {})
    .map(([outcome, count]) => `${__(outcome)}: ${count}`)
    .join(", ");
  let message = `<p>${__("Decided now")}: ${counts || __("nobody")}</p>`;
  message += `<p>${__("Decided before")}: ${summary.already_decided}</p>`;
  if (summary.waiting_employees) {
    message += `<p>${__("{0} employees wait for devices that have not delivered the day: {1}", [
      summary.waiting_employees,
      summary.holding_devices.map((d) => frappe.utils.escape_html(d)).join(", "),
    ])}</p>`;
  }
  frappe.msgprint({ title: __("Attendance for {0}", [summary.day]), message, indicator: "green" });
  frm.reload_doc();
}
