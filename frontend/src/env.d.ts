/// <reference types="vite/client" />

declare module "~icons/lucide/*" {
  import type { FunctionalComponent, SVGAttributes } from "vue";
  const icon: FunctionalComponent<SVGAttributes>;
  export default icon;
}

// For tools that read .ts files without Vue's compiler (eslint's TypeScript program); vue-tsc resolves the
// real components.
declare module "*.vue" {
  import type { DefineComponent } from "vue";
  const component: DefineComponent;
  export default component;
}
