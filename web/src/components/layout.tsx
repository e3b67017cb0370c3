import { Link, Outlet, useLocation, useNavigate } from "@tanstack/react-router";
import { useEffect } from "react";
import { BarChart3, LogOut } from "lucide-react";
import { usePageFocus } from "@/components/page-focus";
import { Spinner, ErrorNote } from "@/components/states";
import { Button } from "@/components/ui/button";
import { useMe, useSignOut } from "@/lib/auth";
import { isClerk, usePlateSites } from "@/lib/plates";
import { cn } from "@/lib/utils";

const navLink =
  "rounded-md px-2.5 py-1.5 text-sm font-medium text-muted-foreground hover:bg-accent hover:text-foreground focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring";
const navActive = "bg-accent text-foreground";

/** Everything behind sign-in: the header and the page. */
export function AuthedLayout() {
  const me = useMe();
  const location = useLocation();
  const signOut = useSignOut();
  const navigate = useNavigate();
  const signedOut = me.isSuccess && me.data === null;
  usePageFocus("main");
  // The Plates section appears only for callers with at least one plate site.
  const plateSites = usePlateSites(!!me.data);

  // The session ended while on a page (signed out, expired): back to the sign-in form.
  useEffect(() => {
    if (signedOut) void navigate({ to: "/login", search: { redirect: location.href }, replace: true });
  }, [signedOut, navigate, location.href]);

  if (me.isPending) return <div className="mx-auto max-w-6xl px-4"><Spinner /></div>;
  if (me.isError) return <div className="mx-auto max-w-6xl p-4"><ErrorNote error={me.error} /></div>;
  if (!me.data) return null;
  const user = me.data;
  const clerk = isClerk(user);
  const showPlates = clerk || (plateSites.data?.length ?? 0) > 0;

  return (
    <div className="min-h-screen">
      <a
        href="#main"
        onClick={(e) => {
          e.preventDefault(); // the router owns the URL; just move focus
          document.getElementById("main")?.focus();
        }}
        className="sr-only z-50 rounded-md bg-primary px-3 py-2 text-sm font-semibold text-primary-foreground focus:not-sr-only focus:fixed focus:left-2 focus:top-2"
      >
        Skip to content
      </a>
      <header className="sticky top-0 z-40 border-b bg-card/95 backdrop-blur">
        <div className="mx-auto flex h-14 max-w-6xl items-center gap-2 px-4">
          <Link to={clerk ? "/plates" : "/"} className="mr-1 flex shrink-0 items-center gap-2 rounded-md font-bold focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring">
            <BarChart3 className="size-5 text-primary" aria-hidden />
            <span>Metrica</span>
          </Link>
          <nav aria-label="Main" className="flex min-w-0 items-center gap-0.5 sm:gap-1">
            {!clerk && (
              <Link to="/" className={navLink} activeProps={{ className: navActive }} activeOptions={{ exact: true }}>
                Stores
              </Link>
            )}
            {showPlates && (
              <Link to="/plates" className={navLink} activeProps={{ className: navActive }}>
                Plates
              </Link>
            )}
            {user.role === "superadmin" && (
              <Link to="/admin" className={navLink} activeProps={{ className: navActive }}>
                Admin
              </Link>
            )}
          </nav>
          <div className="ml-auto flex items-center gap-2">
            <span className="hidden text-sm text-muted-foreground sm:inline" data-testid="user-email">
              {user.email}
            </span>
            <Button
              variant="ghost"
              size="sm"
              onClick={async () => {
                await signOut();
                await navigate({ to: "/login", search: {} });
              }}
            >
              <LogOut aria-hidden />
              {/* Icon only on phones: the header holds up to three sections there. */}
              <span className="sr-only sm:not-sr-only">Sign out</span>
            </Button>
          </div>
        </div>
      </header>
      <main id="main" tabIndex={-1} className="mx-auto max-w-6xl px-4 py-5 outline-none sm:py-8">
        <Outlet />
      </main>
    </div>
  );
}

/** /admin/*: superadmins only (the API answers 403 to anyone else anyway). */
export function AdminLayout() {
  const me = useMe();
  if (me.data?.role !== "superadmin") {
    return (
      <div className="py-16 text-center">
        <h1 className="text-xl font-bold">Admins only</h1>
        <p className="mt-2 text-sm text-muted-foreground">Your account cannot manage stores or cameras.</p>
      </div>
    );
  }
  return (
    <div>
      <nav aria-label="Admin" className="mb-5 flex gap-1 border-b pb-2">
        <Link to="/admin/stores" className={cn(navLink)} activeProps={{ className: navActive }}>
          Stores
        </Link>
        <Link to="/admin/cameras" className={cn(navLink)} activeProps={{ className: navActive }}>
          Camera health
        </Link>
        <Link to="/admin/fleet" className={cn(navLink)} activeProps={{ className: navActive }}>
          Fleet
        </Link>
      </nav>
      <Outlet />
    </div>
  );
}
