import { useQueryClient } from "@tanstack/react-query";
import { useNavigate, useSearch } from "@tanstack/react-router";
import { BarChart3 } from "lucide-react";
import { type FormEvent, useState } from "react";
import { useDocumentTitle } from "@/components/page-focus";
import { login, requestLoginCode, verifyLoginCode } from "@/client/sdk.gen";
import type { Session } from "@/client/types.gen";
import { ErrorNote } from "@/components/states";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Segmented } from "@/components/ui/tabs";
import { unwrap } from "@/lib/api";
import { meKey } from "@/lib/auth";

type Method = "password" | "code";

export function LoginPage() {
  const [method, setMethod] = useState<Method>("password");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [codeSent, setCodeSent] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const search = useSearch({ from: "/login" });
  useDocumentTitle("Sign in");

  async function run(action: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  async function signedIn(session: Session) {
    queryClient.clear();
    queryClient.setQueryData(meKey, session.user);
    const target = search.redirect;
    if (target && target.startsWith("/") && !target.startsWith("//")) {
      await navigate({ href: target, replace: true });
    } else {
      await navigate({ to: "/", replace: true });
    }
  }

  const onPassword = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => signedIn(await unwrap(login({ body: { email, password } }))));
  };
  const onRequestCode = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      await unwrap(requestLoginCode({ body: { email } }));
      setCodeSent(true);
    });
  };
  const onVerifyCode = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => signedIn(await unwrap(verifyLoginCode({ body: { email, code: code.trim() } }))));
  };

  const emailField = (
    <div className="flex flex-col gap-1.5">
      <Label htmlFor="email">Email</Label>
      <Input
        id="email"
        type="email"
        autoComplete="username"
        required
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        readOnly={method === "code" && codeSent}
      />
    </div>
  );

  return (
    <main className="flex min-h-screen items-center justify-center p-4">
      <Card className="w-full max-w-sm">
        <CardHeader className="items-center gap-2 pb-4 text-center">
          <BarChart3 className="size-8 text-primary" aria-hidden />
          <h1 className="text-xl font-bold">Sign in to Metrica</h1>
          <p className="text-sm text-muted-foreground">Anonymous footfall for your stores</p>
        </CardHeader>
        <CardContent className="flex flex-col gap-4">
          <div className="flex justify-center">
            <Segmented
              label="Sign-in method"
              value={method}
              onChange={(m) => {
                setMethod(m);
                setError(null);
              }}
              options={[
                { value: "password", label: "Password" },
                { value: "code", label: "Email code" },
              ]}
            />
          </div>
          {method === "password" ? (
            <form onSubmit={onPassword} className="flex flex-col gap-4" aria-label="Sign in with password">
              {emailField}
              <div className="flex flex-col gap-1.5">
                <Label htmlFor="password">Password</Label>
                <Input
                  id="password"
                  type="password"
                  autoComplete="current-password"
                  required
                  value={password}
                  onChange={(e) => setPassword(e.target.value)}
                />
              </div>
              <ErrorNote error={error} />
              <Button type="submit" disabled={busy || !email || !password}>
                {busy ? "Signing in…" : "Sign in"}
              </Button>
            </form>
          ) : !codeSent ? (
            <form onSubmit={onRequestCode} className="flex flex-col gap-4" aria-label="Request a sign-in code">
              {emailField}
              <p className="text-sm text-muted-foreground">We will email you a 6-digit code.</p>
              <ErrorNote error={error} />
              <Button type="submit" disabled={busy || !email}>
                {busy ? "Sending…" : "Email me a code"}
              </Button>
            </form>
          ) : (
            <form onSubmit={onVerifyCode} className="flex flex-col gap-4" aria-label="Enter the sign-in code">
              {emailField}
              <p className="text-sm text-muted-foreground" role="status">
                If {email} has an account, a code is on its way.
              </p>
              <div className="flex flex-col gap-1.5">
                <Label htmlFor="code">6-digit code</Label>
                <Input
                  id="code"
                  inputMode="numeric"
                  autoComplete="one-time-code"
                  pattern="\d{6}"
                  maxLength={6}
                  required
                  value={code}
                  onChange={(e) => setCode(e.target.value.replace(/\D/g, ""))}
                  className="font-mono tracking-[0.4em]"
                  // The form it replaces had focus (its button is gone): continue here.
                  autoFocus
                />
              </div>
              <ErrorNote error={error} />
              <Button type="submit" disabled={busy || code.length !== 6}>
                {busy ? "Checking…" : "Sign in"}
              </Button>
              <Button
                variant="link"
                size="sm"
                onClick={() => {
                  setCodeSent(false);
                  setCode("");
                  requestAnimationFrame(() => document.getElementById("email")?.focus());
                }}
              >
                Use another email
              </Button>
            </form>
          )}
        </CardContent>
      </Card>
    </main>
  );
}
