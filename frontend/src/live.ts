import { io, type Socket } from "socket.io-client";
import { reactive } from "vue";
import { boot } from "./boot";
import { PROGRESS_EVENT, REFRESH_EVENT, socketUrl, topic, topicsFor, type Topic } from "./utils/realtime";

/**
 * Frappe's socket.io (namespace /<site>, session cookie): the page subscribes to the rooms of the documents it
 * shows (doc_subscribe, which Frappe permits only to users who may read the document) and turns the app's
 * id-only events into topics. After a reconnect every view reloads, since events sent meanwhile are lost.
 */
export type LiveState = "connecting" | "live" | "offline" | "disabled";
export const live = reactive<{ state: LiveState }>({ state: "connecting" });

type Listener = (topics: Topic[]) => void;
const listeners = new Set<Listener>();
const docs = new Map<string, [string, string]>();
let socket: Socket | null = null;
let connectedOnce = false;

function dispatch(topics: Topic[]): void {
  if (!topics.length) return;
  for (const listener of listeners) listener(topics);
}

export function startLive(): void {
  if (socket) return;
  if (!boot.site_name) {
    live.state = "disabled";
    return;
  }
  socket = io(socketUrl(window.location, boot.socketio_port, boot.site_name), {
    withCredentials: true,
    reconnectionDelay: 1000,
    reconnectionDelayMax: 10_000,
  });
  socket.on("connect", () => {
    live.state = "live";
    for (const [doctype, name] of docs.values()) socket?.emit("doc_subscribe", doctype, name);
    if (connectedOnce) dispatch([topic.all]);
    connectedOnce = true;
  });
  socket.on("disconnect", (reason) => {
    live.state = "offline";
    // A disconnect by the server (a restart that closes sockets first) is not retried by socket.io itself.
    if (reason === "io server disconnect") setTimeout(() => socket?.connect(), 1000);
  });
  socket.on("connect_error", () => (live.state = "offline"));
  for (const event of [PROGRESS_EVENT, REFRESH_EVENT]) {
    socket.on(event, (payload: unknown) => dispatch(topicsFor(event, payload)));
  }
}

/** Joins the document's room (now, and again after every reconnect). */
export function watchDoc(doctype: string, name: string): void {
  const key = `${doctype}\u0000${name}`;
  if (docs.has(key)) return;
  docs.set(key, [doctype, name]);
  if (socket?.connected) socket.emit("doc_subscribe", doctype, name);
}

/** Reloads every view (the banner's "Try again"). */
export function refreshAll(): void {
  dispatch([topic.all]);
}

export function onTopics(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
