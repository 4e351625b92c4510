/* global frappe, __ */
frappe.query_reports["Biometric Attendance"] = {
  filters: [
    {
      fieldname: "from_date",
      label: __("From"),
      fieldtype: "Date",
      reqd: 1,
      default: frappe.datetime.add_days(frappe.datetime.get_today(), -7),
    },
    {
      fieldname: "to_date",
      label: __("To"),
      fieldtype: "Date",
      reqd: 1,
      default: frappe.datetime.add_days(frappe.datetime.get_today(), -1),
    },
    {
      fieldname: "outcome",
      label: __("Outcome"),
      fieldtype: "Select",
      options: ["", "Present", "Half Day", "Absent", "Skipped", "Late punch to review"].join("\n"),
    },
    {
      fieldname: "employee",
      label: __("Employee"),
      fieldtype: "Link",
      options: "Employee",
    },
  ],
  formatter(value, row, column, data, default_formatter) {
    value = default_formatter(value, row, column, data);
    if (column.fieldname === "outcome" && data) {
      const color = { Present: "green", "Half Day": "orange", Absent: "red" }[data.outcome] || "gray";
      value = `<span class="indicator-pill ${color}">${value}</span>`;
    }
    return value;
  },
};
