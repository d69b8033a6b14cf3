import pino from "pino";

/**
 * The process logger. Records carry ids, codes and timings, never personal data: household
 * names, ID numbers and request inputs are not logged (the audit log table keeps inputs).
 */
export type Logger = pino.Logger;

export function createLogger(level: pino.LevelWithSilent): Logger {
  return pino({
    level,
    base: undefined,
    redact: { paths: ["req.headers.authorization", "*.password", "*.idNumber", "*.headName"], remove: true },
  });
}
