import { render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { KeyDialog, workerCommand } from "@/features/admin/key-dialog";

describe("KeyDialog", () => {
  it("shows the key once with a copyable command line", () => {
    render(<KeyDialog issued={{ camera_id: "cam-1", key: "mk_secret" }} onClose={vi.fn()} />);
    expect(screen.getByRole("dialog", { name: "Worker key issued" })).toBeInTheDocument();
    expect(screen.getByTestId("worker-key")).toHaveValue("mk_secret");
    expect(screen.getByTestId("worker-command")).toHaveValue(
      `METRICA_WORKER_KEY=mk_secret metrica worker --api-url ${window.location.origin} --camera-id cam-1 SOURCE --model PATH`,
    );
    expect(screen.getByRole("button", { name: "Copy key" })).toBeInTheDocument();
  });

  it("builds the worker command", () => {
    expect(workerCommand("https://m.example", "c", "k")).toBe(
      "METRICA_WORKER_KEY=k metrica worker --api-url https://m.example --camera-id c SOURCE --model PATH",
    );
  });
});
