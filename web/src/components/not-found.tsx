import { Link } from "@tanstack/react-router";
import { buttonVariants } from "@/components/ui/button";

/** 404 page; `section` picks where its way back leads (the Plates section or the stores). */
export function NotFound({ what = "page", section = "stores" }: { what?: string; section?: "stores" | "plates" }) {
  return (
    <div className="mx-auto max-w-md py-16 text-center" data-testid="not-found">
      <p className="text-sm font-semibold text-primary">404</p>
      <h1 className="mt-2 text-2xl font-bold">Not found</h1>
      <p className="mt-2 text-sm text-muted-foreground">
        This {what} does not exist, or you do not have access to it.
      </p>
      <Link to={section === "plates" ? "/plates" : "/"} className={buttonVariants({ variant: "outline", className: "mt-6" })}>
        {section === "plates" ? "Back to plates" : "Back to your stores"}
      </Link>
    </div>
  );
}
