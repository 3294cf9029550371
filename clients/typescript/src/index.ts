// The SDK's entry: every generated operation and type, and the shared client to point at a
// server. Everything under ./generated comes from `npm run generate`; do not edit it by hand.
export * from './generated/index.js';
export { client } from './generated/client.gen.js';
export { createClient, createConfig } from './generated/client/index.js';
