import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { Csrf } from "~/components/Csrf";
import { ActionButton, Outcome, useAdminLayout, useCan } from "~/components/admin/ui";
import { audit } from "~/.server/audit";
import { requireAdmin } from "~/.server/auth/guards";
import { adminAction, done, field, validationResponse } from "~/.server/admin/guard";
import { listTemplates, readTemplate, removeOverride, writeOverride } from "~/.server/admin/templates";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { cp } = context;
  await requireAdmin(request, cp, "read-only");
  const dir = cp.config.templatesDir;
  const selected = new URL(request.url).searchParams.get("path") ?? "";
  let current: { path: string; content: string; source: string } | null = null;
  let error: string | null = null;
  if (selected) {
    try {
      const t = readTemplate(dir, selected);
      current = t ? { path: selected, ...t } : null;
      if (!t) error = `No template "${selected}".`;
    } catch (err) {
      error = (err as Error).message;
    }
  }
  return json({ templates: listTemplates(dir), overrideDir: dir ?? null, current, error });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { cp } = context;
  const { actor, form } = await adminAction(request, cp, "super-admin");
  const rel = field(form, "path");
  try {
    if (field(form, "intent") === "reset") {
      const removed = removeOverride(cp.config.templatesDir, rel);
      if (removed) await audit(cp.db, actor, "template.reset", { type: "template", id: rel });
      return done(removed ? `Override of ${rel} removed: the built-in template applies.` : "There was no override.");
    }
    const content = String(form.get("content") ?? "");
    writeOverride(cp.config.templatesDir, rel, content);
    await audit(cp.db, actor, "template.update", { type: "template", id: rel }, { bytes: Buffer.byteLength(content) });
    return done(`Saved ${rel}.`);
  } catch (err) {
    return validationResponse(err);
  }
}

export default function AdminTemplates() {
  const { templates, overrideDir, current, error } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const { csrf } = useAdminLayout();
  const canEdit = useCan("super-admin") && Boolean(overrideDir);
  return (
    <section>
      <h1>Templates</h1>
      <p>
        {overrideDir ? (
          <>
            Changes are written to <code>{overrideDir}</code> (PORTAL_TEMPLATES_DIR) and apply without a rebuild.
          </>
        ) : (
          <>Set PORTAL_TEMPLATES_DIR to change templates here; the built-in ones are shown read-only.</>
        )}
      </p>
      <Outcome data={result} />
      {error ? <p className="error">{error}</p> : null}
      <ul>
        {templates.map((t) => (
          <li key={t.path}>
            <Link to={`?path=${encodeURIComponent(t.path)}`}>{t.path}</Link> {t.overridden ? <span className="status">overridden</span> : null}
          </li>
        ))}
      </ul>
      {templates.length === 0 ? <p>No templates found.</p> : null}
      {current ? (
        <>
          <h2>
            {current.path} <small>({current.source})</small>
          </h2>
          <Form method="post">
            <Csrf token={csrf} />
            <input type="hidden" name="path" value={current.path} />
            <textarea name="content" rows={20} defaultValue={current.content} readOnly={!canEdit} />
            {canEdit ? <button type="submit">Save override</button> : null}
          </Form>
          {canEdit && current.source === "override" ? (
            <ActionButton intent="reset" fields={{ path: current.path }}>
              Back to the built-in template
            </ActionButton>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
