import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate } from "@tanstack/react-router";
import { Plus, Store } from "lucide-react";
import { useState } from "react";
import { adminCreateStore, adminListStores } from "@/client/sdk.gen";
import { EmptyState, ErrorNote, Spinner } from "@/components/states";
import { StoreForm, type StoreFormValue } from "@/features/admin/store-form";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { unwrap } from "@/lib/api";
import { tzLabel } from "@/lib/format";

export const adminStoresKey = ["admin", "stores"] as const;

export function useAdminStores() {
  return useQuery({ queryKey: adminStoresKey, queryFn: () => unwrap(adminListStores()) });
}

export function AdminStoresPage() {
  const stores = useAdminStores();
  const [open, setOpen] = useState(false);
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const create = useMutation({
    mutationFn: (body: StoreFormValue) => unwrap(adminCreateStore({ body })),
    onSuccess: async (store) => {
      await queryClient.invalidateQueries({ queryKey: adminStoresKey });
      await queryClient.invalidateQueries({ queryKey: ["stores"] });
      setOpen(false);
      await navigate({ to: "/admin/stores/$storeId", params: { storeId: store.id } });
    },
  });

  return (
    <div className="flex flex-col gap-4">
      <div className="flex items-center justify-between gap-2">
        <h1 className="text-2xl font-bold">Stores</h1>
        <Button onClick={() => setOpen(true)}>
          <Plus aria-hidden />
          New store
        </Button>
      </div>
      {stores.isPending ? (
        <Spinner />
      ) : stores.isError ? (
        <ErrorNote error={stores.error} />
      ) : stores.data.data.length === 0 ? (
        <EmptyState title="No stores yet" icon={<Store />}>
          Create the first store, then add its cameras and owners.
        </EmptyState>
      ) : (
        <ul className="divide-y rounded-lg border bg-card" aria-label="All stores">
          {stores.data.data.map((s) => (
            <li key={s.id}>
              <Link
                to="/admin/stores/$storeId"
                params={{ storeId: s.id }}
                className="flex flex-col px-4 py-3 hover:bg-accent focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-inset focus-visible:ring-ring sm:flex-row sm:items-center sm:justify-between"
              >
                <span className="font-medium">{s.name}</span>
                <span className="text-sm text-muted-foreground">{tzLabel(s.timezone)}</span>
              </Link>
            </li>
          ))}
        </ul>
      )}
      <Dialog open={open} onOpenChange={setOpen}>
        <DialogContent className="max-w-xl">
          <DialogHeader>
            <DialogTitle>New store</DialogTitle>
            <DialogDescription>Name, timezone and opening hours. You can change them later.</DialogDescription>
          </DialogHeader>
          <StoreForm submitLabel="Create store" onSubmit={(v) => create.mutateAsync(v)} />
        </DialogContent>
      </Dialog>
    </div>
  );
}
