export { createApp, type App } from './app.js';
export { createAuth, type Principal } from './auth.js';
export { loadConfig, configSchema, type Config, ConfigError } from './config.js';
export type { Deps, Keys } from './deps.js';
export { systemClock } from './deps.js';
export { webIds } from './crypto.js';
export { createStore, type Db } from './db/store.js';
export { appRouter, type AppRouter } from './routers/index.js';
export { buildOpenApiDocument } from './openapi.js';
