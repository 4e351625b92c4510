/* global frappe, __ */
// Device users as the terminals hold them (written only by the sidecar's reports). "Map suggested" maps each
// checked row's device user id to its Suggested Employee (biometric_sync.api.ui.accept_suggestions): a person
// accepts every mapping.

frappe.listview_settings["Biometric Device User"] = {
  add_fields: ["removed_on", "privilege", "employee", "suggested_employee", "device_user_id"],
  get_indicator(doc) {
    if (doc.removed_on) return [__("Removed"), "gray", "removed_on,is,set"];
    if (doc.privilege === "Admin") return [__("Admin"), "orange", "privilege,=,Admin"];
    if (doc.employee) return [__("Mapped"), "green", "employee,is,set"];
    if (doc.suggested_employee) return [__("Suggestion"), "blue", "suggested_employee,is,set"];
    return [__("Unmapped"), "yellow", "employee,is,not set"];
  },
  onload(listview) {
    listview.page.add_actions_menu_item(
      __("Map suggested"),
      () => {
        const pairs = listview
          .get_checked_items()
          .filter((d) => d.suggested_employee && !d.employee && !d.removed_on)
          .map((d) => ({ device_user_id: d.device_user_id, employee: d.suggested_employee }));
        if (!pairs.length) {
          frappe.msgprint(__("None of the checked rows has a suggested employee."));
          return;
        }
        frappe.confirm(__("Map {0} device user ids to their suggested employees?", [pairs.length]), () =>
          frappe
            .call({ method: "biometric_sync.api.ui.accept_suggestions", args: { pairs }, freeze: true })
            .then((r) => {
              const { mapped, failed } = r.message;
              frappe.msgprint({
                title: __("Map suggested"),
                indicator: failed.length ? "orange" : "green",
                message: [
                  __("{0} mapped", [mapped.length]),
                  ...failed.map(
                    (f) =>
                      `${frappe.utils.escape_html(f.device_user_id)}: ${frappe.utils.escape_html(f.error)}`,
                  ),
                ].join("<br>"),
              });
              listview.refresh();
            }),
        );
      },
      false,
    );
  },
};
