/** The audit calls the generated client cannot make: clip bytes in and out. */
import { ApiError, API_URL, detailMessage } from "@/lib/api";

async function failure(res: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    // not JSON
  }
  return new ApiError(res.status, detailMessage(body, res.status));
}

/** The clip as an object URL (fetched whole: frame stepping then never waits on the network). */
export async function fetchClip(recordingId: string): Promise<string> {
  const res = await fetch(`${API_URL}/admin/recordings/${recordingId}/clip`, { credentials: "include" });
  if (!res.ok) throw await failure(res);
  return URL.createObjectURL(await res.blob());
}

/** Upload a WebM or MP4 clip by hand. */
export async function uploadClip(cameraId: string, file: File): Promise<{ id: string }> {
  const res = await fetch(`${API_URL}/admin/cameras/${cameraId}/recordings/upload`, {
    method: "POST",
    credentials: "include",
    headers: { "Content-Type": file.type || "application/octet-stream" },
    body: file,
  });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as { id: string };
}
