import { defineConfig } from "@hey-api/openapi-ts";

// The client is generated from the backend's OpenAPI document (npm run openapi), never
// hand-written. Output is build output: not committed.
export default defineConfig({
  input: "openapi.json",
  output: { path: "src/client" },
  plugins: ["@hey-api/client-fetch", "@hey-api/typescript", "@hey-api/sdk"],
});
