import { describe, expect, it } from "vitest";
import { pageTitle } from "@/lib/title";

describe("pageTitle", () => {
  it("joins the parts that are set, Metrica last", () => {
    expect(pageTitle("Search", "Berlin Mitte", "Plates")).toBe("Search · Berlin Mitte · Plates · Metrica");
    expect(pageTitle("Uploads", undefined, "Plates")).toBe("Uploads · Plates · Metrica");
    expect(pageTitle()).toBe("Metrica");
  });
});
