import type { ControlPlane } from "./.server/context";

declare module "@remix-run/node" {
  interface AppLoadContext {
    cp: ControlPlane;
  }
}
declare module "@remix-run/server-runtime" {
  interface AppLoadContext {
    cp: ControlPlane;
  }
}
export {};
