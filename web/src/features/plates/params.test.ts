import { describe, expect, it } from "vitest";
import {
  exportCsvUrl,
  pageBounds,
  pageQuery,
  parsePlateSearch,
  resolveApiUrl,
  searchQuery,
  startOfDayInZone,
  toQueryString,
  zoneOffsetMs,
} from "@/features/plates/params";

const STORE = "0b6f7c1e-2f1a-4c8e-9d3b-5a6e7f8a9b0c";

describe("parsePlateSearch", () => {
  it("keeps what is valid", () => {
    expect(parsePlateSearch({ q: "AB 123", fuzzy: "true", from: "2026-03-01", to: "2026-03-31", page: "2" })).toEqual({
      q: "AB 123",
      fuzzy: true,
      from: "2026-03-01",
      to: "2026-03-31",
      page: 2,
    });
  });

  it("keeps an empty plate (a search of every read in the dates), drops a missing one", () => {
    expect(parsePlateSearch({ q: "" }).q).toBe("");
    expect(parsePlateSearch({}).q).toBeUndefined();
  });

  it.each([
    [{ from: "2026-02-30" }, "from"],
    [{ from: "0001-01-01" }, "from"],
    [{ to: "2026-13-01" }, "to"],
    [{ to: "yesterday" }, "to"],
    [{ page: "-1" }, "page"],
    [{ page: "1.5" }, "page"],
    [{ page: String(2 ** 63) }, "page"],
    [{ page: "NaN" }, "page"],
    [{ fuzzy: "yes" }, "fuzzy"],
  ])("drops %j", (search, field) => {
    expect(parsePlateSearch(search as Record<string, unknown>)[field as "from"]).toBeUndefined();
  });

  it("strips control characters and caps the plate's length", () => {
    expect(parsePlateSearch({ q: "AB\u0000C\nD" }).q).toBe("ABCD");
    expect(parsePlateSearch({ q: "X".repeat(500) }).q).toHaveLength(32);
    expect(parsePlateSearch({ q: 1234 }).q).toBe("1234");
    expect(parsePlateSearch({ q: { a: 1 } }).q).toBeUndefined();
  });
});

describe("days in the site's timezone", () => {
  it("knows the offset either side of a DST change", () => {
    expect(zoneOffsetMs(new Date("2026-01-15T12:00:00Z"), "Europe/Berlin")).toBe(3600_000);
    expect(zoneOffsetMs(new Date("2026-07-15T12:00:00Z"), "Europe/Berlin")).toBe(7200_000);
    expect(zoneOffsetMs(new Date("2026-07-15T12:00:00Z"), "America/New_York")).toBe(-4 * 3600_000);
    expect(zoneOffsetMs(new Date("2026-07-15T12:00:00Z"), "UTC")).toBe(0);
  });

  it.each([
    ["2026-01-15", "Europe/Berlin", 0, "2026-01-14T23:00:00.000Z"],
    ["2026-07-15", "Europe/Berlin", 0, "2026-07-14T22:00:00.000Z"],
    // The day clocks go forward (Berlin 29 Mar 2026) and back (25 Oct 2026).
    ["2026-03-29", "Europe/Berlin", 1, "2026-03-29T22:00:00.000Z"],
    ["2026-03-29", "Europe/Berlin", 0, "2026-03-28T23:00:00.000Z"],
    ["2026-10-25", "Europe/Berlin", 0, "2026-10-24T22:00:00.000Z"],
    ["2026-10-25", "Europe/Berlin", 1, "2026-10-25T23:00:00.000Z"],
    ["2026-03-08", "America/New_York", 0, "2026-03-08T05:00:00.000Z"],
    ["2026-12-31", "Asia/Tokyo", 1, "2026-12-31T15:00:00.000Z"],
    ["2026-02-28", "UTC", 1, "2026-03-01T00:00:00.000Z"],
  ])("%s in %s, +%i day(s) starts at %s", (day, tz, add, iso) => {
    expect(startOfDayInZone(day, tz, add)).toBe(iso);
  });
});

describe("searchQuery / pageQuery", () => {
  it("sends only what is set; the last day is included (to = the next midnight)", () => {
    expect(searchQuery(STORE, { q: "  ab123 ", fuzzy: true, from: "2026-03-01", to: "2026-03-01" }, "Europe/Berlin")).toEqual({
      store_id: STORE,
      q: "ab123",
      fuzzy: true,
      from: "2026-02-28T23:00:00.000Z",
      to: "2026-03-01T23:00:00.000Z",
    });
    expect(searchQuery(STORE, { q: "", fuzzy: undefined }, "UTC")).toEqual({ store_id: STORE });
  });

  it("pages by PAGE_SIZE", () => {
    expect(pageQuery(STORE, { q: "X", page: 2 }, "UTC")).toMatchObject({ q: "X", limit: 50, offset: 100 });
    expect(pageQuery(STORE, { q: "X" }, "UTC")).toMatchObject({ offset: 0 });
  });
});

describe("URLs", () => {
  it("builds the CSV export link from the same query, without paging", () => {
    const url = exportCsvUrl("https://api.example", STORE, { q: "AB 12&3", fuzzy: true, page: 3 }, "UTC");
    expect(url).toBe(`https://api.example/plates/export.csv?store_id=${STORE}&q=AB+12%263&fuzzy=true`);
    expect(exportCsvUrl("", STORE, { q: "A" }, "UTC")).toBe(`/plates/export.csv?store_id=${STORE}&q=A`);
  });

  it("encodes a query string", () => {
    expect(toQueryString({ a: "1 2", b: "é/?" })).toBe("a=1+2&b=%C3%A9%2F%3F");
    expect(toQueryString({ fuzzy: true, limit: 50, q: undefined })).toBe("fuzzy=true&limit=50");
  });

  it("resolves crop URLs: ours against the API, presigned ones as they are", () => {
    expect(resolveApiUrl("", "/plates/reads/7/crop")).toBe("/plates/reads/7/crop");
    expect(resolveApiUrl("https://api.example", "/plates/reads/7/crop")).toBe("https://api.example/plates/reads/7/crop");
    expect(resolveApiUrl("https://api.example", "plates/reads/7/crop")).toBe("https://api.example/plates/reads/7/crop");
    const presigned = "https://s3.example/bucket/crop.jpg?X-Amz-Signature=abc";
    expect(resolveApiUrl("https://api.example", presigned)).toBe(presigned);
  });

  it("counts the rows a page shows", () => {
    expect(pageBounds(0, 50, 230)).toEqual({ first: 1, last: 50, total: 230 });
    expect(pageBounds(4, 30, 230)).toEqual({ first: 201, last: 230, total: 230 });
    expect(pageBounds(0, 0, 0)).toEqual({ first: 0, last: 0, total: 0 });
  });
});
