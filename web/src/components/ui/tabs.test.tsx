import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { describe, expect, it } from "vitest";
import { radioKeyTarget, Segmented } from "@/components/ui/tabs";

type P = "day" | "week" | "month";

function Periods({ initial = "day" as P }: { initial?: P }) {
  const [value, setValue] = useState<P>(initial);
  return (
    <>
      <button type="button">before</button>
      <Segmented
        label="Period"
        value={value}
        onChange={setValue}
        options={[
          { value: "day", label: "Day" },
          { value: "week", label: "Week" },
          { value: "month", label: "Month" },
        ]}
      />
      <button type="button">after</button>
      <output data-testid="value">{value}</output>
    </>
  );
}

const radio = (name: string) => screen.getByRole("radio", { name });

describe("Segmented (radio group pattern)", () => {
  it("is one tab stop, on the checked option", async () => {
    const user = userEvent.setup();
    render(<Periods initial="week" />);
    expect(screen.getAllByRole("radio").map((r) => r.tabIndex)).toEqual([-1, 0, -1]);
    await user.click(screen.getByRole("button", { name: "before" }));
    await user.tab();
    expect(radio("Week")).toHaveFocus();
    await user.tab();
    expect(screen.getByRole("button", { name: "after" })).toHaveFocus();
    await user.tab({ shift: true });
    expect(radio("Week")).toHaveFocus();
  });

  it("arrow keys move the selection and the focus, wrapping at the ends", async () => {
    const user = userEvent.setup();
    render(<Periods />);
    await user.click(screen.getByRole("button", { name: "before" }));
    await user.tab();
    expect(radio("Day")).toHaveFocus();

    await user.keyboard("{ArrowRight}");
    expect(radio("Week")).toHaveFocus();
    expect(radio("Week")).toHaveAttribute("aria-checked", "true");
    expect(radio("Day")).toHaveAttribute("aria-checked", "false");
    expect(screen.getByTestId("value")).toHaveTextContent("week");

    await user.keyboard("{ArrowDown}{ArrowDown}"); // month, then wraps to day
    expect(radio("Day")).toHaveFocus();
    expect(screen.getByTestId("value")).toHaveTextContent("day");

    await user.keyboard("{ArrowLeft}"); // wraps back to month
    expect(radio("Month")).toHaveFocus();
    expect(screen.getByTestId("value")).toHaveTextContent("month");

    await user.keyboard("{ArrowUp}");
    expect(screen.getByTestId("value")).toHaveTextContent("week");
    await user.keyboard("{Home}");
    expect(radio("Day")).toHaveFocus();
    await user.keyboard("{End}");
    expect(radio("Month")).toHaveFocus();
    expect(screen.getAllByRole("radio").map((r) => r.tabIndex)).toEqual([-1, -1, 0]);
  });

  it("other keys leave the selection alone; a click selects", async () => {
    const user = userEvent.setup();
    render(<Periods />);
    await user.click(radio("Month"));
    expect(screen.getByTestId("value")).toHaveTextContent("month");
    await user.keyboard("a{Enter}");
    expect(screen.getByTestId("value")).toHaveTextContent("month");
  });
});

describe("radioKeyTarget", () => {
  it.each([
    ["ArrowRight", 0, 3, 1],
    ["ArrowRight", 2, 3, 0],
    ["ArrowLeft", 0, 3, 2],
    ["ArrowUp", 1, 3, 0],
    ["ArrowDown", 1, 3, 2],
    ["Home", 2, 3, 0],
    ["End", 0, 3, 2],
    ["Tab", 0, 3, null],
    ["ArrowRight", 0, 0, null],
  ])("%s from %i of %i → %s", (key, index, count, expected) => {
    expect(radioKeyTarget(key, index, count)).toBe(expected);
  });
});
