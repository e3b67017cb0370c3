/// <reference types="vitest/config" />
import { fileURLToPath, URL } from "node:url";
import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The backend serves the built app under /app/; the API lives at the origin's root
// (or at VITE_API_URL when the app is hosted separately).
export default defineConfig({
  base: "/app/",
  plugins: [react(), tailwindcss()],
  build: { chunkSizeWarningLimit: 1200 },
  resolve: { alias: { "@": fileURLToPath(new URL("./src", import.meta.url)) } },
  server: {
    proxy: Object.fromEntries(
      ["/auth", "/stores", "/live", "/dashboard", "/admin", "/events", "/cameras", "/fleet", "/health", "/plates", "/reports"].map(
        (p) => [p, process.env.METRICA_API ?? "http://127.0.0.1:8000"],
      ),
    ),
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test/setup.ts"],
  },
});
