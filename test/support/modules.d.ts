// oidc-provider 9 ships no type declarations (and @types/oidc-provider lags behind).
declare module "oidc-provider";
