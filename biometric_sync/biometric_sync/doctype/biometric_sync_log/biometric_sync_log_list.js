/* global frappe, __ */
const SYNC_LOG_COLORS = { Running: "blue", Success: "green", Partial: "orange", Failed: "red" };

frappe.listview_settings["Biometric Sync Log"] = {
  add_fields: ["status"],
  get_indicator(doc) {
    return [__(doc.status), SYNC_LOG_COLORS[doc.status] || "gray", `status,=,${doc.status}`];
  },
};
