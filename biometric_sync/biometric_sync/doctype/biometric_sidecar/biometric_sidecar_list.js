/* global frappe, __ */
frappe.listview_settings["Biometric Sidecar"] = {
  add_fields: ["status"],
  get_indicator(doc) {
    return doc.status === "Online"
      ? [__("Online"), "green", "status,=,Online"]
      : [__("Offline"), "gray", "status,=,Offline"];
  },
};
