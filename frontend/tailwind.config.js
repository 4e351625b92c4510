import frappeUIPreset from "frappe-ui/tailwind";

/** @type {import('tailwindcss').Config} */
export default {
  presets: [frappeUIPreset],
  content: [
    "./index.html",
    "./src/**/*.{vue,ts}",
    // frappe-ui's components, wherever the package manager put the package (hoisted by workspaces or not).
    "./node_modules/frappe-ui/src/components/**/*.{vue,js,ts}",
    "../node_modules/frappe-ui/src/components/**/*.{vue,js,ts}",
  ],
};
