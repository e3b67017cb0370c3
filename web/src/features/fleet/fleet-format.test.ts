import { describe, expect, it } from "vitest";
import { driftLabel, enrolCommand, percent } from "./fleet-format";

describe("fleet formatting", () => {
  it("puts the token on standard input, not on the command line", () => {
    const command = enrolCommand("https://m.example.com", "met_abc");
    expect(command).toBe("printf '%s' 'met_abc' | metrica edge enroll --api-url https://m.example.com --token -");
    expect(command).not.toMatch(/--token met_/);
  });

  it("says how far a box is from the release", () => {
    expect(driftLabel({ drift: "behind", release: "0.2.0" })).toBe("behind 0.2.0");
    expect(driftLabel({ drift: "current", release: "0.2.0" })).toBe("current");
    expect(driftLabel({ drift: "unknown", release: "0.2.0" })).toBe("unknown");
  });

  it("rounds resource use and shows a dash when unknown", () => {
    expect(percent(31.6)).toBe("32 %");
    expect(percent(null)).toBe("—");
  });
});
