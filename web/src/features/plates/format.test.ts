import { describe, expect, it } from "vitest";
import {
  canCancel,
  canRetry,
  formatBytes,
  formatConfidence,
  isActive,
  progressFraction,
  progressText,
  statusLabel,
  uploadErrorMessage,
} from "@/features/plates/format";

describe("job state", () => {
  it.each([
    ["queued", true, true, false],
    ["running", true, true, false],
    ["done", false, false, false],
    ["failed", false, false, true],
    ["cancelled", false, false, true],
  ])("%s: active %s, cancel %s, retry %s", (status, active, cancel, retry) => {
    expect(isActive(status)).toBe(active);
    expect(canCancel(status)).toBe(cancel);
    expect(canRetry(status)).toBe(retry);
    expect(statusLabel(status)).toMatch(/^[A-Z]/);
  });

  it("progress", () => {
    expect(progressFraction(120, 900)).toBeCloseTo(0.1333, 3);
    expect(progressFraction(5, 0)).toBeNull();
    expect(progressFraction(12, 10)).toBe(1);
    expect(progressFraction(Number.NaN, 10)).toBeNull();
    expect(progressText("video", 120, 900)).toBe("120 / 900 frames");
    expect(progressText("image", 1, 1)).toBe("1 / 1 image");
    expect(progressText("video", 0, 0)).toBe("counting frames");
    expect(progressText("image", 0, 0)).toBe("waiting");
  });
});

describe("formatting", () => {
  it.each([
    [0, "0 bytes"],
    [1, "1 byte"],
    [812, "812 bytes"],
    [1536, "1.5 KB"],
    [10 * 1024 * 1024, "10 MB"],
    [2 * 1024 ** 3, "2 GB"],
    [-1, "—"],
    [Number.NaN, "—"],
  ])("%d bytes → %s", (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it.each([
    [0.934, "93 %"],
    [1, "100 %"],
    [0, "0 %"],
    [1.2, "—"],
    [Number.NaN, "—"],
    [null, "—"],
  ])("confidence %s → %s", (c, text) => {
    expect(formatConfidence(c)).toBe(text);
  });
});

describe("uploadErrorMessage", () => {
  it("says what 413 and 415 mean, with the server's words when it gives them", () => {
    expect(uploadErrorMessage(413, null)).toBe("The file is too large to upload.");
    expect(uploadErrorMessage(413, "the limit is 2 GB")).toBe("The file is too large to upload: the limit is 2 GB");
    expect(uploadErrorMessage(415, null)).toBe("This kind of file cannot be read: upload a video or a photo.");
    expect(uploadErrorMessage(415, "not an image or a video")).toBe("This kind of file cannot be read: not an image or a video");
    expect(uploadErrorMessage(0, null)).toMatch(/could not be reached/);
    expect(uploadErrorMessage(500, null)).toBe("The upload failed (500).");
    expect(uploadErrorMessage(404, "Not Found")).toBe("Not Found");
  });
});
