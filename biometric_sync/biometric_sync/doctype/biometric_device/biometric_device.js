/* global frappe, __, setInterval, clearInterval */
// Sync Now and Test Connection create a Biometric Command for the device's sidecar and follow it: the site
// publishes "biometric_sync:progress" {command, device} to this document's room, and the form re-reads the
// command's status (a slow poll covers a missed event).

const FINISHED = ["Done", "Failed", "Expired"];
const POLL_MS = 5000;

frappe.ui.form.on("Biometric Device", {
  setup(frm) {
    frappe.call("frappe.core.doctype.user.user.get_timezones").then((r) => {
      frm.set_df_property("time_zone", "options", r.message.timezones);
    });
  },

  refresh(frm) {
    if (frm.is_new()) return;
    if (!frm.doc.enabled) {
      // The sidecar serves enabled devices only; the site refuses commands for this one (DEVICE_DISABLED).
      frm.set_intro(__("This device is disabled: enable it to sync it or send it commands."), "orange");
      frm.add_custom_button(
        __("Device Users"),
        () => frappe.set_route("List", "Biometric Device User", { device: frm.doc.name }),
        __("Users"),
      );
      return;
    }
    frm.add_custom_button(__("Sync Now"), () => sync_now_dialog(frm));
    frm.add_custom_button(__("Test Connection"), () => {
      frappe
        .call({
          method: "biometric_sync.api.desk.test_connection",
          args: { device: frm.doc.name },
          freeze: true,
        })
        .then((r) => follow_command(frm, r.message.command, __("Test Connection")));
    });
    if (frm.doc.driver === "zk" && frm.doc.allow_clear_log) {
      frm.add_custom_button(__("Clear Log"), () => clear_log(frm));
    }
    if (USER_DRIVERS.includes(frm.doc.driver)) {
      frm.add_custom_button(
        __("Read Users"),
        () =>
          frappe
            .call({
              method: "biometric_sync.api.desk.read_users",
              args: { device: frm.doc.name },
              freeze: true,
            })
            .then((r) => follow_command(frm, r.message.command, __("Read Users"))),
        __("Users"),
      );
      frm.add_custom_button(
        __("Device Users"),
        () => frappe.set_route("List", "Biometric Device User", { device: frm.doc.name }),
        __("Users"),
      );
      if (frm.doc.enroll_employees && frm.doc.enroll_employees !== "No") {
        frm.add_custom_button(__("Preview Enrolment"), () => enrolment_preview(frm), __("Users"));
      }
    }
  },
});

// Families whose users the sidecar can read and change (eSSL cannot).
const USER_DRIVERS = ["zk", "adms", "hikvision"];

function enrolment_preview(frm) {
  frappe
    .call({
      method: "biometric_sync.api.desk.enrolment_preview",
      args: { device: frm.doc.name },
      freeze: true,
    })
    .then((r) => {
      const p = r.message;
      const esc = frappe.utils.escape_html;
      const list = (title, rows, line) =>
        `<h5>${title} (${rows.length})</h5>` +
        (rows.length
          ? `<ul>${rows
              .slice(0, 200)
              .map((row) => `<li>${line(row)}</li>`)
              .join("")}</ul>${
              rows.length > 200 ? `<p class="text-muted">${__("and {0} more", [rows.length - 200])}</p>` : ""
            }`
          : `<p class="text-muted">${__("None")}</p>`);
      const message = [
        p.users_known
          ? ""
          : `<p class="text-warning">${__(
              "The site has not read this terminal's users yet (Users → Read Users): every employee is listed as new and no leaver can be found on it.",
            )}</p>`,
        list(__("Put onto the terminal"), p.create, (x) => `${esc(x.user_id)} — ${esc(x.name)}`),
        list(
          __("Renamed on the terminal"),
          p.update,
          (x) => `${esc(x.user_id)}: ${esc(x.device_name || "")} → ${esc(x.name)}`,
        ),
        list(
          __("Leavers taken off ({0})", [p.delete[0] ? p.delete[0].mode : "delete"]),
          p.delete,
          (x) => `${esc(x.user_id)} — ${esc(x.device_name || "")} (${esc(x.employee)})`,
        ),
        list(__("Refused"), p.refused, (x) => `${esc(x.user_id)}: ${esc(x.reason)}`),
        `<p class="text-muted">${__("{0} already right; {1} users on the terminal belong to no employee and are left alone.", [p.unchanged, p.untouched])}</p>`,
      ].join("");
      const dialog = new frappe.ui.Dialog({
        title: __("Enrolment preview: {0}", [frm.doc.name]),
        size: "large",
        fields: [{ fieldtype: "HTML", options: message }],
        primary_action_label: __("Enrol Now"),
        primary_action() {
          dialog.hide();
          frappe
            .call({
              method: "biometric_sync.api.desk.enrol_now",
              args: { device: frm.doc.name },
              freeze: true,
            })
            .then((res) => {
              const out = res.message;
              frappe.msgprint(
                __("{0} commands queued, {1} already waiting, {2} refused.", [
                  out.queued.length,
                  out.coalesced.length,
                  out.refused.length,
                ]),
              );
              frm.reload_doc();
            });
        },
      });
      dialog.show();
    });
}

