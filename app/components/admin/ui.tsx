/** Small pieces every /admin page uses: the CSRF token from the layout, action buttons, results. */
import { Form, useRouteLoaderData } from "@remix-run/react";
import type { ReactNode } from "react";
import { Csrf } from "../Csrf";

export interface AdminLayoutData {
  admin: { id: string; email: string; role: "super-admin" | "admin" | "read-only" };
  csrf: string;
}

const RANK = { "read-only": 0, admin: 1, "super-admin": 2 } as const;

export function useAdminLayout(): AdminLayoutData {
  const data = useRouteLoaderData("routes/admin") as AdminLayoutData | undefined;
  if (!data) throw new Error("useAdminLayout outside /admin");
  return data;
}

/** Whether the signed-in admin has at least `role` (display only: the server checks every action). */
export function useCan(role: keyof typeof RANK): boolean {
  return RANK[useAdminLayout().admin.role] >= RANK[role];
}

/** A one-button form posting `intent` with hidden fields. */
export function ActionButton({
  intent,
  fields = {},
  children,
  confirm,
  danger,
  reason,
}: {
  intent: string;
  fields?: Record<string, string>;
  children: ReactNode;
  confirm?: string;
  danger?: boolean;
  /** Adds a "reason" text field (sent to the developer by email). */
  reason?: boolean;
}) {
  const { csrf } = useAdminLayout();
  return (
    <Form
      method="post"
      className="inline"
      onSubmit={(e) => {
        if (confirm && !window.confirm(confirm)) e.preventDefault();
      }}
    >
      <Csrf token={csrf} />
      <input type="hidden" name="intent" value={intent} />
      {Object.entries(fields).map(([k, v]) => (
        <input key={k} type="hidden" name={k} value={v} />
      ))}
      {reason ? <input name="reason" placeholder="Reason (sent to the developer)" maxLength={1000} className="reason" aria-label="Reason" /> : null}
      <button type="submit" className={danger ? "danger" : undefined} data-intent={intent}>
        {children}
      </button>
    </Form>
  );
}

/** Shows an action's outcome. */
export function Outcome({ data }: { data?: { ok: boolean; message?: string; error?: string } | null }) {
  if (!data) return null;
  return data.ok ? (
    <p role="status" className="notice">
      {data.message}
    </p>
  ) : (
    <p role="alert" className="error">
      {data.error}
    </p>
  );
}

export function When({ at }: { at: string | Date | null | undefined }) {
  if (!at) return <>—</>;
  const d = new Date(at);
  return <time dateTime={d.toISOString()}>{d.toISOString().replace("T", " ").slice(0, 19)}</time>;
}
