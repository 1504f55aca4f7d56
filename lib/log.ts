/**
 * Structured logging: one JSON object a line in production (or LOG_FORMAT=json),
 * a readable line in a terminal otherwise. No dependencies, so both the control
 * plane and the data plane use it.
 */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(component: string): Logger;
}

export interface LogOptions {
  level?: LogLevel;
  format?: "json" | "pretty";
  component?: string;
  write?: (line: string) => void;
}

export function defaultLogOptions(env: NodeJS.ProcessEnv = process.env): LogOptions {
  const level = (env.LOG_LEVEL as LogLevel | undefined) ?? "info";
  const format =
    env.LOG_FORMAT === "json" || env.LOG_FORMAT === "pretty"
      ? env.LOG_FORMAT
      : env.GATEHOUSE_ENV === "production" || !process.stderr.isTTY
        ? "json"
        : "pretty";
  return { level: level in ORDER ? level : "info", format };
}

function errorFields(value: unknown): unknown {
  if (value instanceof Error) {
    const out: Record<string, unknown> = { message: value.message, name: value.name };
    const code = (value as { code?: unknown }).code;
    if (code !== undefined) out.code = code;
    if (value.stack) out.stack = value.stack;
    return out;
  }
  return value;
}

export function createLogger(options: LogOptions = {}): Logger {
  const opts = { ...defaultLogOptions(), ...options };
  const min = ORDER[opts.level ?? "info"];
  const write = opts.write ?? ((line: string) => process.stderr.write(line + "\n"));
  const component = opts.component;
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < min) return;
    const data: Record<string, unknown> = {};
    if (fields) for (const [k, v] of Object.entries(fields)) data[k] = errorFields(v);
    if (opts.format === "json") {
      write(JSON.stringify({ time: new Date().toISOString(), level, component, msg, ...data }));
      return;
    }
    const time = new Date().toISOString().slice(11, 23);
    const extra = Object.entries(data)
      .map(([k, v]) => {
        if (v && typeof v === "object" && "stack" in (v as object) && level !== "error") {
          return `${k}=${JSON.stringify((v as { message: string }).message)}`;
        }
        return `${k}=${typeof v === "string" ? (/\s/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v)}`;
      })
      .join(" ");
    write(`${time} ${level.toUpperCase().padEnd(5)} ${component ? `[${component}] ` : ""}${msg}${extra ? " " + extra : ""}`);
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (c) => createLogger({ ...opts, component: component ? `${component}.${c}` : c }),
  };
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = createLogger({ level: "silent" });
