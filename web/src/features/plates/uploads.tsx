import { usePageTitle } from "@/lib/title";
import { JobsCard } from "@/features/plates/jobs-card";
import { useCurrentSite } from "@/features/plates/site";
import { UploadCard } from "@/features/plates/upload-card";

/** /plates/$storeId/uploads: send footage, follow its jobs. */
export function PlateUploadsPage() {
  const { storeId, site } = useCurrentSite();
  usePageTitle("Uploads", site?.name, "Plates");
  if (!site) return null;
  return (
    <div className="flex flex-col gap-5">
      <UploadCard key={storeId} storeId={storeId} />
      <JobsCard storeId={storeId} timezone={site.timezone} />
    </div>
  );
}
