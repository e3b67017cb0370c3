import { describe, expect, it } from "vitest";
import { passwordProblem } from "@/features/auth/invite";

describe("passwordProblem", () => {
  it.each([
    ["short", "short", "Use at least 8 characters."],
    ["longenough", "longenougH", "The two passwords do not match."],
    ["longenough", "", "The two passwords do not match."],
    ["longenough", "longenough", null],
  ])("%s / %s → %s", (password, confirm, expected) => {
    expect(passwordProblem(password, confirm)).toBe(expected);
  });
});
