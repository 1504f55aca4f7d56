/** Turns the services' errors into what a page form shows (fields and a message); rethrows others. */
import { errorKind } from "./errors";

export interface FormProblem {
  error: string;
  fields: Record<string, string>;
  status: number;
}

export function formProblem(err: unknown): FormProblem {
  const k = errorKind(err);
  if (!k) throw err;
  if (k.kind === "validation") return { error: "Check the fields marked below.", fields: k.fields, status: 400 };
  if (k.kind === "conflict") return { error: k.message, fields: k.field ? { [k.field]: k.message } : {}, status: 409 };
  if (k.kind === "status") return { error: k.message, fields: k.field ? { [k.field]: k.message } : {}, status: k.status };
  throw new Response(k.message, { status: 404 });
}

export function str(v: FormDataEntryValue | null): string | undefined {
  return typeof v === "string" ? v : undefined;
}
