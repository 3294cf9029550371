// @hey-api/openapi-ts settings for `npm run generate`: the SDK in src/generated comes from the
// server's document. MARBLE_TS_OUTPUT sends it elsewhere (tests/sdk_typescript.rs writes a
// fresh copy to a temporary folder and compares it with the committed one).
export default {
  input: '../../openapi/marble.json',
  output: {
    path: process.env.MARBLE_TS_OUTPUT || 'src/generated',
    // Plain Node ESM needs the extension on relative imports.
    importFileExtension: '.js',
    // Ignore any tsconfig found on disk, so the output depends on this file alone.
    tsConfigPath: null,
  },
  logs: { file: false },
  // Errors reject with the problem+json body, so `data` is always there (`throwOnError: false`
  // on a call gives `{ data, error, response }` instead).
  plugins: [{ name: '@hey-api/client-fetch', throwOnError: true }, '@hey-api/typescript', '@hey-api/sdk'],
};
