import { useQuery, useQueryClient } from "@tanstack/react-query";
import { getMe, logout } from "@/client/sdk.gen";
import type { UserPublic } from "@/client/types.gen";
import { ApiError, unwrap } from "@/lib/api";

export const meKey = ["me"] as const;

/** The signed-in user (from the httpOnly cookie via GET /auth/me), or null. */
export async function fetchMe(): Promise<UserPublic | null> {
  try {
    return await unwrap(getMe());
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null;
    throw err;
  }
}

export function useMe() {
  return useQuery({ queryKey: meKey, queryFn: fetchMe, staleTime: 60_000, retry: false });
}

export function useSignOut() {
  const queryClient = useQueryClient();
  return async () => {
    try {
      await unwrap(logout());
    } finally {
      queryClient.clear();
      queryClient.setQueryData(meKey, null);
    }
  };
}
