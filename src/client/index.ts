// `modelyard/client`: the typed REST client (core.ts, browser-safe) and the streaming artifact transfers (transfer.ts,
// Node). See docs/cli.md ("The TypeScript client").
export * from './core.js';
export * from './transfer.js';
export { nodeFetch } from './http.js';
