import type { QueryClient } from "@tanstack/react-query";
import {
  createRootRouteWithContext,
  createRoute,
  createRouter,
  lazyRouteComponent,
  Navigate,
  Outlet,
  redirect,
} from "@tanstack/react-router";
import { fetchMe, meKey } from "@/lib/auth";
import { isClerk } from "@/lib/plates";
import { parsePlateSearch, type PlateSearch } from "@/features/plates/params";
import { type AuditSearch, parseAuditSearch } from "@/features/plates/audit-params";
import { AdminLayout, AuthedLayout } from "@/components/layout";
import { NotFound } from "@/components/not-found";
import { LoginPage } from "@/features/auth/login";
import { StoresPage } from "@/features/store/stores";
import { type Period, PERIODS } from "@/lib/format";

interface RouterContext {
  queryClient: QueryClient;
}

const rootRoute = createRootRouteWithContext<RouterContext>()({
  component: () => <Outlet />,
  notFoundComponent: () => <NotFound />,
});

export const loginRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/login",
  validateSearch: (search: Record<string, unknown>): { redirect?: string } => ({
    redirect: typeof search.redirect === "string" ? search.redirect : undefined,
  }),
  component: LoginPage,
});

export const inviteRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/invite",
  validateSearch: (search: Record<string, unknown>): { token?: string } => ({
    token: typeof search.token === "string" && search.token ? search.token : undefined,
  }),
  component: lazyRouteComponent(() => import("@/features/auth/invite"), "InvitePage"),
});

const authedRoute = createRoute({
  getParentRoute: () => rootRoute,
  id: "authed",
  // Who is signed in comes from the httpOnly cookie, via GET /auth/me (cached).
  beforeLoad: async ({ context, location }) => {
    const me = await context.queryClient.ensureQueryData({ queryKey: meKey, queryFn: fetchMe });
    if (!me) throw redirect({ to: "/login", search: { redirect: location.href } });
  },
  component: AuthedLayout,
});

/** Clerks work only with plates: footfall pages send them to the Plates section. */
async function footfallOnly({ context }: { context: RouterContext }) {
  const me = await context.queryClient.ensureQueryData({ queryKey: meKey, queryFn: fetchMe });
  if (isClerk(me)) throw redirect({ to: "/plates", replace: true });
}

export const storesRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/",
  beforeLoad: footfallOnly,
  component: StoresPage,
});

export interface StoreSearch {
  period?: Period;
  date?: string;
}

export const storeRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/stores/$storeId",
  beforeLoad: footfallOnly,
  validateSearch: (search: Record<string, unknown>): StoreSearch => ({
    period: PERIODS.includes(search.period as Period) ? (search.period as Period) : undefined,
    date:
      typeof search.date === "string" && /^\d{4}-\d{2}-\d{2}$/.test(search.date)
        ? search.date
        : undefined,
  }),
  component: lazyRouteComponent(() => import("@/features/store/store"), "StorePage"),
});

export const storeAlertsRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/stores/$storeId/alerts",
  beforeLoad: footfallOnly,
  component: lazyRouteComponent(() => import("@/features/alerts/alerts-page"), "AlertsPage"),
});

export const platesRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/plates",
  component: lazyRouteComponent(() => import("@/features/plates/plates-home"), "PlatesHomePage"),
});

export const plateSiteRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/plates/$storeId",
  component: lazyRouteComponent(() => import("@/features/plates/site-layout"), "PlateSiteLayout"),
});

const plateSiteIndexRoute = createRoute({
  getParentRoute: () => plateSiteRoute,
  path: "/",
  component: () => <Navigate from="/plates/$storeId" to="/plates/$storeId/search" replace />,
});

export const plateSearchRoute = createRoute({
  getParentRoute: () => plateSiteRoute,
  path: "/search",
  validateSearch: (search: Record<string, unknown>): PlateSearch => parsePlateSearch(search),
  component: lazyRouteComponent(() => import("@/features/plates/search"), "PlateSearchPage"),
});

