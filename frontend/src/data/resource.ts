import { createResource, type Resource } from "frappe-ui";

/**
 * A frappe-ui resource on a whitelisted method. `refresh()` never rejects: a failure stays in `error` for the
 * view to show (with the previous data kept).
 */
export interface SiteResource<T> extends Resource<T> {
  refresh(): Promise<void>;
}

export function siteResource<T>(
  url: string,
  params: () => Record<string, unknown> = () => ({}),
  options: { auto?: boolean; transform?: (data: T) => T } = {},
): SiteResource<T> {
  const resource = createResource<T>({
    url,
    makeParams: params,
    auto: false, // frappe-ui's own auto-fetch would leave a rejected promise unhandled
    transform: options.transform,
    onError: () => undefined,
  }) as SiteResource<T>;
  resource.refresh = () =>
    resource.reload().then(
      () => undefined,
      () => undefined,
    );
  if (options.auto ?? true) void resource.refresh();
  return resource;
}
