/**
 * The part of frappe-ui this page uses, typed. frappe-ui ships its TypeScript sources (and plain JS) rather than
 * declarations, and type-checking them under this repo's strict options is not our business: tsconfig.json
 * maps the module "frappe-ui" to this file for the type checker only (vite bundles the real package).
 */
import type { Component, DefineComponent } from "vue";

export interface Resource<T = unknown> {
  data: T | null;
  loading: boolean;
  fetched: boolean;
  error: unknown;
  params: Record<string, unknown> | null;
  fetch(params?: Record<string, unknown>): Promise<T>;
  reload(params?: Record<string, unknown>): Promise<T>;
  submit(params?: Record<string, unknown>): Promise<T>;
  setData(data: T | ((previous: T | null) => T)): void;
  reset(): void;
}

export interface ResourceOptions<T> {
  url: string;
  method?: string;
  params?: Record<string, unknown>;
  makeParams?: (params?: Record<string, unknown>) => Record<string, unknown>;
  auto?: boolean;
  initialData?: T;
  transform?: (data: T) => T | undefined;
  onSuccess?: (data: T) => void;
  onError?: (error: unknown) => void;
}

export function createResource<T = unknown>(options: ResourceOptions<T>): Resource<T>;
export function setConfig(
  key: "resourceFetcher",
  value: (options: {
    url: string;
    params?: Record<string, unknown> | null;
    method?: string;
  }) => Promise<unknown>,
): void;
export function setConfig(key: "fallbackErrorHandler", value: (error: unknown) => void): void;

type ToastOptions = { duration?: number; closable?: boolean };
export const toast: {
  success(message: string, options?: ToastOptions): string;
  error(message: string, options?: ToastOptions): string;
  info(message: string, options?: ToastOptions): string;
  warning(message: string, options?: ToastOptions): string;
};

type Theme = "gray" | "blue" | "green" | "orange" | "red";

export const Button: DefineComponent<{
  variant?: "solid" | "subtle" | "outline" | "ghost";
  theme?: "gray" | "blue" | "green" | "red";
  size?: "sm" | "md" | "lg" | "xl" | "2xl";
  label?: string;
  icon?: string | Component;
  iconLeft?: string | Component;
  iconRight?: string | Component;
  tooltip?: string;
  loading?: boolean;
  loadingText?: string;
  disabled?: boolean;
  route?: string | Record<string, unknown>;
  link?: string;
  type?: "button" | "submit" | "reset";
}>;

export const Badge: DefineComponent<{
  theme?: Theme;
  size?: "sm" | "md" | "lg";
  variant?: "solid" | "subtle" | "outline" | "ghost";
  label?: string | number;
}>;

export const Dialog: DefineComponent<{
  modelValue: boolean;
  options?: { title?: string; message?: string; size?: string; position?: "top" | "center" };
  disableOutsideClickToClose?: boolean;
}>;

export const Progress: DefineComponent<{
  value: number;
  size?: "sm" | "md" | "lg" | "xl";
  label?: string;
  hint?: boolean;
  intervals?: boolean;
  intervalCount?: number;
}>;

export const LoadingIndicator: DefineComponent<Record<string, never>>;
export const FrappeUIProvider: DefineComponent<Record<string, never>>;
export const Tooltip: DefineComponent<{ text?: string; placement?: "top" | "right" | "bottom" | "left" }>;
