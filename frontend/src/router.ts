import { createRouter, createWebHistory, type RouteRecordRaw } from "vue-router";

/** Served at /biometric (www/biometric.html; deep links through hooks.website_route_rules). */
export const BASE = "/biometric/";

export const routes: RouteRecordRaw[] = [
  {
    path: "/",
    name: "overview",
    component: () => import("./pages/Overview.vue"),
    meta: { title: "Overview" },
  },
  {
    path: "/devices",
    name: "devices",
    component: () => import("./pages/Devices.vue"),
    meta: { title: "Devices" },
  },
  {
    path: "/devices/:name",
    name: "device",
    component: () => import("./pages/Device.vue"),
    props: true,
    meta: { title: "Device" },
  },
  {
    path: "/unmapped",
    name: "unmapped",
    component: () => import("./pages/Unmapped.vue"),
    meta: { title: "Unmapped punches" },
  },
  {
    path: "/punches",
    name: "punches",
    component: () => import("./pages/Punches.vue"),
    meta: { title: "Punches" },
  },
  {
    path: "/logs",
    name: "logs",
    component: () => import("./pages/SyncLogs.vue"),
    meta: { title: "Sync logs" },
  },
  {
    path: "/logs/:name",
    name: "log",
    component: () => import("./pages/SyncLog.vue"),
    props: true,
    meta: { title: "Sync log" },
  },
  {
    path: "/attendance",
    name: "attendance",
    component: () => import("./pages/Attendance.vue"),
    meta: { title: "Attendance" },
  },
  {
    path: "/sidecars",
    name: "sidecars",
    component: () => import("./pages/Sidecars.vue"),
    meta: { title: "Sidecars" },
  },
  { path: "/:rest(.*)*", redirect: "/" },
];

export const router = createRouter({ history: createWebHistory(BASE), routes });

router.afterEach((to) => {
  const title = typeof to.meta.title === "string" ? to.meta.title : "";
  document.title = title ? `${title} · Biometric Sync` : "Biometric Sync";
});
