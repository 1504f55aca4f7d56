/**
 * HTML rendered server-side from portal-templates (handlebars escapes every
 * {{value}}; the template text itself is the portal admin's).
 */
export function TemplateHtml({ html }: { html: string }) {
  return <div className="template" dangerouslySetInnerHTML={{ __html: html }} />;
}
