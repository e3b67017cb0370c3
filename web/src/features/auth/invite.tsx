import { useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate, useSearch } from "@tanstack/react-router";
import { BarChart3 } from "lucide-react";
import { type FormEvent, useState } from "react";
import { acceptInvitation } from "@/client/sdk.gen";
import { useDocumentTitle } from "@/components/page-focus";
import { ErrorNote } from "@/components/states";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { ApiError, unwrap } from "@/lib/api";
import { meKey } from "@/lib/auth";

export const MIN_PASSWORD = 8;

/** Why the form cannot be sent yet, or null. */
export function passwordProblem(password: string, confirm: string): string | null {
  if (password.length < MIN_PASSWORD) return `Use at least ${MIN_PASSWORD} characters.`;
  if (password !== confirm) return "The two passwords do not match.";
  return null;
}

/**
 * Whether an answer to accepting the invitation means the link itself is no good: 400 is
 * an unknown, used or expired token, a 422 about the token one that is not even well
 * formed. A 422 about the password (too easy to guess) leaves the link alive.
 */
export function linkIsDead(err: unknown): boolean {
  if (!(err instanceof ApiError)) return false;
  return err.status === 400 || (err.status === 422 && !err.fields.includes("password"));
}

/**
 * /invite?token=…: the link an owner gets by email when an admin assigns them to a store.
 * Setting a password accepts the invitation and signs them in.
 */
export function InvitePage() {
  const { token } = useSearch({ from: "/invite" });
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [deadLink, setDeadLink] = useState(!token);
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const problem = passwordProblem(password, confirm);
  useDocumentTitle(deadLink ? "Invitation link expired" : "Accept invitation");

  async function submit(e: FormEvent) {
    e.preventDefault();
    setSubmitted(true);
    if (problem || !token) return;
    setBusy(true);
    setError(null);
    try {
      const session = await unwrap(acceptInvitation({ body: { token, password } }));
      queryClient.clear();
      queryClient.setQueryData(meKey, session.user);
      await navigate({ to: "/", replace: true });
    } catch (err) {
      if (linkIsDead(err)) setDeadLink(true);
      else setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="flex min-h-screen items-center justify-center p-4">
      <Card className="w-full max-w-sm">
        <CardHeader className="items-center gap-2 pb-4 text-center">
          <BarChart3 className="size-8 text-primary" aria-hidden />
          <h1 className="text-xl font-bold">{deadLink ? "This link no longer works" : "Welcome to Metrica"}</h1>
          {!deadLink && (
            <p className="text-sm text-muted-foreground">Choose a password to finish setting up your account.</p>
          )}
        </CardHeader>
        <CardContent className="flex flex-col gap-4">
          {deadLink ? (
            <div role="alert" className="flex flex-col gap-3 text-sm" data-testid="invite-dead">
              <p>
                {token
                  ? "This invitation link has already been used or has expired (links work once, for 7 days)."
                  : "This invitation link is incomplete: open the whole link from your email."}
              </p>
              <p className="text-muted-foreground">
                If you have set your password already, sign in. Otherwise sign in with a code sent to
                your email, or ask your administrator to assign you again for a new link.
              </p>
              <Button asChild>
                <Link to="/login" search={{}}>Go to sign-in</Link>
              </Button>
            </div>
          ) : (
            <form onSubmit={submit} className="flex flex-col gap-4" aria-label="Set your password" noValidate>
              <div className="flex flex-col gap-1.5">
                <Label htmlFor="new-password">New password</Label>
                <Input
                  id="new-password"
                  type="password"
                  autoComplete="new-password"
                  required
                  minLength={MIN_PASSWORD}
                  value={password}
                  onChange={(e) => setPassword(e.target.value)}
                  aria-describedby="password-hint"
                />
                <p id="password-hint" className="text-xs text-muted-foreground">
                  At least {MIN_PASSWORD} characters, and hard to guess: a few uncommon words work well.
                </p>
              </div>
              <div className="flex flex-col gap-1.5">
                <Label htmlFor="confirm-password">Confirm password</Label>
                <Input
                  id="confirm-password"
                  type="password"
                  autoComplete="new-password"
                  required
                  value={confirm}
                  onChange={(e) => setConfirm(e.target.value)}
                  aria-invalid={submitted && problem !== null}
                  aria-describedby={submitted && problem ? "password-problem" : undefined}
                />
              </div>
              {submitted && problem && (
                <p id="password-problem" role="alert" className="rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive">
                  {problem}
                </p>
              )}
              <ErrorNote error={error} />
              <Button type="submit" disabled={busy}>
                {busy ? "Setting up…" : "Set password and sign in"}
              </Button>
            </form>
          )}
        </CardContent>
      </Card>
    </main>
  );
}