export const plateUploadsRoute = createRoute({
  getParentRoute: () => plateSiteRoute,
  path: "/uploads",
  component: lazyRouteComponent(() => import("@/features/plates/uploads"), "PlateUploadsPage"),
});

export const plateWatchlistRoute = createRoute({
  getParentRoute: () => plateSiteRoute,
  path: "/watchlist",
  component: lazyRouteComponent(() => import("@/features/plates/watchlist"), "PlateWatchlistPage"),
});

export const plateAuditRoute = createRoute({
  getParentRoute: () => plateSiteRoute,
  path: "/audit",
  validateSearch: (search: Record<string, unknown>): AuditSearch => parseAuditSearch(search),
  component: lazyRouteComponent(() => import("@/features/plates/audit"), "PlateAuditPage"),
});

export const plateRequestsRoute = createRoute({
  getParentRoute: () => plateSiteRoute,
  path: "/requests",
  component: lazyRouteComponent(() => import("@/features/plates/requests"), "PlateRequestsPage"),
});

const adminRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/admin",
  component: AdminLayout,
});

const adminIndexRoute = createRoute({
  getParentRoute: () => adminRoute,
  path: "/",
  component: () => <Navigate to="/admin/stores" replace />,
});

export const adminStoresRoute = createRoute({
  getParentRoute: () => adminRoute,
  path: "/stores",
  component: lazyRouteComponent(() => import("@/features/admin/admin-stores"), "AdminStoresPage"),
});

export const adminStoreRoute = createRoute({
  getParentRoute: () => adminRoute,
  path: "/stores/$storeId",
  component: lazyRouteComponent(() => import("@/features/admin/admin-store"), "AdminStorePage"),
});

export const adminCamerasRoute = createRoute({
  getParentRoute: () => adminRoute,
  path: "/cameras",
  component: lazyRouteComponent(() => import("@/features/admin/admin-cameras"), "AdminCamerasPage"),
});

export const adminCameraRoute = createRoute({
  getParentRoute: () => adminRoute,
  path: "/cameras/$cameraId",
  component: lazyRouteComponent(() => import("@/features/admin/admin-camera"), "AdminCameraPage"),
});

export const adminRecordingRoute = createRoute({
  getParentRoute: () => adminRoute,
  path: "/recordings/$recordingId",
  component: lazyRouteComponent(() => import("@/features/audits/label-page"), "LabelPage"),
});

export const adminFleetRoute = createRoute({
  getParentRoute: () => adminRoute,
  path: "/fleet",
  component: lazyRouteComponent(() => import("@/features/fleet/fleet"), "FleetPage"),
});

export const adminFleetBoxRoute = createRoute({
  getParentRoute: () => adminRoute,
  path: "/fleet/boxes/$boxId",
  component: lazyRouteComponent(() => import("@/features/fleet/fleet-box"), "FleetBoxPage"),
});

const routeTree = rootRoute.addChildren([
  loginRoute,
  inviteRoute,
  authedRoute.addChildren([
    storesRoute,
    storeRoute,
    storeAlertsRoute,
    platesRoute,
    plateSiteRoute.addChildren([
      plateSiteIndexRoute,
      plateSearchRoute,
      plateUploadsRoute,
      plateWatchlistRoute,
      plateAuditRoute,
      plateRequestsRoute,
    ]),
    adminRoute.addChildren([
      adminIndexRoute,
      adminStoresRoute,
      adminStoreRoute,
      adminCamerasRoute,
      adminCameraRoute,
      adminRecordingRoute,
      adminFleetRoute,
      adminFleetBoxRoute,
    ]),
  ]),
]);

export function createAppRouter(queryClient: QueryClient) {
  return createRouter({
    routeTree,
    basepath: import.meta.env.BASE_URL.replace(/\/$/, "") || "/",
    context: { queryClient },
    defaultPreload: "intent",
    defaultNotFoundComponent: () => <NotFound />,
  });
}

declare module "@tanstack/react-router" {
  interface Register {
    router: ReturnType<typeof createAppRouter>;
  }
}