function clear_log(frm) {
  frappe.confirm(
    __(
      "Clear the log of {0}? The sidecar reads every punch on it first and clears only after this site has stored all of them; if a punch arrives meanwhile, or the site cannot confirm, it does not clear and says why.",
      [frm.doc.name],
    ),
    () =>
      frappe
        .call({ method: "biometric_sync.api.desk.clear_log", args: { device: frm.doc.name }, freeze: true })
        .then((r) => follow_command(frm, r.message.command, __("Clear Log"))),
  );
}

function sync_now_dialog(frm) {
  const dialog = new frappe.ui.Dialog({
    title: __("Sync Now: {0}", [frm.doc.name]),
    fields: [
      {
        fieldtype: "HTML",
        options: `<p class="text-muted">${__(
          "Leave both empty to pull new punches. A range (in the site's time zone) re-reads that period.",
        )}</p>`,
      },
      { fieldname: "from_time", fieldtype: "Datetime", label: __("From") },
      { fieldname: "to_time", fieldtype: "Datetime", label: __("To") },
    ],
    primary_action_label: __("Sync"),
    primary_action(values) {
      dialog.hide();
      frappe
        .call({
          method: "biometric_sync.api.desk.sync_now",
          args: { device: frm.doc.name, from_time: values.from_time, to_time: values.to_time },
          freeze: true,
        })
        .then((r) => follow_command(frm, r.message.command, __("Sync Now")));
    },
  });
  dialog.show();
}

function follow_command(frm, command, title) {
  let finished = false;
  const render = (status) => {
    if (finished) return;
    if (FINISHED.includes(status.status)) {
      finished = true;
      stop();
      frappe.hide_progress();
      show_result(title, status);
      frm.reload_doc();
      return;
    }
    const total = status.progress_total || 0;
    const done = status.progress_done || 0;
    const message = status.progress_message || __(status.status);
    frappe.show_progress(`${title}: ${command}`, done, total || 1, message);
  };
  const update = () =>
    frappe
      .call({ method: "biometric_sync.api.desk.command_status", args: { command } })
      .then((r) => render(r.message));
  const on_progress = (data) => {
    if (data && data.command === command) update();
  };
  const timer = setInterval(update, POLL_MS);
  const stop = () => {
    clearInterval(timer);
    frappe.realtime.off("biometric_sync:progress", on_progress);
  };
  frappe.realtime.on("biometric_sync:progress", on_progress);
  frappe.show_progress(`${title}: ${command}`, 0, 1, __("Waiting for the sidecar…"));
  void update();
}

function show_result(title, status) {
  const indicator = status.status === "Done" ? "green" : "red";
  const lines = [`<b>${__(status.status)}</b>`];
  if (status.error) lines.push(frappe.utils.escape_html(status.error));
  const counts = status.sync_log_counts;
  if (status.command_type === "clear_log" && status.status === "Done" && status.result) {
    lines.push(
      __("Cleared {0} records from the device, every punch confirmed on the site ({1}).", [
        status.result.cleared,
        status.result.confirmed,
      ]),
    );
  } else if (counts) {
    lines.push(
      __("Read {0}, new {1}, duplicate {2}, unmapped {3}, errors {4}", [
        counts.read_count,
        counts.new_count,
        counts.duplicate_count,
        counts.unmapped_count,
        counts.error_count,
      ]),
    );
  } else if (status.result) {
    lines.push(`<pre>${frappe.utils.escape_html(JSON.stringify(status.result, null, 2))}</pre>`);
  }
  frappe.msgprint({ title, message: lines.join("<br>"), indicator });
}
