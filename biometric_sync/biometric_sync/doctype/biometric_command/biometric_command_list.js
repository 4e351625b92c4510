/* global frappe, __ */
const COMMAND_COLORS = {
  Queued: "gray",
  Claimed: "blue",
  Running: "blue",
  Done: "green",
  Failed: "red",
  Expired: "orange",
};

frappe.listview_settings["Biometric Command"] = {
  add_fields: ["status"],
  get_indicator(doc) {
    return [__(doc.status), COMMAND_COLORS[doc.status] || "gray", `status,=,${doc.status}`];
  },
};
