/* global frappe, __ */
const PUNCH_COLORS = {
  Pending: "orange",
  Processed: "green",
  Unmapped: "yellow",
  Duplicate: "gray",
  Skipped: "light-blue",
  Error: "red",
};

frappe.listview_settings["Biometric Punch"] = {
  add_fields: ["status", "reason"],
  get_indicator(doc) {
    return [__(doc.status), PUNCH_COLORS[doc.status] || "gray", `status,=,${doc.status}`];
  },
  onload(listview) {
    listview.page.add_actions_menu_item(
      __("Reprocess"),
      () => {
        const names = listview.get_checked_items(true);
        if (!names.length) return;
        frappe.call({
          method: "biometric_sync.api.desk.reprocess_punches",
          args: { names },
          freeze: true,
          callback(r) {
            const { requeued, ignored } = r.message;
            frappe.show_alert({
              message: __("{0} punches queued for processing, {1} left as they were", [requeued, ignored]),
              indicator: "green",
            });
            listview.refresh();
          },
        });
      },
      false,
    );
  },
};
