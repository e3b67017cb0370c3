import type { BoxPublic } from "@/client/types.gen";

/** The command a box runs once to enrol: the token is read from standard input, never
 * from the command line (where `ps` shows it to every user of the box). */
export function enrolCommand(origin: string, token: string): string {
  return `printf '%s' '${token}' | metrica edge enroll --api-url ${origin} --token -`;
}

export function driftLabel(box: Pick<BoxPublic, "drift" | "release">): string {
  switch (box.drift) {
    case "current":
      return "current";
    case "behind":
      return `behind ${box.release}`;
    case "ahead":
      return `ahead of ${box.release}`;
    default:
      return "unknown";
  }
}

export function percent(value: number | null | undefined): string {
  return value == null ? "—" : `${Math.round(value)} %`;
}
