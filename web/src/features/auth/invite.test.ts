import { describe, expect, it } from "vitest";
import { linkIsDead, passwordProblem } from "@/features/auth/invite";
import { ApiError, detailFields } from "@/lib/api";

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

describe("linkIsDead", () => {
  it.each([
    [new ApiError(400, "invalid or expired invitation"), true],
    [new ApiError(422, "token: too short", ["token"]), true],
    [new ApiError(422, "password: This password is too easy to guess.", ["password"]), false],
    [new ApiError(500, "boom"), false],
    [new Error("network"), false],
  ])("%s → %s", (err, dead) => {
    expect(linkIsDead(err)).toBe(dead);
  });

  it("reads the fields of a FastAPI 422", () => {
    const body = { detail: [{ loc: ["body", "password"], msg: "too easy", type: "weak_password" }] };
    expect(detailFields(body)).toEqual(["password"]);
    expect(detailFields({ detail: "invalid or expired invitation" })).toEqual([]);
  });
});
