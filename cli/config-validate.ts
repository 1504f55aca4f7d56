/** `gatehouse config validate FILE`: checks a Kong declarative file and reports every error with its path. */
import fs from "node:fs";
import { parseDeclarative } from "../gateway/config/declarative";

export async function runConfigValidate(file: string): Promise<number> {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    process.stderr.write(`${file}: ${(err as Error).message}\n`);
    return 1;
  }
  const { snapshot, errors } = parseDeclarative(text, process.env);
  if (errors.length) {
    process.stderr.write(`${file}: ${errors.length} error${errors.length === 1 ? "" : "s"}\n`);
    for (const e of errors) process.stderr.write(`  ${e.path}: ${e.message}\n`);
    return 1;
  }
  process.stdout.write(
    `${file}: valid (${snapshot.services.length} services, ${snapshot.routes.length} routes, ${snapshot.plugins.length} plugins, ${snapshot.consumers.length} consumers)\n`,
  );
  return 0;
}
