import { describe, expect, it } from "vitest";
import { addMark, clampFrame, clock, frameTime, keyAction, timeFrame } from "./marks";

describe("frames and times", () => {
  it("round-trips every frame through its media time", () => {
    for (const fps of [10, 25, 29.97, 30]) {
      for (let f = 0; f < 300; f++) expect(timeFrame(frameTime(f, fps), fps, 300)).toBe(f);
    }
  });
  it("keeps frames within the clip", () => {
    expect(clampFrame(-3, 100)).toBe(0);
    expect(clampFrame(250, 100)).toBe(99);
  });
  it("formats a clock", () => {
    expect(clock(73, 10)).toBe("0:07.3");
    expect(clock(615, 10)).toBe("1:01.5");
  });
});

describe("marks", () => {
  it("sorts by frame and ignores an exact repeat", () => {
    let marks = addMark([], { line: "A", direction: "in", frame: 9 });
    marks = addMark(marks, { line: "A", direction: "out", frame: 3 });
    marks = addMark(marks, { line: "A", direction: "out", frame: 3 });
    expect(marks.map((m) => m.frame)).toEqual([3, 9]);
  });
});

describe("keys", () => {
  const k = (key: string, mods: Partial<{ shiftKey: boolean; ctrlKey: boolean; metaKey: boolean }> = {}) =>
    keyAction({ key, shiftKey: false, ctrlKey: false, metaKey: false, ...mods });
  it("steps a frame, or a second with Shift", () => {
    expect(k("ArrowRight")).toEqual({ kind: "step", frames: 1 });
    expect(k("ArrowLeft", { shiftKey: true })).toEqual({ kind: "stepSeconds", seconds: -1 });
  });
  it("marks, undoes, picks lines", () => {
    expect(k("i")).toEqual({ kind: "mark", direction: "in" });
    expect(k("O")).toEqual({ kind: "mark", direction: "out" });
    expect(k("z", { ctrlKey: true })).toEqual({ kind: "undo" });
    expect(k("Backspace")).toEqual({ kind: "undo" });
    expect(k("2")).toEqual({ kind: "line", index: 1 });
    expect(k("i", { ctrlKey: true })).toBeNull();
    expect(k("x")).toBeNull();
  });
});
