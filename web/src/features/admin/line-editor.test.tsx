import { fireEvent, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { LineEditor } from "@/features/admin/line-editor";

const door = { line_id: "door", name: "Front door", x1: 0.1, y1: 0.5, x2: 0.9, y2: 0.5 };

function setup(initial = [door]) {
  const onSave = vi.fn(async () => undefined);
  render(<LineEditor initial={initial} snapshotUrl={null} onSave={onSave} />);
  const svg = screen.getByTestId("line-canvas");
  // jsdom does no layout: give the overlay an 800 x 450 box at (0, 0).
  svg.getBoundingClientRect = () =>
    ({ left: 0, top: 0, width: 800, height: 450, right: 800, bottom: 450, x: 0, y: 0 }) as DOMRect;
  (svg as unknown as { setPointerCapture: () => void }).setPointerCapture = () => {};
  return { onSave, svg };
}

describe("LineEditor", () => {
  it("shows the placeholder note when there is no snapshot", () => {
    setup();
    expect(screen.getByTestId("no-snapshot")).toHaveTextContent("No snapshot yet");
    expect(screen.getByTestId("line-arg")).toHaveTextContent("--line door=0.1,0.5,0.9,0.5");
  });

  it("draws a new line by dragging on the picture and saves normalised points", async () => {
    const { onSave, svg } = setup();
    fireEvent.pointerDown(svg, { button: 0, clientX: 200, clientY: 90, pointerId: 1 });
    fireEvent.pointerMove(svg, { clientX: 600, clientY: 360, pointerId: 1 });
    fireEvent.pointerUp(svg, { clientX: 600, clientY: 360, pointerId: 1 });
    expect(screen.getByTestId("line-arg")).toHaveTextContent("--line door=0.25,0.2,0.75,0.8");
    await userEvent.click(screen.getByRole("button", { name: /save lines/i }));
    expect(onSave).toHaveBeenCalledWith([
      { line_id: "door", name: "Front door", x1: 0.25, y1: 0.2, x2: 0.75, y2: 0.8 },
    ]);
    expect(await screen.findByText(/Saved\./)).toBeInTheDocument();
  });

  it("a click without a drag keeps the old line", () => {
    const { svg } = setup();
    fireEvent.pointerDown(svg, { button: 0, clientX: 200, clientY: 90, pointerId: 1 });
    fireEvent.pointerUp(svg, { clientX: 200, clientY: 90, pointerId: 1 });
    expect(screen.getByTestId("line-arg")).toHaveTextContent("--line door=0.1,0.5,0.9,0.5");
  });

  it("drags an end point", () => {
    const { svg } = setup();
    fireEvent.pointerDown(screen.getByTestId("handle-0-1"), { button: 0, clientX: 80, clientY: 225, pointerId: 2 });
    fireEvent.pointerMove(svg, { clientX: 40, clientY: 45, pointerId: 2 });
    fireEvent.pointerUp(svg, { pointerId: 2 });
    expect(screen.getByTestId("line-arg")).toHaveTextContent("--line door=0.05,0.1,0.9,0.5");
  });

  it("flips the IN direction by swapping the points", async () => {
    setup();
    await userEvent.click(screen.getByRole("button", { name: /flip in direction/i }));
    expect(screen.getByTestId("line-arg")).toHaveTextContent("--line door=0.9,0.5,0.1,0.5");
  });

  it("the line picker is a radio group: one tab stop, arrow keys switch lines", async () => {
    const user = userEvent.setup();
    const side = { line_id: "side", name: "Side door", x1: 0.2, y1: 0.3, x2: 0.8, y2: 0.3 };
    setup([door, side]);
    const group = screen.getByRole("radiogroup", { name: "Line to edit" });
    const [front, sideRadio] = [screen.getByRole("radio", { name: "Front door" }), screen.getByRole("radio", { name: "Side door" })];
    expect([front.tabIndex, sideRadio.tabIndex]).toEqual([0, -1]);
    front.focus();
    await user.keyboard("{ArrowRight}");
    expect(sideRadio).toHaveFocus();
    expect(sideRadio).toHaveAttribute("aria-checked", "true");
    expect(screen.getByTestId("line-arg")).toHaveTextContent("--line side=0.2,0.3,0.8,0.3");
    await user.keyboard("{ArrowRight}");
    expect(front).toHaveFocus();
    expect(screen.getByTestId("line-arg")).toHaveTextContent("--line door=");
    expect(group.querySelectorAll('[tabindex="0"]')).toHaveLength(1);
  });

  it("moves a focused end point with the arrow keys", async () => {
    setup();
    screen.getByTestId("handle-0-2").focus();
    await userEvent.keyboard("{ArrowUp}{ArrowUp}{Shift>}{ArrowLeft}{/Shift}");
    expect(screen.getByTestId("line-arg")).toHaveTextContent("--line door=0.1,0.5,0.85,0.48");
  });

  it("names a new line and derives its id; refuses to save a nameless one", async () => {
    setup([]);
    await userEvent.click(screen.getByRole("button", { name: /add line/i }));
    const name = screen.getByLabelText("Line name");
    await userEvent.clear(name);
    expect(screen.getByRole("button", { name: /save lines/i })).toBeDisabled();
    await userEvent.type(name, "Side exit");
    expect(screen.getByTestId("line-arg")).toHaveTextContent("--line side-exit=");
    expect(screen.getByRole("button", { name: /save lines/i })).toBeEnabled();
  });
});
