import { describe, expect, it } from "vitest";
import {
  defaultLine,
  type EditableLine,
  flip,
  inArrow,
  lineArg,
  sideOf,
  slugId,
  toNormalised,
  validateLine,
} from "@/lib/line";

const line = (x1: number, y1: number, x2: number, y2: number): EditableLine => ({
  line_id: "door",
  name: "Door",
  x1,
  y1,
  x2,
  y2,
});

describe("IN side (same convention as metrica.domain.geometry)", () => {
  it.each([
    // P1→P2 to the right: right-hand side in a y-down image is below.
    [line(0.1, 0.5, 0.9, 0.5), { x: 0.5, y: 0.9 }, "in"],
    [line(0.1, 0.5, 0.9, 0.5), { x: 0.5, y: 0.1 }, "out"],
    // P1→P2 downwards: right-hand side is to the left.
    [line(0.5, 0.1, 0.5, 0.9), { x: 0.1, y: 0.5 }, "in"],
    [line(0.5, 0.1, 0.5, 0.9), { x: 0.9, y: 0.5 }, "out"],
  ])("%o: %o is on the %s side", (l, p, side) => {
    expect(Math.sign(sideOf(l, p))).toBe(side === "in" ? 1 : -1);
  });

  it.each([
    line(0.1, 0.5, 0.9, 0.5),
    line(0.9, 0.5, 0.1, 0.5),
    line(0.2, 0.1, 0.7, 0.8),
    line(0.7, 0.8, 0.2, 0.1),
  ])("the arrow of %o points to the IN side, also on a 16:9 frame", (l) => {
    const { from, to } = inArrow(l, 1600, 900, 50);
    const tip = { x: to.x / 1600, y: to.y / 900 };
    expect(sideOf(l, tip)).toBeGreaterThan(0);
    expect(Math.hypot(to.x - from.x, to.y - from.y)).toBeCloseTo(50);
    expect(from.x).toBeCloseTo(((l.x1 + l.x2) / 2) * 1600);
    expect(from.y).toBeCloseTo(((l.y1 + l.y2) / 2) * 900);
  });

  it("flip swaps the points and so the IN side", () => {
    const l = line(0.1, 0.2, 0.8, 0.6);
    const f = flip(l);
    expect(f).toMatchObject({ x1: 0.8, y1: 0.6, x2: 0.1, y2: 0.2, name: "Door" });
    const p = { x: 0.3, y: 0.9 };
    expect(Math.sign(sideOf(f, p))).toBe(-Math.sign(sideOf(l, p)));
    expect(flip(f)).toEqual(l);
  });
});

describe("pointer to normalised coordinates", () => {
  const rect = { left: 100, top: 50, width: 400, height: 200 };
  it("maps and rounds inside the rectangle", () => {
    expect(toNormalised(300, 150, rect)).toEqual({ x: 0.5, y: 0.5 });
    expect(toNormalised(100 + 400 / 3, 50, rect)).toEqual({ x: 0.3333, y: 0 });
  });
  it("clamps outside it", () => {
    expect(toNormalised(0, 1000, rect)).toEqual({ x: 0, y: 1 });
  });
});

describe("validation and worker form", () => {
  it("accepts the default line", () => {
    expect(validateLine(defaultLine())).toEqual([]);
  });
  it("names each problem", () => {
    const problems = validateLine({ ...line(0.5, 0.5, 0.5, 0.5), line_id: "bad id", name: " " });
    expect(problems).toHaveLength(3);
    expect(problems.join(" ")).toMatch(/id.*name.*coincide/);
  });
  it("rejects out-of-range coordinates", () => {
    expect(validateLine(line(-0.1, 0, 1, 1.2))).toEqual(["x1 must be between 0 and 1", "y2 must be between 0 and 1"]);
  });
  it("writes the --line argument", () => {
    expect(lineArg(line(0.1, 0.25, 0.9, 0.123456))).toBe("door=0.1,0.25,0.9,0.1235");
  });
  it.each([
    ["Front door", "front-door"],
    ["  Ausgang Süd! ", "ausgang-s-d"],
    ["***", "line"],
  ])("slugId(%j) = %j", (name, id) => {
    expect(slugId(name)).toBe(id);
  });
});
