/* global frappe, __ */
const OUTCOME_COLORS = {
  Present: "green",
  "Half Day": "orange",
  Absent: "red",
  Skipped: "gray",
};

frappe.listview_settings["Biometric Attendance Mark"] = {
  add_fields: ["outcome", "late_punch"],
  get_indicator(doc) {
    if (doc.late_punch) return [__("Late Punch to Review"), "yellow", "late_punch,=,1"];
    return [__(doc.outcome), OUTCOME_COLORS[doc.outcome] || "gray", `outcome,=,${doc.outcome}`];
  },
};
