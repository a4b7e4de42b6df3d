/** Levelled, redacted logging: stderr (human on a terminal, JSON lines otherwise), a capped log file, test captures. */
export { LOG_LEVELS, type LogFields, type Logger, type LogLevel, type LogRecord } from "./types";
export { createLogger, silentLogger, type LoggerOptions, type RouterLogger } from "./logger";
export { clip, MAX_LOGGED_CHARS, maskShapes, REDACTED } from "./redact";
export { DEFAULT_MAX_FILE_BYTES, FileSink } from "./file-sink";
export { captureLogs, findSecrets, type LogCapture } from "./capture";
export { configSecrets, MIN_SECRET_LENGTH, proxyCredentials, SecretMask } from "./secrets";
export { newRequestId, requestLog, requestTimer, type RequestTimer } from "./request";
