/* global frappe, __ */
const DEVICE_COLORS = {
  Online: "green",
  Offline: "gray",
  Error: "red",
  Unknown: "orange",
  Discovered: "blue",
};

frappe.listview_settings["Biometric Device"] = {
  add_fields: ["status", "enabled"],
  get_indicator(doc) {
    if (doc.status === "Discovered")
      return [__("Discovered: enable to accept"), "blue", "status,=,Discovered"];
    if (!doc.enabled) return [__("Disabled"), "gray", "enabled,=,0"];
    return [__(doc.status), DEVICE_COLORS[doc.status] || "gray", `status,=,${doc.status}`];
  },
};
