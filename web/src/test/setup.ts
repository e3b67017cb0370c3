// Unit tests read as en-GB whatever the machine's locale (lib/format reads it at import).
Object.defineProperty(navigator, "languages", { value: ["en-GB"], configurable: true });
import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";

afterEach(() => cleanup());
