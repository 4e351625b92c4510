import { fileURLToPath, URL } from "node:url";
import vue from "@vitejs/plugin-vue";
import frappeui from "frappe-ui/vite";
import { defineConfig } from "vite";

// `npm run build` (and so `bench build`, which runs the app's root `build` script) writes the page into
// ../biometric_sync/public/frontend (served by Frappe at /assets/biometric_sync/frontend/) and copies
// index.html, with frappe-ui's Jinja boot-data block, to ../biometric_sync/www/biometric.html.
export default defineConfig({
  plugins: [
    frappeui({
      frappeProxy: true,
      lucideIcons: true,
      jinjaBootData: true,
      buildConfig: {
        outDir: "../biometric_sync/public/frontend",
        baseUrl: "/assets/biometric_sync/frontend/",
        indexHtmlPath: "../biometric_sync/www/biometric.html",
        emptyOutDir: true,
        sourcemap: false,
      },
    }),
    vue(),
  ],
  resolve: { alias: { "@": fileURLToPath(new URL("./src", import.meta.url)) } },
  build: { chunkSizeWarningLimit: 2000 },
});
