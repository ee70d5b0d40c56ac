import { useAuth } from "../auth/AuthContext";
import { usePageTitle } from "../components/a11y";
import { TopBar } from "../components/TopBar";
import { ApiKeysManager } from "../operator/ApiKeysManager";

/**
 * A teacher's own API keys (/account/keys): made, changed, given a new secret and revoked
 * here, as an admin does on the operator page. The server answers a teacher with their own
 * keys only (an admin, who may come here too, with every key: then each key names its owner).
 * The route is inside RequireTeacher.
 */
export default function ApiKeysPage() {
  usePageTitle("API keys");
  const { user } = useAuth();
  const admin = user?.role === "admin";
  return (
    <div className="app">
      <TopBar />
      <main className="main" id="main">
        <div className="page keys-page">
          <h1>API keys</h1>
          <p className="keys-intro">
            A key lets another system (your course site's Run button, an LMS plugin, an interview tool) run code in Observer's sandbox and read the
            results, as you: it sends the key in an <code>X-API-Key</code> header (<code>X-Auth-Token</code> on the Judge0-compatible API under{" "}
            <code>/judge0/</code>). Each key has its own rates. See the <a href="/api/docs/">API documentation</a>.
          </p>
          {admin ? <p className="muted">As an admin you see every user's keys here, as on the Operations page.</p> : null}
          <div className="card">
            <ApiKeysManager title={admin ? "All keys" : "Your keys"} headingLevel={2} showOwner={admin} />
          </div>
        </div>
      </main>
    </div>
  );
}
