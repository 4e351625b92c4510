import { setConfig } from "frappe-ui";
import { createApp } from "vue";
import App from "./App.vue";
import { siteFetch } from "./api";
import { loadDevBoot } from "./boot";
import { startLive } from "./live";
import { router } from "./router";
import "./index.css";

setConfig("resourceFetcher", siteFetch);

void loadDevBoot().finally(() => {
  startLive();
  createApp(App).use(router).mount("#app");
});
