/**
 * The static index of migrations: the compiled build and the tests both read
 * this list, so nothing scans a folder or needs a TypeScript loader at run time.
 * Append new migrations at the end; never edit or reorder a landed one.
 */
import type { Migration } from "kysely";
import * as m0001 from "./0001_initial";

export const migrations: Record<string, Migration> = {
  "0001_initial": m0001,
};
