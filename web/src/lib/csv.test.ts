import { afterEach, describe, expect, it, vi } from "vitest";
import { csvCell, csvFilename, downloadCsv, seriesCsv, toCsv } from "@/lib/csv";

describe("CSV", () => {
  it("quotes what needs quoting", () => {
    expect(csvCell('say "hi", ok')).toBe('"say ""hi"", ok"');
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell(null)).toBe("");
    expect(toCsv(["a", "b"], [[1, "x\ny"]])).toBe('a,b\r\n1,"x\ny"\r\n');
  });

  it("writes the period's series with the timezone in the header", () => {
    const csv = seriesCsv(
      [
        { start: "2024-05-14T09:00:00+02:00", label: "09:00", footfall_in: 12, footfall_out: 3 },
        { start: "2024-05-14T10:00:00+02:00", label: "10:00", footfall_in: 20, footfall_out: 18 },
      ],
      "Europe/Berlin",
    );
    expect(csv.split("\r\n")).toEqual([
      "start (Europe/Berlin),label,footfall_in,footfall_out",
      "2024-05-14T09:00:00+02:00,09:00,12,3",
      "2024-05-14T10:00:00+02:00,10:00,20,18",
      "",
    ]);
  });

  it("names the file after store, period and date", () => {
    expect(csvFilename("Café Müller & Co", "week", "2024-05-14")).toBe("metrica-caf-m-ller-co-week-2024-05-14.csv");
  });

  afterEach(() => vi.restoreAllMocks());

  it("downloads through a Blob URL", async () => {
    const created: Blob[] = [];
    URL.createObjectURL = vi.fn((b: Blob) => {
      created.push(b);
      return "blob:test";
    }) as typeof URL.createObjectURL;
    URL.revokeObjectURL = vi.fn();
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
      expect(this.download).toBe("x.csv");
      expect(this.href).toBe("blob:test");
    });
    downloadCsv("x.csv", "a,b\r\n");
    expect(click).toHaveBeenCalledOnce();
    expect(created[0].type).toBe("text/csv;charset=utf-8");
    const text = await new Promise<string>((resolve) => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result as string);
      reader.readAsText(created[0]);
    });
    expect(text).toBe("a,b\r\n");
  });
});
