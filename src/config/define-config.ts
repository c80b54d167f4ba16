import type { SsoConfig } from './settings.js';

/** Types a JS/TS config file's settings; returns them unchanged. */
export function defineConfig<T extends SsoConfig>(config: T): T {
  return config;
}
