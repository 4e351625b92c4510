/* global frappe, __ */
const DEVICE_COLORS = { Online: "green", Offline: "gray", Error: "red", Unknown: "orange" };

frappe.listview_settings["Biometric Device"] = {
  add_fields: ["status", "enabled"],
  get_indicator(doc) {
    if (!doc.enabled) return [__("Disabled"), "gray", "enabled,=,0"];
    return [__(doc.status), DEVICE_COLORS[doc.status] || "gray", `status,=,${doc.status}`];
  },
};
